"""An LSGAN whose samples come from an exponential moving average of its generator, with both
learning rates decayed by the step counters and logged: written as a plugin.

The average is the engine's (``--generator_ema_decay``; samples, evaluations, exports and
bin/sample use it); the learning rates are tensors of ``self.counters``, declared in
``learning_rates`` so TensorBoard shows them as ``learning_rate/<name>``.
PYTHONPATH=examples bin/train --import=ema_gan --model=ema_gan [flags]
"""
import dataclasses

from graphgan.engine import losses
from graphgan.engine.compat import tf1
from graphgan.engine.config import hparam
from graphgan.engine.gan import AlternatingGAN
from graphgan.engine.registry import register
from graphgan.models.networks import GANNetworkConfig, gan_discriminator, gan_generator


@dataclasses.dataclass(frozen=True)
class EmaGANConfig(GANNetworkConfig):
  generator_ema_decay: float = hparam(0.999, 'Decay of the generator average.', lower=0, upper=0.999999)
  learning_rate: float = hparam(2e-4, 'Adam learning rate of both networks at step 0.', lower=0)
  decay_steps: int = hparam(1000, 'The learning rates halve every N updates.', lower=1)


@register('ema_gan')
class EmaGAN(AlternatingGAN):
  Config = EmaGANConfig
  default_data = 'shapes64'
  feed_learning_phase = True

  def build_generator(self):
    return gan_generator(self.config, self.example_shape, 'ema_gan')

  def build_discriminator(self):
    return gan_discriminator(self.config, self.example_shape, 'ema_gan',
                             name='discriminator')

  def losses(self, gan):
    return {'d_loss': losses.least_squares_discriminator_loss(gan.real_scores, gan.fake_scores),
            'g_loss': losses.least_squares_generator_loss(gan.fake_scores)}

  def learning_rates(self):
    c = self.config
    return {key: tf1.train.exponential_decay(c.learning_rate, counter, c.decay_steps, 0.5)
            for key, counter in self.counters.items()}

  def optimizers(self):
    rates = self.learning_rate_tensors   # learning_rates(), built once by the engine
    return (tf1.train.AdamOptimizer(rates['discriminator'], 0.5, name='adam_discriminator'),
            tf1.train.AdamOptimizer(rates['generator'], 0.5, name='adam_generator'))
