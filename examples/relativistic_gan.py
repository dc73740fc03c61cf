"""A relativistic average GAN (RaGAN, Jolicoeur-Martineau 2018), written as a plugin.

Its generator loss needs real data: the engine feeds the generator's step what its loss depends
on. Its losses compare each example with the other half's batch mean, so they are not means over
examples: ``per_example_losses = False`` makes --num_gpus>1 a one-line refusal.
PYTHONPATH=examples bin/train --import=relativistic_gan --model=relativistic_gan [flags]
"""
import dataclasses

from graphgan.engine import losses
from graphgan.engine.compat import tf1
from graphgan.engine.config import hparam
from graphgan.engine.gan import AlternatingGAN
from graphgan.engine.registry import register
from graphgan.models.networks import GANNetworkConfig, gan_discriminator, gan_generator


@dataclasses.dataclass(frozen=True)
class RaGANConfig(GANNetworkConfig):
  learning_rate: float = hparam(2e-4, 'Adam learning rate of both networks.', lower=0)


@register('relativistic_gan')
class RelativisticGAN(AlternatingGAN):
  Config = RaGANConfig
  default_data = 'shapes64'
  feed_learning_phase = True
  per_example_losses = False

  def build_generator(self):
    return gan_generator(self.config, self.example_shape, 'relativistic_gan')

  def build_discriminator(self):
    return gan_discriminator(self.config, self.example_shape, 'relativistic_gan',
                             name='discriminator')

  def losses(self, gan):
    real, fake = gan.real_scores, gan.fake_scores
    return {'d_loss': losses.relativistic_average_discriminator_loss(real, fake),
            'g_loss': losses.relativistic_average_generator_loss(real, fake)}

  def optimizers(self):
    rate = self.config.learning_rate
    return (tf1.train.AdamOptimizer(rate, 0.5, name='adam_discriminator'),
            tf1.train.AdamOptimizer(rate, 0.5, name='adam_generator'))
