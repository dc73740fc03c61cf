"""Prebuilt snapshots: restore brings values back, adds no ops, checks shapes, covers Adam state."""
import numpy as np
import pytest

from graphgan.engine.compat import tf, tf1
from graphgan.engine.graph.snapshot import DeviceSnapshot, VariableSnapshot, network_state, optimizer_state


def _graph_with_adam():
  graph = tf.Graph()
  with graph.as_default():
    weights = tf1.get_variable('w', (3, 2), initializer=tf1.ones_initializer())
    bias = tf1.get_variable('b', (2,), initializer=tf1.zeros_initializer())
    loss = tf.reduce_sum(tf.square(tf.matmul(tf.ones((1, 3)), weights) + bias - 5.0))
    optimizer = tf1.train.AdamOptimizer(0.1)
    train = optimizer.minimize(loss, var_list=[weights, bias])
  return graph, [weights, bias], optimizer, train


def test_optimizer_state_covers_slots_and_beta_powers():
  graph, variables, optimizer, _ = _graph_with_adam()
  with graph.as_default():
    names = sorted(v.op.name for v in optimizer_state(variables, optimizer))
  assert names == ['b/Adam', 'b/Adam_1', 'beta1_power', 'beta2_power', 'w/Adam', 'w/Adam_1']
  assert len(network_state(variables, optimizer, include_optimizer=False)) == 2


@pytest.mark.parametrize('kind', [VariableSnapshot, DeviceSnapshot])
def test_restore_brings_back_weights_and_slots_without_new_ops(kind):
  graph, variables, optimizer, train = _graph_with_adam()
  with graph.as_default():
    state = network_state(variables, optimizer)
    snapshot = kind(state)
    sess = tf1.Session(graph=graph)
    sess.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])
  sess.run(train)
  saved = sess.run(state)
  ops_before = len(graph.get_operations())
  for _ in range(20):
    snapshot.save(sess)
    sess.run(train)
    sess.run(train)
    assert not all(np.array_equal(a, b) for a, b in zip(sess.run(state), saved))
    snapshot.restore(sess)
    for value, expected in zip(sess.run(state), saved):
      np.testing.assert_array_equal(value, expected)
  assert len(graph.get_operations()) == ops_before
  sess.close()


def test_placeholder_restore_rejects_a_wrong_shape():
  graph, variables, _, _ = _graph_with_adam()
  with graph.as_default():
    snapshot = VariableSnapshot(variables)
    sess = tf1.Session(graph=graph)
    sess.run(tf1.global_variables_initializer())
  with pytest.raises(ValueError, match='shape'):
    snapshot.restore(sess, [np.zeros((2, 3), np.float32), np.zeros((2,), np.float32)])
  sess.close()
