"""BatchNormalization v1/v2 semantics in graph mode: every recorded number of MISSION style E.

Source of the recorded numbers: ../shared/MISSION.md, "E. BatchNormalization semantics —
recorded numbers (tests)": one-unit layer, momentum 0.99, epsilon 0.001, input [[100.]].
Everything runs through ``sess.run`` (``training=`` or the Keras learning phase), never eagerly.

Every recorded number is asserted exactly in float32 (``np.float32(recorded) == value``): the
recorded digits are the shortest repr of the float32 the sequence produces (TF 2.21, CPU).
MISSION's sequence is followed literally: one training call, 1,000 more (1,001 updates), the
"training=True output still 0" check — itself a training call, the 1,002nd update (moving_mean
99.99577) — and only then inference, 0.13110352 for both classes. The inference output is
``x * inv + (beta - moving_mean * inv)`` with two terms near 3096.8 (ulp 2**-12), so one ulp of
moving_mean moves it by 2**-12: the exact check tells 1,001 updates (0.13232422) from 1,002.
One recorded number is rounded for display: beta after one Adam step, "0.001", is the float32
0.0009999999 (Adam's step is lr * g / (|g| + 1e-7), a hair under lr); it is asserted exactly and
its 3-significant-digit display against the recorded text.
"""
import numpy as np
import pytest

from graphgan.engine.compat import tf, tf1, keras, K

V1 = tf.compat.v1.keras.layers.BatchNormalization
V2 = keras.layers.BatchNormalization
X = np.array([[100.0]], dtype=np.float32)
F32 = np.float32

# MISSION style E, as recorded (decimal text); compared as float32.
ONE_CALL_MEAN, ONE_CALL_VARIANCE = 1.0, 0.99
MEAN_1001, VARIANCE_1001 = 99.99573, 4.273953e-05
MEAN_1002 = 99.99577
INFERENCE_AFTER_1002 = 0.13110352
FRESH_INFERENCE = 99.95004            # = 100 / sqrt(1.001), rounded by float32 arithmetic
BETA_ONE_STEP_DISPLAYED, BETA_ONE_STEP_FLOAT32 = '0.001', 0.0009999999
BETA_1001 = 0.9988577


def same_float32(value, recorded):
  """True when ``value`` is exactly the float32 nearest the recorded decimal ``recorded``."""
  return F32(np.asarray(value).ravel()[0]) == F32(recorded)


@pytest.fixture
def sess():
  """A fresh graph and a session Keras shares (K.set_session)."""
  K.clear_session()
  graph = tf.Graph()
  with graph.as_default():
    session = tf1.Session(graph=graph)
    K.set_session(session)
    with session.as_default():
      yield session
    session.close()


def make_layer(cls, trainable=True):
  layer = cls(momentum=0.99, epsilon=0.001, trainable=trainable)
  layer.build((None, 1))
  return layer


def call_with_updates(layer, inputs, **kwargs):
  """Call ``layer``; return its output and every assign op the call created.

  The assign ops are read from the graph, not from ``layer.updates`` (which hides the updates
  of a non-trainable layer), so a test shows by values whether a call moves the statistics.
  """
  graph = tf1.get_default_graph()
  before = set(graph.get_operations())
  output = layer(inputs, **kwargs)
  assigns = [op for op in graph.get_operations()
             if op not in before and op.type in ('AssignSubVariableOp', 'AssignSub',
                                                 'AssignVariableOp', 'Assign')]
  return output, assigns


def stats(sess, layer):
  mean, variance = sess.run([layer.moving_mean, layer.moving_variance])
  return mean[0], variance[0]


def run_calls(sess, output, assigns, count):
  """``count`` calls (output + the call's updates); the last output, a float32 scalar."""
  value = None
  for _ in range(count):
    value, _ = sess.run([output, assigns])
  return np.asarray(value).ravel()[0]


@pytest.mark.parametrize('cls', [V1, V2], ids=['v1', 'v2'])
def test_one_training_call_normalises_to_zero_and_moves_stats(sess, cls):
  layer = make_layer(cls)
  output, assigns = call_with_updates(layer, tf1.constant(X), training=True)
  sess.run(tf1.global_variables_initializer())
  assert run_calls(sess, output, assigns, 1) == 0.0
  mean, variance = stats(sess, layer)
  assert same_float32(mean, ONE_CALL_MEAN) and same_float32(variance, ONE_CALL_VARIANCE)


