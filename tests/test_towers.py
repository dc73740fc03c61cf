"""Towers on 2 logical CPU devices: same update as one device, shared variables, tower-0 updates."""
import numpy as np
import pytest

import graphgan.models.wgan as wgan
import graphgan.models.wgan_gp as wgan_gp
from graphgan.engine.compat import tf, tf1, keras
from graphgan.engine.config import make_config
from graphgan.engine.errors import UserError
from graphgan.engine.graph.network import KerasNetwork, VariableScopeNetwork
from graphgan.engine.run.loop import Session
from graphgan.engine.graph.towers import (build_towers, check_towers, devices, gpu_count, session_config,
                           tower_grads)
from graphgan.engine.graph.train_ops import apply_with_updates, check_update_ops_used
from graphgan.engine.tools.towers_bench import bench_towers
from graphgan.models.bn_regression import BnRegression

BATCH = 8   # 2B with B = 4 per tower
requires_cpu_towers = pytest.mark.skipif(gpu_count() >= 2, reason='GPUs present: towers use them')


def regression_data():
  rng = np.random.default_rng(0)
  return (rng.standard_normal((BATCH, 3)).astype(np.float32),
          rng.standard_normal((BATCH, 1)).astype(np.float32))


def mlp():
  keras.utils.set_random_seed(0)
  return keras.Sequential([keras.layers.Dense(5, activation='tanh', input_shape=(3,)),
                           keras.layers.Dense(1)])


def one_step(num_towers, optimizer_fn, initial=None):
  """Weights after one step on the full batch; ``initial`` weights loaded first when given."""
  graph = tf.Graph()
  with graph.as_default():
    model = mlp()
    x, y = tf1.placeholder(tf.float32, (None, 3)), tf1.placeholder(tf.float32, (None, 1))
    grads_and_vars = tower_grads(
        num_towers, lambda xs, ys: tf.reduce_mean(tf.square(model(xs) - ys)),
        model.trainable_weights, [x, y])
    train = optimizer_fn().apply_gradients(grads_and_vars)
    with tf1.Session(config=session_config(num_towers)) as sess:
      sess.run(tf1.global_variables_initializer())
      if initial is not None:
        for variable, value in zip(model.trainable_weights, initial):
          variable.load(value, sess)
      before = sess.run(model.trainable_weights)
      inputs, labels = regression_data()
      sess.run(train, {x: inputs, y: labels})
      return before, sess.run(model.trainable_weights)


@requires_cpu_towers
@pytest.mark.parametrize('optimizer_fn', [
    lambda: tf1.train.GradientDescentOptimizer(0.5),
    lambda: tf1.train.RMSPropOptimizer(5e-3)], ids=['sgd', 'rmsprop'])
def test_two_towers_step_equals_one_tower_step_on_the_full_batch(optimizer_fn):
  initial, one_tower = one_step(1, optimizer_fn)
  _, two_towers = one_step(2, optimizer_fn, initial)
  for before, single, split in zip(initial, one_tower, two_towers):
    assert not np.allclose(single, before)            # the step moved the weights
    # Tolerance: float32 rounding of averaging two half-batch means vs one full-batch mean.
    np.testing.assert_allclose(split, single, rtol=1e-5, atol=1e-6)


@requires_cpu_towers
def test_two_towers_run_on_two_devices():
  graph = tf.Graph()
  with graph.as_default():
    model = mlp()
    x = tf1.placeholder(tf.float32, (None, 3))
    grads = tower_grads(2, lambda xs: tf.reduce_mean(model(xs)), model.trainable_weights, [x])
    with tf1.Session(config=session_config(2)) as sess:
      sess.run(tf1.global_variables_initializer())
      metadata = tf1.RunMetadata()
      sess.run([g for g, _ in grads], {x: regression_data()[0]},
               options=tf1.RunOptions(output_partition_graphs=True), run_metadata=metadata)
  used = {node.device.rsplit('/', 1)[-1] for g in metadata.partition_graphs for node in g.node}
  assert used == {'device:CPU:0', 'device:CPU:1'}
  assert devices(2) == ['/cpu:0', '/cpu:1']


