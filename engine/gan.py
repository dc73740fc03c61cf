"""A declarative alternating GAN: a model states its networks, losses, optimizers and step schedule.

TF-GAN's stages (GANModel -> GANLoss -> GANTrainOps -> loop) in graph mode. A subclass of
``AlternatingGAN`` states

- ``build_networks()``: (generator, discriminator) Keras models;
- ``losses(gan)``: {name: loss} from the forward pass ``gan`` (``GANTensors``), in logging order;
  ``discriminator_loss``/``generator_loss`` name the two that are minimised;
- ``optimizers()``: (discriminator optimizer, generator optimizer);
- the schedule: ``discriminator_steps_at(step)`` updates per generator update (default
  ``--critic_steps`` when the config has it, else 1), an optional ``constraint(name)`` op on the
  discriminator's weights run ``constraint_order`` 'before' or 'after' each of its updates (WGAN's
  clip), and ``inputs()`` fed to every discriminator step (WGAN-GP's epsilon).

The engine builds, in this order (the order fixes the graph, hence recorded losses): networks;
placeholders ``real``, ``z`` (and ``K.learning_phase()`` when ``feed_learning_phase``), the extra
inputs; the losses in ``--num_gpus`` towers (``engine/towers.py``); one step counter per network;
the train ops (each network's own update ops, checked by the loop); the constraint ops. The loop
feeds every step from the data sampler (images, then noise, then the extra inputs: one RNG, so
resume is exact); samples come from fixed noise (seed + 1); the networks are exported to HDF5.
"""
import collections

import numpy as np

from graphgan.engine import quality, towers
from graphgan.engine.compat import K, tf, tf1
from graphgan.engine.data.source import draw_noise
from graphgan.engine.metrics import sample_mode_report
from graphgan.engine.model import Model
from graphgan.engine.network import KerasNetwork
from graphgan.engine.train_ops import step_counter

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

  # -- what a model states -----------------------------------------------------------------
  def build_networks(self):
    """(generator, discriminator) Keras models."""
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

  def discriminator_steps_at(self, step):
    """Discriminator updates in generator iteration ``step`` (0-based)."""
    return getattr(self.config, 'critic_steps', 1)

  # -- what the engine builds --------------------------------------------------------------
  @property
  def example_shape(self):
    return tuple(self.data.example_shape)

  @property
  def sample_kind(self):
    return 'points' if len(self.example_shape) == 1 else 'images'

  def build(self):
    generator, discriminator = self.build_networks()
    self.generator, self.discriminator = KerasNetwork(generator), KerasNetwork(discriminator)
    self.real = tf1.placeholder(tf.float32, (None,) + self.example_shape, name='real')
    self.z = tf1.placeholder(tf.float32, (None, self.config.z_dim), name='z')
    self.learning_phase = K.learning_phase() if self.feed_learning_phase else None
    self.extra_inputs = {name: (spec.placeholder(), spec.draw)
                         for name, spec in self.inputs().items()}
    key = self.discriminator_key
    placeholders = [self.real, self.z] + [p for p, _ in self.extra_inputs.values()]
    built = towers.build_towers(self.config.num_gpus, self._tower_losses, placeholders,
                                {key: self.discriminator, 'generator': self.generator})
    self.fake, self.real_scores, self.fake_scores = (
        built.outputs[name] for name in ('fake', 'real_scores', 'fake_scores'))
    self.loss_tensors = {name: built.losses[self._tower_key(name)] for name in self._names}

    names = self.counter_names or (f'{key}_steps', 'generator_steps')
    self.counters = {key: step_counter(names[0]), 'generator': step_counter(names[1])}
    d_optimizer, g_optimizer = self.optimizers()
    self.train_discriminator = towers.apply_towers(built, key, d_optimizer,
                                                   counter=self.counters[key])
    self.train_generator = towers.apply_towers(built, 'generator', g_optimizer,
                                               counter=self.counters['generator'])
    self.constrain = self.constraint('clip_weights')
    self.train_discriminator_then_constrain = self.train_discriminator
    if self.constrain is not None:
      with tf1.control_dependencies([self.train_discriminator]):
        self.train_discriminator_then_constrain = self.constraint('clip_after_update')

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

  def _discriminator_feed(self):
    c, data = self.config, self.data
    feed = {self.real: data.image_sample(c.batch_size),
            self.z: data.noise_sample(c.batch_size, c.z_dim, self.noise_distribution)}
    for placeholder, draw in self.extra_inputs.values():
      feed[placeholder] = draw(data, c.batch_size)
    feed.update(self._phase())
    return feed

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
    _, g_value = sess.run(
        [self.train_generator, self.loss_tensors[self.generator_loss]],
        {self.z: self.data.noise_sample(self.config.batch_size, self.config.z_dim,
                                        self.noise_distribution),
         **self._phase()})
    values = dict(zip(d_names, d_values), **{self.generator_loss: g_value})
    return {name: float(values[name]) for name in self._names}

  def fixed_noise(self, num):
    """``num`` noise vectors from the seed alone; a longer draw extends a shorter one."""
    return draw_noise(np.random.default_rng(self.config.seed + FIXED_NOISE_SEED_OFFSET),
                      (num, self.config.z_dim), self.noise_distribution)

  def sample(self, sess, num):
    """``num`` samples from fixed noise; images in training-size batches (batch statistics)."""
    noise = self.fixed_noise(num)
    if self.sample_kind == 'points':
      return sess.run(self.fake, {self.z: noise, **self._phase()})
    batch = self.config.batch_size
    return np.concatenate([sess.run(self.fake, {self.z: noise[i:i + batch], **self._phase()})
                           for i in range(0, num, batch)])

  def final_report(self, sess):
    """Mode metrics on 2-D mixtures; sample quality on the embedded image sets."""
    if self.sample_kind == 'points':
      return sample_mode_report(self, sess)
    return quality.sample_quality_report(self, sess)

  def keras_exports(self):
    return {'g': self.generator.model, 'd': self.discriminator.model}
