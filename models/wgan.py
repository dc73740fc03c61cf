"""WGAN with weight clipping: Keras-built networks, raw TF1 optimisation (MISSION style A).

As documented: placeholders ``x`` (real 64x64x3 images) and ``z`` (noise, dim 100);
``d_loss = -(mean(D(x)) - mean(D(G(z))))``, ``g_loss = -mean(D(G(z)))``; RMSProp 5e-5 for the
critic and 1e-5 for the generator, each over its Keras model's trainable weights; 5 critic steps
per generator step; critic weights clipped to [-0.01, 0.01] before each critic update (the
documented code; ``--clip_order=after`` clips after it, as in the paper); ``K.learning_phase(): 1``
fed to every run (the networks hold BatchNormalization).

Not copied: the documented numpy clipping (``get_weights``/``np.clip``/``set_weights``) and the
separate ``sess.run`` for the losses — clipping is one prebuilt grouped op, and the losses come
back with the train ops. "Clip, update" pairs are fused as "update, then clip" ops with a control
dependency so the sequence C U C U ... C U G costs n_critic + 2 runs, not 2 n_critic + 1.
"""
import dataclasses

import numpy as np

from engine import losses, quality, towers
from engine.compat import tf, tf1, K
from engine.config import hparam
from engine.model import Model
from engine.network import KerasNetwork
from engine.registry import register
from engine.train_ops import clip_op, step_counter
from models.networks import ImageNetworkConfig, dcgan_generator, dcgan_critic


@dataclasses.dataclass(frozen=True)
class WGANConfig(ImageNetworkConfig):
  """Documented defaults of the WGAN (weight clipping) write-up."""
  train_steps: int = hparam(10000, 'Generator iterations in total.', lower=1)
  batch_size: int = hparam(64, 'Images per critic / generator batch.', lower=1)
  z_dim: int = hparam(100, 'Dimension of the generator noise z.', lower=1)
  learning_rate_d: float = hparam(5e-5, 'RMSProp learning rate of the critic.', lower=0,
                                  lower_exclusive=True)
  learning_rate_g: float = hparam(1e-5, 'RMSProp learning rate of the generator.', lower=0,
                                  lower_exclusive=True)
  critic_steps: int = hparam(5, 'Critic updates per generator update.', lower=1)
  warmup_critic_steps: int = hparam(0, 'Critic updates for the first 25 generator iterations '
                                    'and every 500th (reference implementations: 100; 0 = off, '
                                    'the documented code).', lower=0)
  clip_value: float = hparam(0.01, 'Critic weights are clipped to [-c, c].', lower=0,
                             lower_exclusive=True)
  clip_order: str = hparam('before', "'before' each critic update (documented code) or "
                           "'after' it (paper).", choices=('before', 'after'))


@register('wgan')
class WGAN(Model):
  """Style A: the documented WGAN iteration on prebuilt ops."""

  Config = WGANConfig
  default_data = 'shapes64'
  supports_towers = True

  @property
  def example_shape(self):
    return (self.config.image_size, self.config.image_size, 3)

  def build(self):
    config = self.config
    self.x = tf1.placeholder(tf.float32, (None,) + self.example_shape, name='x')
    self.z = tf1.placeholder(tf.float32, (None, config.z_dim), name='z')
    self.learning_phase = K.learning_phase()
    self.generator = KerasNetwork(dcgan_generator(config.z_dim, config.g_base_channels,
                                                  self.example_shape))
    self.critic = KerasNetwork(dcgan_critic(config.d_base_channels, self.example_shape))

    built = towers.build_towers(config.num_gpus, self._losses, [self.x, self.z],
                                {'critic': self.critic, 'generator': self.generator})
    self.d_loss, self.g_loss = built.losses['critic'], built.losses['generator']
    self.fake, self.real_scores = built.outputs['fake'], built.outputs['real_scores']

    self.critic_updates = step_counter('critic_updates')
    self.generator_updates = step_counter('generator_updates')
    self.d_train = towers.apply_towers(built, 'critic',
                                       tf1.train.RMSPropOptimizer(config.learning_rate_d),
                                       counter=self.critic_updates)
    self.g_train = towers.apply_towers(built, 'generator',
                                       tf1.train.RMSPropOptimizer(config.learning_rate_g),
                                       counter=self.generator_updates)
    critic_weights = self.critic.trainable_variables
    self.clip = clip_op(critic_weights, -config.clip_value, config.clip_value)
    with tf1.control_dependencies([self.d_train]):
      self.d_train_then_clip = clip_op(critic_weights, -config.clip_value, config.clip_value,
                                       name='clip_after_update')
    # Fixed noise for grids and evaluations (never the sampler's training RNG: resume is exact).
    self.eval_z = self.fixed_noise(quality.EVAL_SAMPLES)
    self.sample_z = self.eval_z[:64]

  def _losses(self, x, z):
    """The documented losses of one batch (or one tower's slice of it) and the fakes."""
    fake = self.generator(z)
    real_scores, fake_scores = self.critic(x), self.critic(fake)
    return ({'critic': losses.wasserstein_critic_loss(real_scores, fake_scores),
             'generator': losses.wasserstein_generator_loss(fake_scores)},
            {'fake': fake, 'real_scores': real_scores})

  def networks(self):
    return [self.generator, self.critic]

  def critic_steps_at(self, step):
    """Critic updates in generator iteration ``step`` (0-based), with the optional warm-up rule."""
    warmup = self.config.warmup_critic_steps
    if warmup and (step < 25 or step % 500 == 0):
      return warmup
    return self.config.critic_steps

  def iteration(self, sess, step):
    config, data = self.config, self.data
    learning_phase = self.learning_phase
    steps = self.critic_steps_at(step)
    if config.clip_order == 'before':
      sess.run(self.clip)
    for i in range(steps):
      # 'before': every update but the last is followed by the clip that precedes the next one.
      last = i == steps - 1
      train = self.d_train if (last and config.clip_order == 'before') else self.d_train_then_clip
      _, d_loss = sess.run([train, self.d_loss], {
          self.x: data.image_sample(config.batch_size),
          self.z: data.noise_sample(config.batch_size, config.z_dim),
          learning_phase: 1})
    _, g_loss = sess.run([self.g_train, self.g_loss], {
        self.z: data.noise_sample(config.batch_size, config.z_dim), learning_phase: 1})
    return {'d_loss': float(d_loss), 'g_loss': float(g_loss)}

  def sample(self, sess, num):
    """The first ``num`` fixed noise vectors' images, in training-size batches.

    Batch statistics, as in every documented run (learning phase 1); no update op is fetched.
    """
    noise = self.eval_z[:num] if num <= len(self.eval_z) else self.fixed_noise(num)
    batch = self.config.batch_size
    return np.concatenate([sess.run(self.fake, {self.z: noise[i:i + batch],
                                                self.learning_phase: 1})
                           for i in range(0, len(noise), batch)])

  def fixed_noise(self, num):
    """``num`` noise vectors from the seed alone; a longer draw extends a shorter one."""
    return np.random.default_rng(self.config.seed + 1).standard_normal(
        (num, self.config.z_dim)).astype(np.float32)

  def final_report(self, sess):
    """Sample quality of 1,000 fixed-noise images on shapes64 (``engine/quality.py``)."""
    return quality.sample_quality_report(self, sess)

  def keras_exports(self):
    return {'g': self.generator.model, 'd': self.critic.model}
