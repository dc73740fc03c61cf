"""GAN losses as small pure functions of critic scores (compare_gan's loss_lib idea)."""
from engine.compat import tf


def wasserstein_critic_loss(real_scores, fake_scores):
  """``-(mean(D(x)) - mean(D(G(z))))``: the critic maximises the score gap real - fake."""
  return -(tf.reduce_mean(real_scores) - tf.reduce_mean(fake_scores))


def wasserstein_generator_loss(fake_scores):
  """``-mean(D(G(z)))``: the generator raises the critic's score of its samples."""
  return -tf.reduce_mean(fake_scores)
