"""DRAGAN (Kodali et al. 2017): a gradient penalty around the real data, written as a plugin.

x_hat = alpha x + (1 - alpha) (x + 0.5 std(x) u), u ~ U[0, 1) per pixel, alpha ~ U[0, 1) per example,
both fed (``inputs``) from the sampler's RNG, so a resumed run draws what it would have drawn.
PYTHONPATH=examples bin/train --import=dragan --model=dragan [flags]
"""
import dataclasses

from graphgan.engine import losses, penalties
from graphgan.engine.compat import tf, tf1
from graphgan.engine.config import hparam
from graphgan.engine.gan import AlternatingGAN, Input
from graphgan.engine.registry import register
from graphgan.models.networks import GANNetworkConfig, gan_discriminator, gan_generator


@dataclasses.dataclass(frozen=True)
class DraganConfig(GANNetworkConfig):
  penalty_weight: float = hparam(10.0, 'Weight of the gradient penalty (lambda).', lower=0)
  learning_rate: float = hparam(2e-4, 'Adam learning rate of both networks.', lower=0)


@register('dragan')
class Dragan(AlternatingGAN):
  Config = DraganConfig
  default_data = 'shapes64'

  def build_generator(self):
    return gan_generator(self.config, self.example_shape, 'dragan')

  def build_discriminator(self):
    return gan_discriminator(self.config, self.example_shape, 'dragan', norm='none',
                             name='discriminator')

  def inputs(self):
    shape = self.example_shape
    return {'alpha': Input(penalties.epsilon_placeholder,
                           lambda data, n: data.rng.uniform(size=n).astype('float32')),
            'u': Input(lambda: tf1.placeholder(tf.float32, (None,) + shape, name='u'),
                       lambda data, n: data.rng.uniform(size=(n,) + shape).astype('float32'))}

  def losses(self, gan):
    real, (alpha, u) = gan.real, (gan.inputs['alpha'], gan.inputs['u'])
    perturbed = real + 0.5 * tf.math.reduce_std(real) * u
    penalty = penalties.gradient_penalty(self.discriminator, real, perturbed, alpha)
    d_loss = losses.minimax_discriminator_loss(gan.real_scores, gan.fake_scores)
    return {'d_loss': d_loss + self.config.penalty_weight * penalty, 'gradient_penalty': penalty,
            'g_loss': losses.non_saturating_generator_loss(gan.fake_scores)}

  def optimizers(self):
    rate = self.config.learning_rate
    return (tf1.train.AdamOptimizer(rate, 0.5, name='adam_discriminator'),
            tf1.train.AdamOptimizer(rate, 0.5, name='adam_generator'))
