"""WGAN with weight clipping: Keras-built networks, raw TF1 optimisation (MISSION style A).

The networks, noise and sampler are the author's (daigo0927/WGAN_GP at 43e1375: model.py,
misc/dataIO.py; docs/wgan.md says where each default comes from). As documented: placeholders for real 64x64x3 images and noise ``z`` (dim 100);
``d_loss = -(mean(D(x)) - mean(D(G(z))))``, ``g_loss = -mean(D(G(z)))``; RMSProp 5e-5 for the
critic and 1e-5 for the generator, each over its Keras model's trainable weights; 5 critic steps
per generator step; critic weights clipped to [-0.01, 0.01] before each critic update (the
documented code; ``--clip_order=after`` clips after it, as in the paper); ``K.learning_phase(): 1``
fed to every run (the networks hold BatchNormalization).

Not copied: the documented numpy clipping (``get_weights``/``np.clip``/``set_weights``) and the
separate ``sess.run`` for the losses — clipping is one prebuilt grouped op, and the losses come
back with the train ops. "Clip, update" pairs are fused as "update, then clip" ops with a control
dependency so the sequence C U C U ... C U G costs n_critic + 2 runs, not 2 n_critic + 1.
Placeholders, towers, counters, feeds, samples and exports: ``engine/gan.py``.
"""
import dataclasses

from graphgan.engine import losses
from graphgan.engine.compat import tf1
from graphgan.engine.config import hparam
from graphgan.engine.data.source import NOISE_DISTRIBUTIONS
from graphgan.engine.gan import AlternatingGAN
from graphgan.engine.graph.train_ops import clip_op
from graphgan.engine.registry import register
from graphgan.models.networks import PROJECTION_NORMS, ImageNetworkConfig, dcgan_critic, dcgan_generator


@dataclasses.dataclass(frozen=True)
class WGANConfig(ImageNetworkConfig):
  """Documented defaults of the WGAN (weight clipping) write-up."""
  train_steps: int = hparam(10000, 'Generator iterations in total.', lower=1)
  log_every_steps: int = hparam(10, 'Progress line every N iterations. Its d_loss is the critic '
                                'loss of the last critic update (that update\'s batch, before it), '
                                'not the article\'s printout after the generator step '
                                '(docs/wgan.md).', lower=1, on_resume='free')
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
  clip_weights: str = hparam('all', "Critic weights clipped: 'all' (the documented "
                             "get_weights(): BatchNormalization moving statistics too, which "
                             "training never reads) or 'trainable'.", choices=('all', 'trainable'))
  g_projection_norm: str = hparam('per_unit', "Generator BatchNormalization of the Dense "
                                  "projection: 'per_unit' (before the Reshape, the author's "
                                  "model.py) or 'per_channel' (after it, DCGAN).",
                                  choices=PROJECTION_NORMS)
  noise: str = hparam('uniform', "Generator noise z: 'uniform' U(-1, 1) (the author's "
                      "noise_sample) or 'normal' N(0, 1).", choices=NOISE_DISTRIBUTIONS)
  data_sampling: str = hparam('subsets', "'subsets': the author's sampler (a random "
                              "1/--data_split of the set loaded --data_split times per epoch of "
                              "N/batch iterations, each batch drawn at random from it); "
                              "'epochs': every example once per shuffled epoch.",
                              choices=('epochs', 'subsets'))


@register('wgan')
class WGAN(AlternatingGAN):
  """Style A: the documented WGAN iteration on the engine's alternating GAN."""

  Config = WGANConfig
  default_data = 'shapes64'
  discriminator_key = 'critic'
  counter_names = ('critic_updates', 'generator_updates')
  feed_learning_phase = True     # the networks hold BatchNormalization: batch statistics

  @property
  def example_shape(self):
    return (self.config.image_size, self.config.image_size, 3)

  @property
  def constraint_order(self):
    return self.config.clip_order

  @property
  def noise_distribution(self):
    return self.config.noise

  def build_generator(self):
    c = self.config
    return dcgan_generator(c.z_dim, c.g_base_channels, self.example_shape,
                           projection_norm=c.g_projection_norm)

  def build_discriminator(self):
    return dcgan_critic(self.config.d_base_channels, self.example_shape)

  def losses(self, gan):
    return {'d_loss': losses.wasserstein_critic_loss(gan.real_scores, gan.fake_scores),
            'g_loss': losses.wasserstein_generator_loss(gan.fake_scores)}

  def optimizers(self):
    return (tf1.train.RMSPropOptimizer(self.config.learning_rate_d),
            tf1.train.RMSPropOptimizer(self.config.learning_rate_g))

  def constraint(self, name):
    """Critic weights clipped to [-c, c]: all of them (``--clip_weights``), as the documented
    ``np.clip`` over ``get_weights()``, or the trainable ones only."""
    c, critic = self.config.clip_value, self.discriminator
    weights = critic.variables if self.config.clip_weights == 'all' else \
        critic.trainable_variables
    return clip_op(weights, -c, c, name=name)

  def discriminator_steps_at(self, step):
    """Critic updates in generator iteration ``step`` (0-based), with the optional warm-up rule."""
    warmup = self.config.warmup_critic_steps
    if warmup and (step < 25 or step % 500 == 0):
      return warmup
    return self.config.critic_steps
