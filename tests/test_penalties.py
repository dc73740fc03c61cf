"""The gradient penalty against its closed form, and its gradient in the critic's weights."""
import numpy as np
import pytest

from graphgan.engine import losses, penalties
from graphgan.engine.compat import keras, tf, tf1
from graphgan.models.networks import dcgan_critic


def _run(fetches, feed=None, graph=None):
  with tf1.Session(graph=graph or tf1.get_default_graph()) as sess:
    sess.run(tf1.global_variables_initializer())
    return sess.run(fetches, feed)


@pytest.mark.parametrize('example_shape', [(3,), (4, 4, 2)])
def test_penalty_of_linear_critic_is_squared_norm_gap(example_shape):
  """D(x) = <w, x> + b has grad w everywhere: penalty = (||w|| - 1)^2, d/dw = 2(||w||-1) w/||w||."""
  rng = np.random.default_rng(0)
  dim = int(np.prod(example_shape))
  w_value = rng.normal(size=(dim, 1)).astype(np.float32)
  with tf.Graph().as_default() as graph:
    w = tf1.get_variable('w', initializer=w_value)
    b = tf1.get_variable('b', initializer=np.float32(0.3))
    critic = lambda x: tf.matmul(tf.reshape(x, (-1, dim)), w) + b
    real = tf1.placeholder(tf.float32, (None,) + example_shape)
    fake = tf1.placeholder(tf.float32, (None,) + example_shape)
    epsilon = penalties.epsilon_placeholder()
    penalty = penalties.gradient_penalty(critic, real, fake, epsilon)
    grad_w = tf.gradients(penalty, [w])[0]
    feed = {real: rng.normal(size=(5,) + example_shape), fake: rng.normal(size=(5,) + example_shape),
            epsilon: rng.uniform(size=5)}
    got_penalty, got_grad = _run([penalty, grad_w], feed, graph)
  norm = np.linalg.norm(w_value.astype(np.float64))
  np.testing.assert_allclose(got_penalty, (norm - 1.0) ** 2, rtol=1e-5)
  np.testing.assert_allclose(got_grad, 2 * (norm - 1.0) * w_value / norm, rtol=1e-5, atol=1e-6)


def test_penalty_is_taken_per_example_at_the_fed_interpolates():
  """D(x) = s/2 ||x||^2 has grad s*x: penalty = mean_i (s ||eps_i x_i + (1-eps_i) y_i|| - 1)^2."""
  rng = np.random.default_rng(1)
  x, y = rng.normal(size=(6, 2, 3, 1)), rng.normal(size=(6, 2, 3, 1))
  eps = rng.uniform(size=6)
  scale = 0.7
  with tf.Graph().as_default() as graph:
    s = tf1.get_variable('s', initializer=np.float32(scale))
    critic = lambda v: 0.5 * s * tf.reduce_sum(tf.square(v), axis=[1, 2, 3])[:, None]
    real = tf1.placeholder(tf.float32, (None, 2, 3, 1))
    fake = tf1.placeholder(tf.float32, (None, 2, 3, 1))
    epsilon = penalties.epsilon_placeholder()
    penalty = penalties.gradient_penalty(critic, real, fake, epsilon)
    grad_s = tf.gradients(penalty, [s])[0]
    got_penalty, got_grad = _run([penalty, grad_s], {real: x, fake: y, epsilon: eps}, graph)
  norms = np.linalg.norm((eps[:, None, None, None] * x + (1 - eps[:, None, None, None]) * y)
                         .reshape(6, -1), axis=1)
  np.testing.assert_allclose(got_penalty, np.mean((scale * norms - 1) ** 2), rtol=1e-5)
  np.testing.assert_allclose(got_grad, np.mean(2 * (scale * norms - 1) * norms), rtol=1e-5)


@pytest.mark.parametrize('norm', ['layer', 'layer_per_pixel', 'none'])
def test_penalty_gradient_reaches_every_kernel_of_the_dcgan_critic(norm):
  """Second derivatives through conv, LeakyReLU and layer norm: every kernel gets a nonzero gradient."""
  rng = np.random.default_rng(2)
  with tf.Graph().as_default() as graph:
    keras.utils.set_random_seed(0)
    critic = dcgan_critic(base_channels=4, image_shape=(16, 16, 3), norm=norm)
    real = tf1.placeholder(tf.float32, (None, 16, 16, 3))
    fake = tf1.placeholder(tf.float32, (None, 16, 16, 3))
    epsilon = penalties.epsilon_placeholder()
    penalty = penalties.gradient_penalty(critic, real, fake, epsilon)
    kernels = [v for v in critic.trainable_weights if 'kernel' in v.name or 'gamma' in v.name]
    grads = tf.gradients(penalty, kernels)
    assert all(g is not None for g in grads), [v.name for v, g in zip(kernels, grads) if g is None]
    feed = {real: rng.uniform(-1, 1, (4, 16, 16, 3)), fake: rng.uniform(-1, 1, (4, 16, 16, 3)),
            epsilon: rng.uniform(size=4)}
    values = _run(grads, feed, graph)
  for variable, value in zip(kernels, values):
    assert np.all(np.isfinite(value)), variable.name
    assert np.abs(value).max() > 0, f'penalty does not move {variable.name}'


def test_wasserstein_losses_are_the_documented_formulas():
  """d_loss = -(mean D(x) - mean D(G(z))), g_loss = -mean D(G(z))."""
  real_scores, fake_scores = np.array([[1.0], [3.0]]), np.array([[-2.0], [0.5], [0.0]])
  with tf.Graph().as_default() as graph:
    d_loss = losses.wasserstein_critic_loss(tf.constant(real_scores), tf.constant(fake_scores))
    g_loss = losses.wasserstein_generator_loss(tf.constant(fake_scores))
    got_d, got_g = _run([d_loss, g_loss], graph=graph)
  assert got_d == pytest.approx(-(2.0 - (-0.5)))
  assert got_g == pytest.approx(0.5)