@pytest.mark.parametrize('cls', [V1, V2], ids=['v1', 'v2'])
def test_missions_sequence_1001_updates_then_the_1002nd_then_inference_and_predict(sess, cls):
  """MISSION's sequence literally: 1 call, 1,000 more, the 'still 0' check, then inference."""
  layer = make_layer(cls)
  inputs = keras.Input(shape=(1,))
  model = keras.Model(inputs, layer(inputs))           # for predict(), learning phase 0
  train_output, assigns = call_with_updates(layer, tf1.constant(X), training=True)
  infer_output = layer(tf1.constant(X), training=False)
  sess.run(tf1.global_variables_initializer())
  assert run_calls(sess, train_output, assigns, 1) == 0.0
  assert run_calls(sess, train_output, assigns, 1000) == 0.0
  mean, variance = stats(sess, layer)                  # 1,001 updates in all
  assert same_float32(mean, MEAN_1001) and same_float32(variance, VARIANCE_1001)
  assert run_calls(sess, train_output, assigns, 1) == 0.0   # "still 0": the 1,002nd update
  assert same_float32(stats(sess, layer)[0], MEAN_1002)
  assert same_float32(sess.run(infer_output), INFERENCE_AFTER_1002)
  assert same_float32(model.predict(X), INFERENCE_AFTER_1002)


@pytest.mark.parametrize('cls', [V1, V2], ids=['v1', 'v2'])
def test_inference_after_only_1001_updates_is_a_different_float32(sess, cls):
  """Why the sequence matters: stopping at 1,001 updates gives 0.13232422, not 0.13110352."""
  layer = make_layer(cls)
  train_output, assigns = call_with_updates(layer, tf1.constant(X), training=True)
  infer_output = layer(tf1.constant(X), training=False)
  sess.run(tf1.global_variables_initializer())
  run_calls(sess, train_output, assigns, 1001)
  inference = sess.run(infer_output).ravel()[0]
  assert inference != F32(INFERENCE_AFTER_1002)
  assert inference == F32(542 * 2.0 ** -12)            # 0.13232422: 5 steps of 2**-12 higher


@pytest.mark.parametrize('cls', [V1, V2], ids=['v1', 'v2'])
def test_1000_inference_calls_leave_stats_and_divide_by_sqrt_1001(sess, cls):
  layer = make_layer(cls)
  output, assigns = call_with_updates(layer, tf1.constant(X), training=False)
  sess.run(tf1.global_variables_initializer())
  value = run_calls(sess, output, assigns, 1000)
  assert stats(sess, layer) == (0.0, 1.0)
  assert same_float32(value, FRESH_INFERENCE)
  assert value == pytest.approx(100 / np.sqrt(1.001), rel=1e-6)   # derivation, float64


def test_v2_frozen_layer_in_training_mode_behaves_as_inference(sess):
  layer = make_layer(V2, trainable=False)
  output, assigns = call_with_updates(layer, tf1.constant(X), training=True)
  sess.run(tf1.global_variables_initializer())
  assert same_float32(run_calls(sess, output, assigns, 1), FRESH_INFERENCE)
  assert same_float32(run_calls(sess, output, assigns, 1000), FRESH_INFERENCE)
  assert stats(sess, layer) == (0.0, 1.0)


def test_v1_frozen_layer_in_training_mode_uses_batch_stats_and_updates(sess):
  layer = make_layer(V1, trainable=False)
  output, assigns = call_with_updates(layer, tf1.constant(X), training=True)
  sess.run(tf1.global_variables_initializer())
  assert run_calls(sess, output, assigns, 1) == 0.0
  mean, variance = stats(sess, layer)
  assert same_float32(mean, ONE_CALL_MEAN) and same_float32(variance, ONE_CALL_VARIANCE)


@pytest.mark.parametrize('cls, frozen_output', [(V1, 0.0), (V2, FRESH_INFERENCE)],
                         ids=['v1', 'v2'])
