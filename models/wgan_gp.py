"""WGAN-GP (Gulrajani et al. 2017): a Wasserstein critic kept 1-Lipschitz by a gradient penalty.

Algorithm 1 of the paper: each iteration runs ``critic_steps`` critic updates, each on a fresh real
batch, fresh noise and fresh interpolation weights epsilon, minimising
``D(G(z)) - D(x) + lambda * (||grad D(x_hat)|| - 1)^2``; then one generator update minimising
``-D(G(z))``. Both use Adam (lr 1e-4, beta1 0, beta2 0.9). No batch norm in the critic: the penalty
is per example, and batch norm makes each example's score depend on the rest of the batch.
Networks follow the data: images get the DCGAN generator/critic shared with ``wgan``; 2-D points
get the paper's toy MLPs (ReLU hidden layers, 512 units, noise dim 2).
"""
import dataclasses

import numpy as np

from engine import losses, penalties, quality, towers
from engine.compat import keras, tf, tf1
from engine.config import hparam
from engine.errors import UserError
from engine.metrics import sample_mode_report
from engine.model import Model
from engine.network import KerasNetwork
from engine.registry import register
from engine.train_ops import step_counter
from models.networks import ImageNetworkConfig, dcgan_critic, dcgan_generator

SAMPLE_SEED_OFFSET = 1  # fixed sample noise comes from seed + this, apart from the training noise


@dataclasses.dataclass(frozen=True)
class WganGpConfig(ImageNetworkConfig):
  """The paper's defaults (gan_64x64.py of the authors' code: batch 64, 5 critic steps, lambda 10)."""
  train_steps: int = hparam(200000, 'Generator iterations in total (the authors\' gan_64x64.py: '
                            '200000).', lower=1)
  batch_size: int = hparam(64, 'Examples per batch.', lower=1)
  z_dim: int = hparam(128, 'Generator noise dimension (paper 64x64 code: 128; toy: 2).', lower=1)
  critic_steps: int = hparam(5, 'Critic updates per generator update.', lower=1)
  gradient_penalty_weight: float = hparam(
      10.0, 'lambda: weight of the gradient penalty in the critic loss (paper 10, toy 0.1).',
      lower=0.0)
  learning_rate_d: float = hparam(1e-4, 'Adam learning rate of the critic.', lower=0.0,
                                  lower_exclusive=True)
  learning_rate_g: float = hparam(1e-4, 'Adam learning rate of the generator.', lower=0.0,
                                  lower_exclusive=True)
  adam_beta1: float = hparam(0.0, 'Adam beta1 of both optimizers (paper 0; some code 0.5).',
                             lower=0.0, upper=1.0)
  adam_beta2: float = hparam(0.9, 'Adam beta2 of both optimizers.', lower=0.0, upper=1.0)
  critic_norm: str = hparam(
      'layer', "Normalization in the image critic: 'layer' normalises each example over "
      "(H, W, C) as the authors' code; 'layer_per_pixel' each pixel over its channels (Keras' "
      'default axis). Batch norm is not offered: it couples the per-example penalty across the '
      'batch (and fused batch norm has no second derivative).',
      choices=['layer', 'layer_per_pixel', 'none'])
  generator_norm: str = hparam('batch', "Normalization in the image generator ('layer': per "
                               "example over (H, W, C); 'layer_per_pixel': over channels).",
                               choices=['batch', 'layer', 'layer_per_pixel', 'none'])
  mlp_hidden_layers: int = hparam(3, 'Hidden ReLU layers of the point-data (2-D) MLPs.', lower=1)
  mlp_hidden_units: int = hparam(512, 'Units per hidden layer of the point-data MLPs.', lower=1)


def mlp(input_dim, output_dim, hidden_layers, hidden_units, name):
  """Input -> [Dense(hidden_units) -> ReLU] x hidden_layers -> Dense(output_dim), linear output.

  Hidden layers use He-uniform initialisation, as the authors' toy code (tflib Linear, 'he').
  """
  inputs = keras.Input((input_dim,), name='inputs')
  h = inputs
  for i in range(hidden_layers):
    h = keras.layers.Dense(hidden_units, activation='relu', kernel_initializer='he_uniform',
                           name=f'hidden{i}')(h)
  outputs = keras.layers.Dense(output_dim, name='outputs')(h)
  return keras.Model(inputs, outputs, name=name)


