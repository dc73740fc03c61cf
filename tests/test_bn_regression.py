"""Style F outcomes: tf1.layers BN trains its moving statistics, Keras BN under UPDATE_OPS does not.

Numbers are measured by these tests (5,000 Adam steps, seed 0, CPU; the "measured" comments are
this CPU's values under TF 2.21, the same as docs/bn_regression.md's table). Expected statistics
come from the data: inputs -3..0 have mean -1.5 and population variance 1.25, and 0.99**5000 is
~1e-22, so the first BN's moving statistics must reach them.
"""
import numpy as np
import pytest

from graphgan.engine.compat import tf, tf1, keras
from graphgan.engine.config import make_config
from graphgan.engine.errors import UserError
from graphgan.engine.graph.train_ops import check_update_ops_used
from graphgan.models.bn_regression import BnRegression, INPUTS, regression4_source


def build_model(**overrides):
  graph = tf.Graph()
  with graph.as_default():
    keras.utils.set_random_seed(0)
    config = make_config(BnRegression.Config, overrides)
    model = BnRegression(config, regression4_source(config, seed=0))
    model.build()
  return graph, model


def train_and_report(graph, model):
  with graph.as_default(), tf1.Session(graph=graph) as sess:
    sess.run(tf1.global_variables_initializer())
    graph.finalize()
    for step in range(model.config.train_steps):
      losses = model.iteration(sess, step)
    return losses, model.final_report(sess)


@pytest.mark.slow
@pytest.mark.parametrize('update_ops', ['collection', 'network'])
def test_layers_batch_norm_moving_statistics_train_and_eval_matches_training(update_ops):
  graph, model = build_model(bn_impl='layers', update_ops=update_ops)
  with graph.as_default():
    assert check_update_ops_used(model.networks()) == []
  losses, report = train_and_report(graph, model)
  assert losses['loss'] < 1e-6
  np.testing.assert_allclose(report['train_bn0_moving_mean'], INPUTS.mean(), rtol=1e-4)
  np.testing.assert_allclose(report['train_bn0_moving_variance'], INPUTS.var(), rtol=1e-4)
  assert report['train_bn1_moving_variance'] != 1.0   # second BN's statistics moved too
  assert report['test_bn0_moving_mean'] == report['train_bn0_moving_mean']   # shared by reuse
  assert report['eval_gap'] < 1e-4                    # measured 1.06e-05
  assert report['test_loss'] < 1e-6


@pytest.mark.slow
def test_keras_batch_norm_moving_statistics_never_move_and_eval_diverges():
  graph, model = build_model(bn_impl='keras', allow_unused_update_ops=True)
  with graph.as_default():
    assert len(check_update_ops_used(model.networks(), allow_unused=True)) == 8   # both towers
  losses, report = train_and_report(graph, model)
  assert losses['loss'] < 1e-6                        # training itself fits
  for tower in ('train', 'test'):
    for i in (0, 1):
      assert report[f'{tower}_bn{i}_moving_mean'] == 0.0
      assert report[f'{tower}_bn{i}_moving_variance'] == 1.0
  assert report['eval_gap'] > 1.0                     # measured 2.34
  assert report['train_tower_inference_gap'] > 1.0    # measured 1.48: stale statistics alone
  assert report['test_loss'] > 1.0                    # measured 1.98


def test_keras_batch_norm_graph_refused_without_allow_unused_update_ops():
  graph, model = build_model(bn_impl='keras')
  with graph.as_default(), pytest.raises(UserError, match='There are unused update ops: 8'):
    check_update_ops_used(model.networks(), model.allow_unused_update_ops())


def test_layers_test_tower_reuses_every_variable():
  _, model = build_model(bn_impl='layers')
  assert len(model.train_variables) == 12             # 2 x (BN: 4, Dense: 2)
  assert model.net.variables == model.train_variables


def test_keras_layers_ignore_reuse_so_test_tower_adds_batch_norm_variables():
  _, model = build_model(bn_impl='keras')
  added = model.net.variables[len(model.train_variables):]
  assert len(added) == 8                              # 2 BN layers x (gamma, beta, mean, variance)
  assert all(v.name.startswith('batch_normalization_test_1/') for v in added)


def test_network_update_ops_with_keras_batch_norm_is_a_user_error():
  with pytest.raises(UserError, match='--update_ops=network needs --bn_impl=layers'):
    build_model(bn_impl='keras', update_ops='network')
