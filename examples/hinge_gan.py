"""A hinge-loss GAN (SAGAN's and BigGAN's losses), written as a plugin: not a graphgan model.

PYTHONPATH=examples bin/train --import=hinge_gan --model=hinge_gan [flags]
"""
import dataclasses

from graphgan.engine import losses
from graphgan.engine.compat import tf1
from graphgan.engine.config import hparam
from graphgan.engine.gan import AlternatingGAN
from graphgan.engine.registry import register
from graphgan.models.networks import GANNetworkConfig, gan_discriminator, gan_generator


@dataclasses.dataclass(frozen=True)
class HingeGANConfig(GANNetworkConfig):
  learning_rate_d: float = hparam(4e-4, 'Adam learning rate of the discriminator.', lower=0)
  learning_rate_g: float = hparam(1e-4, 'Adam learning rate of the generator.', lower=0)


@register('hinge_gan')
class HingeGAN(AlternatingGAN):
  Config = HingeGANConfig
  default_data = 'shapes64'
  feed_learning_phase = True

  def build_generator(self):
    return gan_generator(self.config, self.example_shape, 'hinge_gan')

  def build_discriminator(self):
    return gan_discriminator(self.config, self.example_shape, 'hinge_gan', norm='none',
                             name='discriminator')

  def losses(self, gan):
    return {'d_loss': losses.hinge_discriminator_loss(gan.real_scores, gan.fake_scores),
            'g_loss': losses.hinge_generator_loss(gan.fake_scores)}

  def optimizers(self):
    c = self.config
    return (tf1.train.AdamOptimizer(c.learning_rate_d, 0.0, 0.9, name='adam_discriminator'),
            tf1.train.AdamOptimizer(c.learning_rate_g, 0.0, 0.9, name='adam_generator'))
