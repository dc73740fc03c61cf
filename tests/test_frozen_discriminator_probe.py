"""Probe of the DCGAN mechanism (MISSION style D), by values inside ``gan.train_on_batch``.

The frozen discriminator's BatchNormalization normalises the combined model's batch with its
moving statistics under the v2 class and with the batch's own statistics under v1, while the
discriminator's own ``train_on_batch`` uses batch statistics under both. Shown with a probe
small enough to compute the expected loss in numpy, and on the real chapter-4 models by
setting the frozen BN's moving statistics to absurd values and watching whether the loss moves.
"""
import numpy as np
import pytest

from graphgan.engine.compat import tf, tf1, keras, K
from graphgan.models.dcgan import BATCH_NORM_CLASSES, build_compiled_models, make_keras_functions

EPSILON = 0.001
MOVING_MEAN, MOVING_VARIANCE = 10.0, 4.0
Z = np.array([[1.0], [3.0]], dtype=np.float32)         # batch mean 2, batch variance 1
ONES = np.ones((2, 1), dtype=np.float32)


@pytest.fixture
def graph():
  K.clear_session()
  g = tf.Graph()
  with g.as_default():
    keras.utils.set_random_seed(0)
    session = tf1.Session(graph=g)
    K.set_session(session)
    with session.as_default():
      yield g
    session.close()


def bce_of_sigmoid(logits):
  """Keras binary cross-entropy against label 1 of sigmoid(logits), float64."""
  return float(np.mean(np.log1p(np.exp(-np.asarray(logits, dtype=np.float64)))))


def build_probe(bn):
  """G(z) = z; D = BN -> Dense(1, sigmoid) with kernel 1, bias 0; the book's compile order."""
  batch_norm = BATCH_NORM_CLASSES[bn](momentum=0.99, epsilon=EPSILON)
  discriminator = keras.Sequential([
      keras.Input(shape=(1,)), batch_norm,
      keras.layers.Dense(1, activation='sigmoid', kernel_initializer='ones')])
  discriminator.compile(loss='binary_crossentropy', optimizer=tf.compat.v1.keras.optimizers.Adam())
  generator = keras.Sequential([keras.Input(shape=(1,)),
                                keras.layers.Dense(1, kernel_initializer='ones', use_bias=False)])
  discriminator.trainable = False
  gan = keras.Sequential([generator, discriminator])
  gan.compile(loss='binary_crossentropy', optimizer=tf.compat.v1.keras.optimizers.Adam())
  K.get_session().run(tf1.global_variables_initializer())
  batch_norm.moving_mean.load([MOVING_MEAN], K.get_session())
  batch_norm.moving_variance.load([MOVING_VARIANCE], K.get_session())
  return discriminator, gan, batch_norm


BATCH_STATS_LOSS = bce_of_sigmoid((Z - 2.0) / np.sqrt(1.0 + EPSILON))
MOVING_STATS_LOSS = bce_of_sigmoid((Z - MOVING_MEAN) / np.sqrt(MOVING_VARIANCE + EPSILON))


@pytest.mark.parametrize('bn, expected, other', [
    ('v1', BATCH_STATS_LOSS, MOVING_STATS_LOSS),
    ('v2', MOVING_STATS_LOSS, BATCH_STATS_LOSS)])
def test_frozen_bn_inside_gan_train_on_batch(graph, bn, expected, other):
  del graph
  _, gan, batch_norm = build_probe(bn)
  loss = gan.train_on_batch(Z, ONES)
  assert loss == pytest.approx(expected, rel=1e-5)
  assert abs(loss - other) > 1.0                        # 0.81 vs 4.04: not a rounding question
  # Neither class updates a frozen layer's moving statistics inside the combined model.
  stats = K.get_session().run([batch_norm.moving_mean, batch_norm.moving_variance])
  assert [float(s[0]) for s in stats] == [MOVING_MEAN, MOVING_VARIANCE]


@pytest.mark.parametrize('bn', ['v1', 'v2'])
def test_discriminator_itself_trains_on_batch_stats(graph, bn):
  """D's own output was built before the freeze: batch statistics under both classes, and its
  train_on_batch moves the moving statistics (0.99 * 10 + 0.01 * 2, 0.99 * 4 + 0.01 * 1)."""
  del graph
  discriminator, _, batch_norm = build_probe(bn)
  assert discriminator.train_on_batch(Z, ONES) == pytest.approx(BATCH_STATS_LOSS, rel=1e-5)
  mean, variance = K.get_session().run([batch_norm.moving_mean, batch_norm.moving_variance])
  assert float(mean[0]) == pytest.approx(9.92, rel=1e-6)
  assert float(variance[0]) == pytest.approx(3.97, rel=1e-6)


@pytest.mark.parametrize('bn, loss_depends_on_moving_stats', [('v1', False), ('v2', True)])
def test_chapter4_gan_loss_depends_on_frozen_moving_stats_only_under_v2(
    graph, bn, loss_depends_on_moving_stats):
  """The real chapter-4 models: shift the frozen D's moving statistics, rerun one gan step."""
  generator, discriminator, gan = build_compiled_models(100, (28, 28, 1), bn)
  make_keras_functions(generator, discriminator, gan)
  sess = K.get_session()
  sess.run(tf1.global_variables_initializer())
  batch_norms = [layer for layer in discriminator.layers if 'batch_norm' in type(layer).__module__]
  assert len(batch_norms) == 2
  initial = sess.run(gan.weights)
  noise = np.random.default_rng(0).standard_normal((16, 100)).astype(np.float32)
  labels = np.ones((16, 1), dtype=np.float32)

  def gan_loss(mean_shift):
    for weight, value in zip(gan.weights, initial):
      weight.load(value, sess)
    for layer in batch_norms:
      layer.moving_mean.load(np.full(layer.moving_mean.shape, mean_shift, np.float32), sess)
    return gan.train_on_batch(noise, labels)

  base, shifted = gan_loss(0.0), gan_loss(50.0)
  if loss_depends_on_moving_stats:
    assert abs(shifted - base) > 1e-2
  else:
    assert shifted == base                             # batch statistics: bit-identical
