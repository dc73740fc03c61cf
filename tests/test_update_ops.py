"""The train-op builder runs each network's update ops in that network's train op only."""
import numpy as np
import pytest

from graphgan.engine.compat import tf, tf1, keras, UPDATE_OPS
from graphgan.engine.errors import UserError
from graphgan.engine.graph.network import KerasNetwork, ScopeNetwork, VariableScopeNetwork
from graphgan.engine.graph.train_ops import (build_train_op, check_update_ops_used, mark_replica_update_ops,
                              step_counter)


def counting_network(name):
  """A ScopeNetwork whose every call adds one UPDATE_OPS op incrementing ``{name}_updates``."""
  def build(x):
    updates = tf1.get_variable('updates', (), tf.int64, tf1.zeros_initializer(), trainable=False)
    tf1.add_to_collection(UPDATE_OPS, updates.assign_add(1))
    return tf1.layers.dense(x, 2)
  return ScopeNetwork(name, build)


def test_each_train_op_runs_only_its_own_networks_update_ops():
  graph = tf.Graph()
  with graph.as_default():
    generator, discriminator = counting_network('generator'), counting_network('discriminator')
    z = tf.ones((3, 2))
    d_loss = tf.reduce_mean(discriminator(generator(z)))
    g_loss = -d_loss
    d_train = build_train_op(d_loss, discriminator, tf1.train.GradientDescentOptimizer(0.1),
                             counter=step_counter('d_steps'))
    g_train = build_train_op(g_loss, generator, tf1.train.GradientDescentOptimizer(0.1),
                             counter=step_counter('g_steps'))
    assert check_update_ops_used([generator, discriminator]) == []
    g_updates, = [v for v in generator.variables if 'updates' in v.op.name]
    d_updates, = [v for v in discriminator.variables if 'updates' in v.op.name]
    with tf1.Session() as sess:
      sess.run(tf1.global_variables_initializer())
      for _ in range(5):
        sess.run(d_train)
      assert sess.run([d_updates, g_updates]) == [5, 0]
      sess.run(g_train)
      assert sess.run([d_updates, g_updates]) == [5, 1]
      assert sess.run([step_counter('d_steps'), step_counter('g_steps')]) == [5, 1]


def keras_batch_norm_network(name):
  inputs = keras.Input((2,))
  outputs = keras.layers.Dense(1)(keras.layers.BatchNormalization()(inputs))
  return KerasNetwork(keras.Model(inputs, outputs, name=name))


def test_discriminator_step_does_not_move_generator_keras_batch_norm_statistics():
  """Each step moves its own network's moving means, to 0.01 x its batch mean (momentum 0.99),
  and not the other's. D's input is G's batch-normalised output (batch mean 0) shifted by
  (5, -7), so D's statistics really move; weights are seeded, so the values do not depend on
  which tests ran before."""
  graph = tf.Graph()
  with graph.as_default():
    keras.utils.set_random_seed(0)
    generator_model = keras.Sequential([keras.layers.Dense(2, input_shape=(2,)),
                                        keras.layers.BatchNormalization()], name='generator')
    generator = KerasNetwork(generator_model)
    discriminator = keras_batch_norm_network('discriminator')
    z = tf.constant([[1., 2.], [3., 5.]])
    d_input = generator(z, training=True) + tf.constant([[5., -7.]])
    d_loss = tf.reduce_mean(discriminator(d_input, training=True))
    d_train = build_train_op(d_loss, discriminator, tf1.train.GradientDescentOptimizer(0.1))
    g_train = build_train_op(-d_loss, generator, tf1.train.GradientDescentOptimizer(0.1))
    assert len(generator.update_ops) == 2 and len(discriminator.update_ops) == 2
    g_mean = generator_model.layers[1].moving_mean
    d_mean = discriminator.model.layers[1].moving_mean
    g_batch_mean = tf.reduce_mean(generator_model.layers[0](z), axis=0)
    with tf1.Session() as sess:
      sess.run(tf1.global_variables_initializer())
      d_batch_mean = sess.run(tf.reduce_mean(d_input, axis=0))
      np.testing.assert_allclose(d_batch_mean, [5., -7.], atol=1e-5)
      sess.run(d_train)
      np.testing.assert_array_equal(sess.run(g_mean), [0., 0.])
      np.testing.assert_allclose(sess.run(d_mean), 0.01 * d_batch_mean, rtol=1e-5)
      assert np.all(np.abs(sess.run(d_mean)) > 1e-3)   # D's statistics really moved
      d_after, expected_g_mean = sess.run([d_mean, 0.01 * g_batch_mean])
      assert np.all(np.abs(expected_g_mean) > 1e-3), expected_g_mean   # G's statistics move too
      sess.run(g_train)
      np.testing.assert_allclose(sess.run(g_mean), expected_g_mean, rtol=1e-5)
      np.testing.assert_array_equal(sess.run(d_mean), d_after)


def test_update_ops_that_no_train_op_runs_are_an_error():
  graph = tf.Graph()
  with graph.as_default():
    network = keras_batch_norm_network('critic')
    network(tf.ones((4, 2)), training=True)
    with pytest.raises(UserError, match=r'There are unused update ops: 2 update op\(s\)'):
      check_update_ops_used([network])
    assert len(check_update_ops_used([network], allow_unused=True)) == 2


def test_collection_update_ops_outside_any_network_are_checked_too():
  graph = tf.Graph()
  with graph.as_default():
    tf1.layers.batch_normalization(tf.ones((4, 1)), training=True)
    with pytest.raises(UserError, match='There are unused update ops: 2'):
      check_update_ops_used([])


def test_replica_update_ops_are_not_reported_unused():
  graph = tf.Graph()
  with graph.as_default():
    network = keras_batch_norm_network('critic')
    network(tf.ones((4, 2)), training=True)
    mark_replica_update_ops(network.update_ops)
    assert check_update_ops_used([network]) == []


@pytest.mark.parametrize('network_cls', [ScopeNetwork, VariableScopeNetwork])
def test_second_call_shares_variables_and_adds_none(network_cls):
  graph = tf.Graph()
  with graph.as_default():
    def build(x):
      return tf1.layers.dense(tf1.layers.batch_normalization(x, training=True), 1)
    network = network_cls('tower', build)
    first = network(tf.ones((4, 3)))
    count = len(tf1.global_variables())
    second = network(tf.zeros((4, 3)))
    assert len(tf1.global_variables()) == count == len(network.variables) == 6
    assert len(network.trainable_variables) == 4
    assert first is not second
