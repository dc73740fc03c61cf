"""GAN losses as small pure functions of critic/discriminator outputs (tests/test_losses.py checks
each against numpy)."""
from graphgan.engine.compat import tf


def wasserstein_critic_loss(real_scores, fake_scores):
  """``-(mean(D(x)) - mean(D(G(z))))``: the critic maximises the score gap."""
  return -(tf.reduce_mean(real_scores) - tf.reduce_mean(fake_scores))


def wasserstein_generator_loss(fake_scores):
  """``-mean(D(G(z)))``."""
  return -tf.reduce_mean(fake_scores)


def least_squares_discriminator_loss(real_scores, fake_scores):
  """LSGAN (Mao et al. 2017, eq. 2 with a=0, b=1): ``1/2 E[(D(x)-1)^2] + 1/2 E[D(G(z))^2]``."""
  return (0.5 * tf.reduce_mean(tf.square(real_scores - 1.0)) +
          0.5 * tf.reduce_mean(tf.square(fake_scores)))


def least_squares_generator_loss(fake_scores):
  """LSGAN (c=1): ``1/2 E[(D(G(z))-1)^2]``."""
  return 0.5 * tf.reduce_mean(tf.square(fake_scores - 1.0))


# -- the common GAN losses on logits (the discriminator's unbounded outputs) -------------------
def _xent(labels_like, logits, label):
  return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
      labels=tf.fill(tf.shape(labels_like), label), logits=logits))


def minimax_discriminator_loss(real_logits, fake_logits):
  """Goodfellow et al. 2014: ``-E[log D(x)] - E[log(1 - D(G(z)))]``, D = sigmoid(logits)."""
  return _xent(real_logits, real_logits, 1.0) + _xent(fake_logits, fake_logits, 0.0)


def minimax_generator_loss(fake_logits):
  """The saturating minimax generator loss: ``E[log(1 - D(G(z)))]``."""
  return -_xent(fake_logits, fake_logits, 0.0)


def non_saturating_generator_loss(fake_logits):
  """The non-saturating generator loss: ``-E[log D(G(z))]``."""
  return _xent(fake_logits, fake_logits, 1.0)


def hinge_discriminator_loss(real_scores, fake_scores):
  """Hinge (Lim & Ye 2017; SAGAN, BigGAN): ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``."""
  return (tf.reduce_mean(tf.nn.relu(1.0 - real_scores)) +
          tf.reduce_mean(tf.nn.relu(1.0 + fake_scores)))


def hinge_generator_loss(fake_scores):
  """Hinge generator loss: ``-E[D(G(z))]``."""
  return -tf.reduce_mean(fake_scores)


def relativistic_average_discriminator_loss(real_logits, fake_logits):
  """RaGAN (Jolicoeur-Martineau 2018): ``-E[log s(C(x) - E C(G(z)))] - E[log(1 - s(C(G(z)) -
  E C(x)))]``. Not a per-example mean: each example is compared with the other half's batch
  mean, so towers (a batch split in slices) change it (``AlternatingGAN.per_example_losses``)."""
  real_rel = real_logits - tf.reduce_mean(fake_logits)
  fake_rel = fake_logits - tf.reduce_mean(real_logits)
  return _xent(real_rel, real_rel, 1.0) + _xent(fake_rel, fake_rel, 0.0)


def relativistic_average_generator_loss(real_logits, fake_logits):
  """RaGAN's generator loss: the discriminator's with the labels swapped (needs real data)."""
  real_rel = real_logits - tf.reduce_mean(fake_logits)
  fake_rel = fake_logits - tf.reduce_mean(real_logits)
  return _xent(real_rel, real_rel, 0.0) + _xent(fake_rel, fake_rel, 1.0)
