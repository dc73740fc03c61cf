"""A declarative alternating GAN: a model states its networks, losses, optimizers and step schedule.

TF-GAN's stages (GANModel -> GANLoss -> GANTrainOps -> loop) in graph mode. A subclass of
``AlternatingGAN`` states

- ``build_generator()``, ``build_discriminator()``: Keras models, each built in its own scope
  (``graph/scopes.py``: checkpoint keys ``generator/...`` and ``<discriminator_key>/...``);
- ``losses(gan)``: {name: loss} from the forward pass ``gan`` (``GANTensors``), in logging order;
  ``discriminator_loss``/``generator_loss`` name the two that are minimised;
- ``optimizers()``: (discriminator optimizer, generator optimizer);
- the schedule: ``discriminator_steps_at(step)`` updates per generator update (default
  ``--critic_steps`` when the config has it, else 1), an optional ``constraint(name)`` op on the
  discriminator's weights run ``constraint_order`` 'before' or 'after' each of its updates (WGAN's
  clip), and ``inputs()`` fed to every discriminator step (WGAN-GP's epsilon).

The engine builds, in this order (the order fixes the graph, hence recorded losses): networks;
placeholders ``real``, ``z`` (and ``K.learning_phase()`` when ``feed_learning_phase``), the extra
inputs; the losses in ``--num_gpus`` towers (``graph/towers.py``); one step counter per network;
the train ops (each network's own update ops, checked by the loop); the constraint ops. The loop
feeds every step from the data sampler (images, then noise, then the extra inputs: one RNG, so
resume is exact); samples come from fixed noise (seed + 1); the networks are exported to HDF5.
"""
import collections
import dataclasses

import numpy as np

from graphgan.engine.compat import K, keras, tf, tf1
from graphgan.engine.config import TrainConfig, hparam
from graphgan.engine.data.source import draw_noise
from graphgan.engine.errors import UserError
from graphgan.engine.evaluation import quality
from graphgan.engine.evaluation.metrics import sample_mode_report
from graphgan.engine.graph import scopes, towers
from graphgan.engine.graph.network import KerasNetwork
from graphgan.engine.graph.train_ops import step_counter
from graphgan.engine.model import Model


@dataclasses.dataclass(frozen=True)
class GANConfig(TrainConfig):
  """What every alternating GAN declares: its schedule and the generator average it samples with."""
  critic_steps: int = hparam(1, 'Discriminator (critic) updates per generator update.', lower=1)
  generator_ema_decay: float = hparam(0.0, 'Decay of an exponential moving average of the '
                                      "generator's weights, updated after each of its updates, "
                                      'that samples, evaluations and exports then use (0 = off: '
                                      'no documented style has one).', lower=0.0, upper=0.999999)


GANTensors = collections.namedtuple('GANTensors', 'real z fake real_scores fake_scores inputs')
GANTensors.__doc__ = """One batch's (or tower's) forward pass: real examples, noise, G(z), D(real),
D(G(z)) and {name: tensor} of the extra inputs."""

Input = collections.namedtuple('Input', 'placeholder draw')
Input.__doc__ = """An extra input of the discriminator step: ``placeholder()`` makes it once,
``draw(data, batch)`` gives each step's value (from the sampler's RNG, after images and noise)."""

FIXED_NOISE_SEED_OFFSET = 1   # samples and evaluations use noise from seed + 1, never the sampler


