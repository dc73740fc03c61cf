"""GAN losses as small pure functions of critic/discriminator outputs."""
from engine.compat import tf


def wasserstein_critic_loss(real_scores, fake_scores):
  """``-(mean(D(x)) - mean(D(G(z))))``: the critic maximises the score gap."""
  return -(tf.reduce_mean(real_scores) - tf.reduce_mean(fake_scores))


def wasserstein_generator_loss(fake_scores):
  """``-mean(D(G(z)))``."""
  return -tf.reduce_mean(fake_scores)
