"""Same flags and seed => bit-identical checkpoints (every variable, BN statistics included), for
every registered model on CPU; and moving-average updates of a network called twice run in call
order (the fix for the critic's unordered real/fake BatchNormalization updates)."""
import numpy as np
import pytest

from graphgan.engine import registry
from graphgan.engine.compat import tf, tf1, keras
from graphgan.engine.config import make_config
from graphgan.engine.graph.network import KerasNetwork
from graphgan.engine.run import loop
from graphgan.engine.run.checkpoint import read_variables

QUIET = dict(summary_every_steps=0, sample_every_steps=0, log_every_steps=1000,
             export_every_epochs=0)
SMALL = {
    'wgan': dict(batch_size=8, g_base_channels=4, d_base_channels=4, embedded_size=32,
                 train_steps=4),
    'wgan_gp': dict(batch_size=8, g_base_channels=4, d_base_channels=4, embedded_size=32,
                    train_steps=3),
    'lsgan': dict(batch_size=8, g_base_channels=4, d_base_channels=4, embedded_size=32,
                  train_steps=3),
    'wgan_gp_ring': dict(data='ring', batch_size=32, z_dim=2, mlp_hidden_units=16, train_steps=5),
    'unrolled_gan': dict(batch_size=32, generator_hidden_units=8, discriminator_hidden_units=8,
                         train_steps=5),
    'unrolled_gan_differentiable': dict(unroll_mode='differentiable', batch_size=32,
                                        generator_hidden_units=8, discriminator_hidden_units=8,
                                        train_steps=4),
    'dcgan': dict(batch_size=16, train_steps=3),
    'bn_regression': dict(train_steps=30),
}


def _model(case):
  return case.split('_ring')[0].split('_differentiable')[0]


def test_every_registered_model_is_covered():
  assert {_model(case) for case in SMALL} == set(registry.names())


@pytest.mark.parametrize('case', sorted(SMALL))
def test_same_seed_gives_bit_identical_checkpoints(case, tmp_path):
  model_cls = registry.get(_model(case))
  variables = []
  for run in ('a', 'b'):
    config = make_config(model_cls.Config, dict(QUIET, **SMALL[case], run_dir=str(tmp_path / run)))
    result = loop.train(model_cls, config)
    variables.append(read_variables(result.checkpoint))
  first, second = variables
  assert first.keys() == second.keys()
  differing = [name for name in first if first[name].tobytes() != second[name].tobytes()]
  assert not differing, differing


def test_two_calls_update_batch_norm_statistics_in_call_order():
  """One train op runs both calls' updates: moving mean = EMA(EMA(m, mean_a), mean_b), always."""
  graph = tf.Graph()
  with graph.as_default():
    inputs = keras.Input((4, 4, 2))
    network = KerasNetwork(keras.Model(inputs, keras.layers.BatchNormalization(momentum=0.5)(
        inputs)))
    a = tf1.placeholder(tf.float32, (None, 4, 4, 2))
    b = tf1.placeholder(tf.float32, (None, 4, 4, 2))
    network(a, training=True)
    network(b, training=True)
    run_both = tf.group(*network.update_ops)
    moving_mean = network.model.layers[-1].moving_mean
    with tf1.Session(graph=graph) as sess:
      sess.run(tf1.global_variables_initializer())
      rng = np.random.default_rng(0)
      batch_a = rng.normal(3.0, 1.0, (8, 4, 4, 2)).astype(np.float32)
      batch_b = rng.normal(-5.0, 1.0, (8, 4, 4, 2)).astype(np.float32)
      values = set()
      for _ in range(20):
        sess.run(moving_mean.initializer)
        sess.run(run_both, {a: batch_a, b: batch_b})
        values.add(sess.run(moving_mean).tobytes())
  mean_a, mean_b = batch_a.mean(axis=(0, 1, 2)), batch_b.mean(axis=(0, 1, 2))
  expected = 0.5 * (0.5 * 0.0 + 0.5 * mean_a) + 0.5 * mean_b
  assert len(values) == 1
  np.testing.assert_allclose(np.frombuffer(values.pop(), np.float32), expected, rtol=1e-5)