class AlternatingGAN(Model):
  """Generator and discriminator updated in turn; subclasses state what differs."""

  supports_towers = True
  discriminator_key = 'discriminator'   # names its train op and counter ('critic' for WGANs)
  discriminator_loss = 'd_loss'         # which entries of ``losses`` each network minimises
  generator_loss = 'g_loss'
  counter_names = None                  # (discriminator, generator) counters; default <key>_steps
  feed_learning_phase = False           # feed K.learning_phase(): 1 (Keras BN in batch mode)
  generator_training = None             # when set, passed as ``training=`` to the generator
  constraint_order = 'after'            # run ``constraint`` 'before' or 'after' each D update
  noise_distribution = 'normal'         # of z in training and samples: 'normal' or 'uniform'
  per_example_losses = True             # each loss is a mean over examples (towers may split)

  # -- what a model states -----------------------------------------------------------------
  def build_generator(self):
    """The generator, a Keras model (built in scope ``generator``)."""
    raise NotImplementedError

  def build_discriminator(self):
    """The discriminator, a Keras model (built in scope ``discriminator_key``, after the
    generator)."""
    raise NotImplementedError

  def losses(self, gan):
    """{name: scalar loss} of ``gan`` (GANTensors), in the order they are logged."""
    raise NotImplementedError

  def optimizers(self):
    """(discriminator optimizer, generator optimizer): ``tf1.train`` optimizers."""
    raise NotImplementedError

  def inputs(self):
    """{name: Input} fed to every discriminator step besides real examples and noise."""
    return {}

  def constraint(self, name):
    """An op projecting the discriminator's weights after its updates (e.g. a clip), or None."""
    return None

  def after_update(self, key):
    """An op to run right after each update of network ``key`` ('generator' or
    ``discriminator_key``), in the same run (a post-update hook), or None."""
    return None

  def learning_rates(self):
    """{name: learning rate (a number or a tensor, e.g. decayed by ``self.counters``)} logged as
    TensorBoard scalars ``learning_rate/<name>``. Called once, after the counters and before
    ``optimizers()``, which finds them built in ``self.learning_rate_tensors``."""
    return {}

  def discriminator_steps_at(self, step):
    """Discriminator updates in generator iteration ``step`` (0-based): ``--critic_steps``."""
    return self.config.critic_steps

  # -- what the engine builds --------------------------------------------------------------
  @property
  def example_shape(self):
    return tuple(self.data.example_shape)

  @property
  def sample_kind(self):
    return 'points' if len(self.example_shape) == 1 else 'images'

  def build(self):
    if not isinstance(self.config, GANConfig):
      raise TypeError(f'{type(self).__name__}.Config must derive from engine.gan.GANConfig '
                      '(it declares --critic_steps and --generator_ema_decay)')
    if self.config.num_gpus > 1 and not self.per_example_losses:
      raise UserError(f'--num_gpus={self.config.num_gpus}: {self.name}\'s losses are not means '
                      'over examples (per_example_losses), so splitting the batch into towers '
                      'would change them; train it with one tower')
    if hasattr(self, 'build_networks'):
      raise TypeError(f'{type(self).__name__}.build_networks(): since the evening of 2026-12-07 a GAN states '
                      'build_generator() and build_discriminator(), each built in its own variable '
                      'scope (checkpoint keys generator/..., discriminator/...); split it in two')
    key = self.discriminator_key
    with scopes.network_scope('generator'):
      generator = self.build_generator()
    with scopes.network_scope(key):
      discriminator = self.build_discriminator()
    self.generator, self.discriminator = KerasNetwork(generator), KerasNetwork(discriminator)
    self.real = tf1.placeholder(tf.float32, (None,) + self.example_shape, name='real')
    self.z = tf1.placeholder(tf.float32, (None, self.config.z_dim), name='z')
    self.learning_phase = K.learning_phase() if self.feed_learning_phase else None
    self.extra_inputs = {name: (spec.placeholder(), spec.draw)
                         for name, spec in self.inputs().items()}
    placeholders = [self.real, self.z] + [p for p, _ in self.extra_inputs.values()]
    built = towers.build_towers(self.config.num_gpus, self._tower_losses, placeholders,
                                {key: self.discriminator, 'generator': self.generator})
    self.fake, self.real_scores, self.fake_scores = (
        built.outputs[name] for name in ('fake', 'real_scores', 'fake_scores'))
    self.loss_tensors = {name: built.losses[self._tower_key(name)] for name in self._names}

    names = self.counter_names or (f'{key}_steps', 'generator_steps')
    self.counters = {key: step_counter(names[0]), 'generator': step_counter(names[1])}
    self.learning_rate_tensors = {name: tf.convert_to_tensor(rate, tf.float32)
                                  for name, rate in self.learning_rates().items()}
    d_optimizer, g_optimizer = self.optimizers()
    with scopes.network_scope(key):            # the optimizers' variables beside the weights
      self.train_discriminator = towers.apply_towers(built, key, d_optimizer,
                                                     counter=self.counters[key])
    with scopes.network_scope('generator'):
      self.train_generator = towers.apply_towers(built, 'generator', g_optimizer,
                                                 counter=self.counters['generator'])
    self._build_generator_average(generator)
    with tf1.control_dependencies([self.train_generator]):   # the hooks read updated weights
      average, hook = self._update_generator_average(), self.after_update('generator')
    self.train_generator = self._then(self.train_generator, [average, hook])
    with tf1.control_dependencies([self.train_discriminator]):
      hook = self.after_update(key)
    self.train_discriminator = self._then(self.train_discriminator, [hook])
    self.constrain = self.constraint('clip_weights')
    self.train_discriminator_then_constrain = self.train_discriminator
    if self.constrain is not None:
      with tf1.control_dependencies([self.train_discriminator]):
        self.train_discriminator_then_constrain = self.constraint('clip_after_update')
    self.generator_feeds = self._feeds_of(self.loss_tensors[self.generator_loss], 'generator')
    self.discriminator_feeds = self._feeds_of(
        [self.loss_tensors[n] for n in self._names if n != self.generator_loss], key)

  @staticmethod
  def _then(op, hooks):
    """``op``, or one that also runs ``hooks`` (built under ``op``'s control dependency) in the
    same ``sess.run``."""
    hooks = [hook for hook in hooks if hook is not None]
    if not hooks:
      return op
    with tf1.control_dependencies([op] + hooks):
      return tf.no_op(name=op.name.split('/')[-1] + '_then_hooks')

  def _build_generator_average(self, generator):
    """The EMA of the generator (``--generator_ema_decay``): a clone whose samples, evaluations
    and exports replace the generator's. Its variables are made here, outside any control
    dependency; ``_update_generator_average`` makes the op that moves them."""
    self.generator_ema, self._ema_started = None, None
    self.fake_for_samples = self.fake
    if not self.config.generator_ema_decay:
      return
    self._generator_model = generator
    # (``variable_scope`` names ``started``; before the evening of 2026-12-07 it was the only scope here.)
    with scopes.network_scope('generator_ema'), \
        tf1.variable_scope('generator_ema', auxiliary_name_scope=scopes.is_unscoped()):
      self.generator_ema = keras.models.clone_model(generator)
      self._ema_started = tf1.get_variable('started', (), tf.bool, tf1.zeros_initializer(),
                                           trainable=False)
    phase = {} if self.generator_training is None else {'training': self.generator_training}
    self.fake_for_samples = self.generator_ema(self.z, **phase)

  def _update_generator_average(self):
    """After a generator update: trainable weights ``e <- d e + (1 - d) g`` (the first update
    copies g), the others (BatchNormalization statistics) copied; None when off."""
    if self.generator_ema is None:
      return None
    decay, started = self.config.generator_ema_decay, self._ema_started
    trainable = {id(w) for w in self._generator_model.trainable_weights}
    updates = []
    for average, weight in zip(self.generator_ema.weights, self._generator_model.weights):
      value = weight.read_value()
      target = (tf1.where(started, decay * average + (1.0 - decay) * value, value)
                if id(weight) in trainable else value)
      updates.append(average.assign(target))
    with tf1.control_dependencies(updates):
      return started.assign(True)

  def _feeds_of(self, losses, key):
    """The inputs ``losses`` depend on, in draw order (real, z, the extra inputs): what a step of
    network ``key`` feeds. A placeholder none of them is: one line, at build time."""
    losses = losses if isinstance(losses, list) else [losses]
    inputs = [self.real, self.z] + [p for p, _ in self.extra_inputs.values()] + \
        ([self.learning_phase] if self.learning_phase is not None else [])
    needed = _placeholders_under(losses)
    unknown = sorted(p.name for p in needed
                     if p.type == 'Placeholder' and all(p is not i.op for i in inputs))
    if unknown:
      raise UserError(f'{self.name}: the {key} loss needs {", ".join(unknown)}, which no step '
                      'feeds (feedable: real, z, the inputs() of the discriminator step)')
    return [i for i in inputs if i.op in needed]

  def _tower_losses(self, real, z, *extra):
    """The losses of one batch (or tower slice): the two minimised ones under the networks'
    keys, the others under their names; and the fakes and both scores."""
    fake = self.generator(z) if self.generator_training is None else \
        self.generator(z, training=self.generator_training)
    real_scores, fake_scores = self.discriminator(real), self.discriminator(fake)
    named = self.losses(GANTensors(real, z, fake, real_scores, fake_scores,
                                   dict(zip(self.extra_inputs, extra))))
    self._names = list(named)
    keyed = {self.discriminator_key: named[self.discriminator_loss],
             'generator': named[self.generator_loss]}
    keyed.update((name, loss) for name, loss in named.items()
                 if name not in (self.discriminator_loss, self.generator_loss))
    return keyed, {'fake': fake, 'real_scores': real_scores, 'fake_scores': fake_scores}

  def _tower_key(self, name):
    return {self.discriminator_loss: self.discriminator_key,
            self.generator_loss: 'generator'}.get(name, name)

  def networks(self):
    return [self.generator, self.discriminator]

  # -- the loop ----------------------------------------------------------------------------
  def _phase(self):
    return {self.learning_phase: 1} if self.learning_phase is not None else {}

  def _feed(self, feeds):
    """Values of ``feeds`` (a step's placeholders), drawn in order: real examples, noise, the
    extra inputs — one RNG, so resume is exact."""
    c, data, feed = self.config, self.data, {}
    draws = {self.real: lambda: data.image_sample(c.batch_size),
             self.z: lambda: data.noise_sample(c.batch_size, c.z_dim, self.noise_distribution)}
    draws.update((placeholder, lambda draw=draw: draw(data, c.batch_size))
                 for placeholder, draw in self.extra_inputs.values())
    for placeholder in feeds:
      if placeholder is not self.learning_phase:
        feed[placeholder] = draws[placeholder]()
    feed.update(self._phase())
    return feed

  def _discriminator_feed(self):
    return self._feed(self.discriminator_feeds)

  def iteration(self, sess, step):
    """The schedule: discriminator updates (constraint before or after each), one generator
    update; the discriminator's losses of its last update, the generator's of its update."""
    steps = self.discriminator_steps_at(step)
    before = self.constrain is not None and self.constraint_order == 'before'
    if before:
      sess.run(self.constrain)
    d_names = [n for n in self._names if n != self.generator_loss]
    for i in range(steps):
      # 'before': every update but the last is followed by the constraint preceding the next one.
      last = i == steps - 1
      train = self.train_discriminator if (before and last) else \
          self.train_discriminator_then_constrain
      _, *d_values = sess.run([train] + [self.loss_tensors[n] for n in d_names],
                              self._discriminator_feed())
    _, g_value = sess.run([self.train_generator, self.loss_tensors[self.generator_loss]],
                          self._feed(self.generator_feeds))
    values = dict(zip(d_names, d_values), **{self.generator_loss: g_value})
    return {name: float(values[name]) for name in self._names}

  def fixed_noise(self, num):
    """``num`` noise vectors from the seed alone; a longer draw extends a shorter one."""
    return draw_noise(np.random.default_rng(self.config.seed + FIXED_NOISE_SEED_OFFSET),
                      (num, self.config.z_dim), self.noise_distribution)

  def sample(self, sess, num):
    """``num`` samples from fixed noise; images in training-size batches (batch statistics)."""
    noise, fake = self.fixed_noise(num), self.fake_for_samples
    if self.sample_kind == 'points':
      return sess.run(fake, {self.z: noise, **self._phase()})
    batch = self.config.batch_size
    return np.concatenate([sess.run(fake, {self.z: noise[i:i + batch], **self._phase()})
                           for i in range(0, num, batch)])

  def final_report(self, sess):
    """Mode metrics on 2-D mixtures; sample quality on the embedded image sets."""
    if self.sample_kind == 'points':
      return sample_mode_report(self, sess)
    return quality.sample_quality_report(self, sess)

  def logged_tensors(self):
    return {f'learning_rate/{name}': rate for name, rate in self.learning_rate_tensors.items()}

  @property
  def sample_export(self):
    return 'g' if self.config.generator_ema_decay == 0 else 'g_ema'

  def keras_exports(self):
    exports = {'g': self.generator.model, 'd': self.discriminator.model}
    if self.generator_ema is not None:
      exports['g_ema'] = self.generator_ema
    return exports


def _placeholders_under(tensors):
  """The Placeholder ops ``tensors`` depend on (through data and control inputs)."""
  seen, stack, found = set(), [t.op if hasattr(t, 'op') else t for t in tensors], set()
  while stack:
    op = stack.pop()
    if op in seen:
      continue
    seen.add(op)
    if op.type in ('Placeholder', 'PlaceholderWithDefault'):
      found.add(op)
    stack.extend(t.op for t in op.inputs)
    stack.extend(op.control_inputs)
  return found
