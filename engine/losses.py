"""GAN losses as small pure functions of critic/discriminator outputs."""
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
