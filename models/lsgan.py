"""LSGAN (Mao et al. 2017): least-squares losses instead of the sigmoid cross-entropy.

With the paper's labels a=0 (fake), b=1 (real), c=1 (what G wants D to believe):
``d_loss = 1/2 E[(D(x)-1)^2] + 1/2 E[D(G(z))^2]``, ``g_loss = 1/2 E[(D(G(z))-1)^2]``;
D outputs an unbounded score; Adam (lr 2e-4, beta1 0.5) for both networks, one D update per
G update. Networks follow the data (``models/networks.py``): DCGAN-style with batch norm for
images (learning phase 1: batch statistics), MLPs for 2-D points. The engine builds the rest.
"""
import dataclasses

from graphgan.engine import losses
from graphgan.engine.compat import tf1
from graphgan.engine.config import hparam
from graphgan.engine.gan import AlternatingGAN
from graphgan.engine.registry import register
from graphgan.models.networks import GANNetworkConfig, gan_discriminator, gan_generator


@dataclasses.dataclass(frozen=True)
class LSGANConfig(GANNetworkConfig):
  """The paper's optimizer settings (Adam, 2e-4, beta1 0.5)."""
  learning_rate_d: float = hparam(2e-4, 'Adam learning rate of the discriminator.', lower=0,
                                  lower_exclusive=True)
  learning_rate_g: float = hparam(2e-4, 'Adam learning rate of the generator.', lower=0,
                                  lower_exclusive=True)
  adam_beta1: float = hparam(0.5, 'Adam beta1 of both optimizers.', lower=0, upper=1)


@register('lsgan')
class LSGAN(AlternatingGAN):
  """One least-squares discriminator update, then one generator update."""

  Config = LSGANConfig
  default_data = 'shapes64'
  feed_learning_phase = True

  def build_generator(self):
    return gan_generator(self.config, self.example_shape, 'lsgan')

  def build_discriminator(self):
    return gan_discriminator(self.config, self.example_shape, 'lsgan', name='discriminator')

  def losses(self, gan):
    return {'d_loss': losses.least_squares_discriminator_loss(gan.real_scores, gan.fake_scores),
            'g_loss': losses.least_squares_generator_loss(gan.fake_scores)}

  def optimizers(self):
    c = self.config
    return (tf1.train.AdamOptimizer(c.learning_rate_d, c.adam_beta1, name='adam_discriminator'),
            tf1.train.AdamOptimizer(c.learning_rate_g, c.adam_beta1, name='adam_generator'))