@register('wgan_gp')
class WganGp(Model):
  """Critic with gradient penalty, ``critic_steps`` Adam critic updates per generator update."""

  Config = WganGpConfig
  default_data = 'shapes64'
  supports_towers = True

  def __init__(self, config, data):
    super().__init__(config, data)
    self.example_shape = tuple(data.example_shape)
    self.sample_kind = 'points' if len(self.example_shape) == 1 else 'images'
    self._sample_noise_rng_seed = config.seed + SAMPLE_SEED_OFFSET

  # -- graph -------------------------------------------------------------------------------
  def _build_networks(self):
    c = self.config
    if self.sample_kind == 'points':
      dim = self.example_shape[0]
      generator = mlp(c.z_dim, dim, c.mlp_hidden_layers, c.mlp_hidden_units, 'generator')
      critic = mlp(dim, 1, c.mlp_hidden_layers, c.mlp_hidden_units, 'critic')
    else:
      if len(self.example_shape) != 3 or self.example_shape[0] % 16:
        raise UserError(f'--data: wgan_gp needs 2-D points or square HxWxC images with a side '
                        f'divisible by 16; got examples of shape {self.example_shape}')
      generator = dcgan_generator(c.z_dim, c.g_base_channels, self.example_shape,
                                  norm=c.generator_norm, name='generator')
      critic = dcgan_critic(c.d_base_channels, self.example_shape, norm=c.critic_norm,
                            name='critic')
    return KerasNetwork(generator), KerasNetwork(critic)

  def build(self):
    c = self.config
    self.generator, self.critic = self._build_networks()
    self.real = tf1.placeholder(tf.float32, (None,) + self.example_shape, name='real')
    self.z = tf1.placeholder(tf.float32, (None, c.z_dim), name='z')
    self.epsilon = penalties.epsilon_placeholder()

    built = towers.build_towers(c.num_gpus, self._losses, [self.real, self.z, self.epsilon],
                                {'critic': self.critic, 'generator': self.generator})
    self.fake = built.outputs['fake']
    self.d_loss, self.gradient_penalty = built.losses['d_loss'], built.losses['gradient_penalty']
    self.critic_loss, self.g_loss = built.losses['critic'], built.losses['generator']

    self.critic_counter = step_counter('critic_steps')
    self.generator_counter = step_counter('generator_steps')
    adam = lambda lr, name: tf1.train.AdamOptimizer(lr, c.adam_beta1, c.adam_beta2, name=name)
    self.train_critic = towers.apply_towers(built, 'critic', adam(c.learning_rate_d, 'adam_critic'),
                                            counter=self.critic_counter)
    self.train_generator = towers.apply_towers(built, 'generator',
                                               adam(c.learning_rate_g, 'adam_generator'),
                                               counter=self.generator_counter)

  def _losses(self, real, z, epsilon):
    """The paper's losses on one batch (or one tower's slice of it), and the fakes."""
    c = self.config
    # The generator runs in training mode (batch statistics) in both steps, as in the paper's code.
    fake = self.generator(z, training=True)
    real_scores = self.critic(real)
    fake_scores = self.critic(fake)

    with tf1.name_scope('losses'):
      d_loss = losses.wasserstein_critic_loss(real_scores, fake_scores)
      gradient_penalty = penalties.gradient_penalty(self.critic, real, fake, epsilon)
      critic_loss = d_loss + c.gradient_penalty_weight * gradient_penalty
      g_loss = losses.wasserstein_generator_loss(fake_scores)
    return ({'critic': critic_loss, 'generator': g_loss, 'd_loss': d_loss,
             'gradient_penalty': gradient_penalty}, {'fake': fake})

  def networks(self):
    return [self.generator, self.critic]

  # -- loop --------------------------------------------------------------------------------
  def _critic_feed(self):
    c = self.config
    return {self.real: self.data.image_sample(c.batch_size),
            self.z: self.data.noise_sample(c.batch_size, c.z_dim),
            # Drawn by the sampler's RNG (checkpointed with the data position): exact on resume.
            self.epsilon: self.data.rng.uniform(size=c.batch_size).astype(np.float32)}

  def iteration(self, sess, step):
    """``critic_steps`` critic updates, then one generator update; losses of the last of each."""
    c = self.config
    for _ in range(c.critic_steps):
      _, d_loss, penalty, critic_loss = sess.run(
          [self.train_critic, self.d_loss, self.gradient_penalty, self.critic_loss],
          self._critic_feed())
    _, g_loss = sess.run([self.train_generator, self.g_loss],
                         {self.z: self.data.noise_sample(c.batch_size, c.z_dim)})
    return {'d_loss': float(d_loss), 'g_loss': float(g_loss),
            'gradient_penalty': float(penalty), 'critic_loss': float(critic_loss)}

  def sample(self, sess, num):
    """``num`` samples from fixed noise (the same every call, apart from the training noise)."""
    rng = np.random.default_rng(self._sample_noise_rng_seed)
    noise = rng.standard_normal((num, self.config.z_dim)).astype(np.float32)
    if self.sample_kind == 'points':
      return sess.run(self.fake, {self.z: noise})
    batch = self.config.batch_size   # images: batch statistics over training-size batches
    return np.concatenate([sess.run(self.fake, {self.z: noise[i:i + batch]})
                           for i in range(0, num, batch)])

  def final_report(self, sess):
    """Mode metrics on 2-D mixtures; sample quality on shapes64 (``engine/quality.py``)."""
    if self.sample_kind == 'points':
      return sample_mode_report(self, sess)
    return quality.sample_quality_report(self, sess)

  def keras_exports(self):
    return {'g': self.generator.model, 'd': self.critic.model}
