"""Critic penalties as small pure functions (compare_gan's penalty_lib idea).

The gradient penalty of WGAN-GP (Gulrajani et al. 2017, eq. 3) takes its interpolation weights
``epsilon`` as a tensor instead of drawing them inside the graph. The models feed epsilon from the
data sampler's numpy RNG, the same RNG that draws the noise z: its state is part of the data
position the engine checkpoints, so a resumed run draws exactly the epsilons an uninterrupted run
would have drawn, and CPU and GPU see identical epsilons. A stateful in-graph ``tf.random.uniform``
would restart its sequence on resume (op seeds restart with the process), and
``tf.random.stateless_uniform`` would need a counter threaded into its seed; feeding avoids both.
"""
from graphgan.engine.compat import tf, tf1

# Added to the squared gradient norm before the square root so a zero gradient (e.g. every ReLU
# dead at an interpolate) gives a finite derivative; TF-GAN uses the same guard. Its effect on the
# norm is below float32 resolution for any norm above 1e-4.
NORM_EPSILON = 1e-10


def epsilon_placeholder(name='gp_epsilon'):
  """A float32 (batch,) placeholder for the interpolation weights, fed U[0, 1) per example."""
  return tf1.placeholder(tf.float32, shape=(None,), name=name)


def interpolates(real, fake, epsilon):
  """``epsilon * real + (1 - epsilon) * fake`` per example; epsilon has shape (batch,)."""
  weight = tf.reshape(epsilon, [-1] + [1] * (real.shape.rank - 1))
  return weight * real + (1.0 - weight) * fake


def gradient_penalty(critic, real, fake, epsilon):
  """``mean((||grad_x D(x_hat)||_2 - 1)^2)`` over x_hat on the lines between real and fake.

  ``critic`` is a callable (network) from a batch to (batch, 1) scores. The result is
  differentiable in the critic's weights (the gradient of a gradient), so the critic's train
  op can minimise it; multiply by the penalty weight lambda outside.
  """
  with tf1.name_scope('gradient_penalty'):
    points = interpolates(real, fake, epsilon)
    scores = critic(points)
    gradients = tf.gradients(scores, [points])[0]
    axes = list(range(1, points.shape.rank))
    slopes = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=axes) + NORM_EPSILON)
    return tf.reduce_mean(tf.square(slopes - 1.0))
