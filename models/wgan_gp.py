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

from graphgan.engine import losses, penalties
from graphgan.engine.compat import tf1
from graphgan.engine.config import hparam
from graphgan.engine.gan import AlternatingGAN, Input
from graphgan.engine.registry import register
from graphgan.models.networks import GANNetworkConfig, gan_discriminator, gan_generator


@dataclasses.dataclass(frozen=True)
class WganGpConfig(GANNetworkConfig):
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


@register('wgan_gp')
class WganGp(AlternatingGAN):
  """Critic with gradient penalty, ``critic_steps`` Adam critic updates per generator update."""

  Config = WganGpConfig
  default_data = 'shapes64'
  discriminator_key = 'critic'
  discriminator_loss = 'critic_loss'
  generator_training = True   # batch statistics in both steps, as in the paper's code

  def build_generator(self):
    return gan_generator(self.config, self.example_shape, 'wgan_gp',
                         norm=self.config.generator_norm)

  def build_discriminator(self):
    return gan_discriminator(self.config, self.example_shape, 'wgan_gp',
                             norm=self.config.critic_norm)

  def inputs(self):
    # Epsilon drawn by the sampler's RNG (checkpointed with the data position): exact on resume.
    return {'epsilon': Input(penalties.epsilon_placeholder,
                             lambda data, batch: data.rng.uniform(size=batch).astype(np.float32))}

  def losses(self, gan):
    """The paper's losses on one batch (or one tower's slice of it)."""
    with tf1.name_scope('losses'):
      d_loss = losses.wasserstein_critic_loss(gan.real_scores, gan.fake_scores)
      gradient_penalty = penalties.gradient_penalty(self.discriminator, gan.real, gan.fake,
                                                    gan.inputs['epsilon'])
      critic_loss = d_loss + self.config.gradient_penalty_weight * gradient_penalty
      g_loss = losses.wasserstein_generator_loss(gan.fake_scores)
    return {'d_loss': d_loss, 'g_loss': g_loss, 'gradient_penalty': gradient_penalty,
            'critic_loss': critic_loss}

  def optimizers(self):
    c = self.config
    return (tf1.train.AdamOptimizer(c.learning_rate_d, c.adam_beta1, c.adam_beta2,
                                    name='adam_critic'),
            tf1.train.AdamOptimizer(c.learning_rate_g, c.adam_beta1, c.adam_beta2,
                                    name='adam_generator'))