def test_learning_phase_feed_follows_the_same_rule(sess, cls, frozen_output):
  """training=None reads K.learning_phase(); feeding 1 is training, except v2 when frozen."""
  trainable, frozen = make_layer(cls), make_layer(cls, trainable=False)
  x = tf1.constant(X)
  outputs = [trainable(x), frozen(x)]
  sess.run(tf1.global_variables_initializer())
  train_value, frozen_value = sess.run(outputs, feed_dict={K.learning_phase(): 1})
  assert train_value.ravel()[0] == 0.0
  assert same_float32(frozen_value, frozen_output)
  infer_value = sess.run(outputs[0], feed_dict={K.learning_phase(): 0})
  assert same_float32(infer_value, FRESH_INFERENCE)


def fit_model(cls, trainable):
  layer = cls(momentum=0.99, epsilon=0.001, trainable=trainable)
  model = keras.Sequential([keras.Input(shape=(1,)), layer])
  model.compile(optimizer=tf.compat.v1.keras.optimizers.Adam(), loss='mse')
  return model, layer


def weights(sess, layer):
  """(gamma, beta, moving_mean, moving_variance) as float32 scalars."""
  return tuple(v[0] for v in sess.run(
      [layer.gamma, layer.beta, layer.moving_mean, layer.moving_variance]))


def test_v2_fit_with_frozen_layer_changes_nothing(sess):
  model, layer = fit_model(V2, trainable=False)
  history = model.fit(X, X, epochs=5, batch_size=1, verbose=0)
  assert weights(sess, layer) == (1.0, 0.0, 0.0, 1.0)
  # Derived, not recorded: inference output 99.95004 -> mse (100 - 99.95004)**2 = 0.002496.
  assert history.history['loss'][-1] == pytest.approx((100 - 99.95004) ** 2, rel=1e-3)


@pytest.mark.parametrize('cls', [V1, V2], ids=['v1', 'v2'])
def test_fit_one_step_then_1000_more_epochs(sess, cls):
  model, layer = fit_model(cls, trainable=True)
  model.fit(X, X, epochs=1, batch_size=1, verbose=0)
  gamma, beta, mean, variance = weights(sess, layer)
  assert gamma == 1.0
  assert beta == F32(BETA_ONE_STEP_FLOAT32) and f'{beta:.3g}' == BETA_ONE_STEP_DISPLAYED
  assert same_float32(mean, ONE_CALL_MEAN) and same_float32(variance, ONE_CALL_VARIANCE)
  model.fit(X, X, epochs=1000, batch_size=1, verbose=0)
  _, beta, mean, variance = weights(sess, layer)
  assert same_float32(beta, BETA_1001)
  assert same_float32(mean, MEAN_1001) and same_float32(variance, VARIANCE_1001)


def test_v1_fit_with_frozen_layer_trains_on_batch_stats_but_keeps_weights(sess):
  """v1 difference under fit(): a frozen layer still normalises with batch statistics (output 0,
  so mse = 100**2, derived), while fit() runs no update of a frozen layer: stats stay 0 / 1."""
  model, layer = fit_model(V1, trainable=False)
  history = model.fit(X, X, epochs=5, batch_size=1, verbose=0)
  assert history.history['loss'][-1] == 100.0 ** 2
  assert weights(sess, layer) == (1.0, 0.0, 0.0, 1.0)


def test_v2_freeze_applies_only_to_calls_made_after_it(sess):
  """Graph mode decides at call time: a tensor built while trainable keeps batch statistics.

  This is why the DCGAN's discriminator trains on batch statistics while the combined model,
  built after ``discriminator.trainable = False``, sees the same v2 layer in inference mode.
  """
  layer = make_layer(V2)
  x = tf1.constant(X)
  before_freeze = layer(x)
  layer.trainable = False
  after_freeze = layer(x)
  sess.run(tf1.global_variables_initializer())
  before, after = sess.run([before_freeze, after_freeze], feed_dict={K.learning_phase(): 1})
  assert before.ravel()[0] == 0.0
  assert same_float32(after, FRESH_INFERENCE)