def batch_norm_network():
  inputs = keras.Input((3,))
  outputs = keras.layers.Dense(1)(keras.layers.BatchNormalization()(inputs))
  return KerasNetwork(keras.Model(inputs, outputs, name='critic'))


@requires_cpu_towers
def test_second_tower_adds_no_variables_and_updates_come_from_tower_zero():
  graph = tf.Graph()
  with graph.as_default():
    network = batch_norm_network()
    count = len(tf1.global_variables())
    x = tf1.placeholder(tf.float32, (None, 3))
    towers = build_towers(2, lambda xs: {'critic': tf.reduce_mean(network(xs, training=True))},
                          [x], {'critic': network})
    assert len(tf1.global_variables()) == count
    assert len(network.update_ops) == 4 and len(towers.update_ops['critic']) == 2
    assert all(op.name.startswith('tower_0/') for op in towers.update_ops['critic'])
    train = apply_with_updates(tf1.train.GradientDescentOptimizer(0.1),
                               towers.grads_and_vars['critic'], towers.update_ops['critic'])
    assert check_update_ops_used([network]) == []
    moving_mean = network.model.layers[1].moving_mean
    with tf1.Session(config=session_config(2)) as sess:
      sess.run(tf1.global_variables_initializer())
      inputs = regression_data()[0]
      sess.run(train, {x: inputs})
      # momentum 0.99 from 0: one update moves the mean 1% of the way to tower 0's slice mean.
      np.testing.assert_allclose(sess.run(moving_mean), 0.01 * inputs[:BATCH // 2].mean(axis=0),
                                 rtol=1e-5)


@requires_cpu_towers
def test_scope_network_first_built_in_tower_zero_keeps_variables_on_parameter_device():
  graph = tf.Graph()
  with graph.as_default():
    network = VariableScopeNetwork('critic', lambda xs: tf1.layers.dense(xs, 1))
    x = tf1.placeholder(tf.float32, (None, 3))
    towers = build_towers(2, lambda xs: {'critic': tf.reduce_mean(network(xs))}, [x],
                          {'critic': network})
    assert len(tf1.global_variables()) == 2           # kernel and bias, once
    assert {v.device for v in tf1.global_variables()} == {'/cpu:0'}
    assert [v for _, v in towers.grads_and_vars['critic']] == network.trainable_variables


def use_norm(monkeypatch, norm):
  """Build wgan's generator and critic with ``norm`` instead of batch norm."""
  for builder in ('dcgan_generator', 'dcgan_critic'):
    original = getattr(wgan, builder)
    monkeypatch.setattr(wgan, builder, lambda *a, _f=original, **k: _f(*a, norm=norm, **k))


def wgan_session(num_gpus):
  """A prepared engine Session of a tiny wgan (4 images of 64x64, 4 channels wide)."""
  config = make_config(wgan.WGAN.Config, dict(
      num_gpus=num_gpus, batch_size=4, g_base_channels=4, d_base_channels=4, embedded_size=8,
      learning_rate_d=1e-2, learning_rate_g=1e-2))
  session = Session(wgan.WGAN, config)
  session.prepare()
  return session


def weights(session):
  model = session.model
  return session.sess.run(model.discriminator.trainable_variables + model.generator.trainable_variables)


def test_wgan_second_tower_adds_no_variables_and_update_ops_check_passes():
  counts = []
  for num_gpus in (1, 2):
    session = wgan_session(num_gpus)   # Session runs check_update_ops_used (raises on unused)
    counts.append(len(session.graph.get_collection(tf1.GraphKeys.GLOBAL_VARIABLES)))
    model = session.model
    # 3 BN layers x (mean, variance) x 2 calls (real, fake) x towers
    assert len(model.discriminator.update_ops) == 3 * 2 * 2 * num_gpus
    session.close()
  assert counts[0] == counts[1]


@requires_cpu_towers
def test_wgan_two_towers_step_equals_one_tower_with_per_example_normalisation(monkeypatch):
  # Layer norm is per example, so the split batch sees the same function; with batch norm each
  # tower normalises by its own slice's statistics (as TF1 multi-GPU code did) and they differ.
  rng = np.random.default_rng(0)
  x = rng.uniform(-1, 1, (4, 64, 64, 3)).astype(np.float32)
  z = rng.standard_normal((4, 100)).astype(np.float32)
  use_norm(monkeypatch, 'layer')
  deltas = []
  initial = None
  for num_gpus in (1, 2):
    session = wgan_session(num_gpus)
    model = session.model
    variables = model.discriminator.trainable_variables + model.generator.trainable_variables
    if initial is None:
      initial = weights(session)
    for variable, value in zip(variables, initial):
      variable.load(value, session.sess)
    session.sess.run(model.train_discriminator, {model.real: x, model.z: z, model.learning_phase: 1})
    session.sess.run(model.train_generator, {model.z: z, model.learning_phase: 1})
    deltas.append([after - before for after, before in zip(weights(session), initial)])
    session.close()
  largest = max(np.abs(d).max() for d in deltas[0])
  moved = sum(np.abs(d).max() > 1e-3 * largest for d in deltas[0])
  assert moved >= len(deltas[0]) - 1   # all but the critic's output bias (gradient exactly 0)
  for single, split in zip(*deltas):
    # Tolerance: float32 rounding in two half-batch means vs one full-batch mean, relative to the
    # largest weight change of the step (RMSProp's first step is ~lr * g / sqrt(0.9)).
    np.testing.assert_allclose(split, single, rtol=1e-4, atol=1e-5 * largest)


def test_model_without_towers_refuses_num_gpus_with_a_clear_message():
  with pytest.raises(UserError, match='--num_gpus=2: model bn_regression does not build towers'):
    check_towers(BnRegression, make_config(BnRegression.Config, dict(num_gpus=2)))


def test_batch_must_split_evenly_between_towers():
  with pytest.raises(UserError, match='--batch_size=9 must be a multiple of --num_gpus=2'):
    check_towers(wgan.WGAN, make_config(wgan.WGAN.Config, dict(num_gpus=2, batch_size=9)))


@pytest.mark.slow
def test_bench_towers_reports_steps_per_second_for_one_and_two_towers(capsys):
  results = bench_towers('wgan', steps=1, batch_size=4, g_base_channels=4, d_base_channels=4,
                         embedded_size=8)
  assert {1, 2} <= set(results) and all(rate > 0 for rate in results.values())
  assert 'towers wgan N=2' in capsys.readouterr().out


@requires_cpu_towers
def test_wgan_gp_two_towers_log_the_same_losses_as_one_tower():
  # No batch norm in the toy MLPs and a per-example penalty: both tower counts run one algorithm.
  logged = []
  for num_gpus in (1, 2):
    config = make_config(wgan_gp.WganGp.Config, dict(
        num_gpus=num_gpus, data='ring', z_dim=2, batch_size=16, mlp_hidden_layers=2,
        mlp_hidden_units=16, learning_rate_d=1e-2, learning_rate_g=1e-2))
    session = Session(wgan_gp.WganGp, config)
    session.prepare()
    with session.graph.as_default():
      logged.append([session.model.iteration(session.sess, step) for step in range(3)])
    session.close()
  for single, split in zip(*logged):
    for name, value in single.items():
      # Tolerance: float32 rounding of half-batch means, carried through 15 critic and 3 Adam steps.
      np.testing.assert_allclose(split[name], value, rtol=1e-4, err_msg=name)
