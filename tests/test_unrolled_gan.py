"""unrolled_gan: prebuilt restore, θ_D¹ kept, k=0 is a plain GAN, the true unroll's gradient."""
import numpy as np
import pytest

from graphgan.engine.compat import tf, tf1
from graphgan.engine.config import make_config
from graphgan.engine.data.mixtures import MixtureSampler, ring_centers
from graphgan.engine.errors import UserError
from graphgan.models.mixture_mlp import mlp_network
from graphgan.models.unrolled_gan import UnrolledGAN
from tests.unrolled_helpers import TINY, build_model


@pytest.mark.parametrize('overrides', [
    dict(unroll_steps=5, snapshot_kind='placeholder'),
    dict(unroll_steps=5, snapshot_kind='device'),
    dict(unroll_steps=3, unroll_mode='differentiable'),
])
def test_unrolled_restore_does_not_grow_graph(overrides):
  graph, sess, model = build_model(**overrides)
  model.iteration(sess, 0)
  ops = len(graph.get_operations())
  for step in range(1, 101):
    model.iteration(sess, step)
  assert len(graph.get_operations()) == ops   # graph deliberately not finalized: growth would show
  sess.close()


def _record_first_update(model, sess):
  """Capture the discriminator state at snapshot time (θ_D¹) and just before the restore."""
  state = model.snapshot.variables
  seen = {}
  save, restore = model.snapshot.save, model.snapshot.restore

  def recording_save(s):
    seen['first'] = s.run(state)
    save(s)

  def recording_restore(s):
    seen['looked_ahead'] = s.run(state)
    restore(s)

  model.snapshot.save, model.snapshot.restore = recording_save, recording_restore
  return state, seen


@pytest.mark.parametrize('kind', ['placeholder', 'device'])
def test_unrolled_iteration_restores_discriminator_and_slots_to_first_update(kind):
  graph, sess, model = build_model(unroll_steps=5, snapshot_kind=kind, snapshot_slots=True)
  with graph.as_default():
    generator_vars = model.generator.trainable_variables
    num_d_vars = len(model.discriminator.trainable_variables)
  state, seen = _record_first_update(model, sess)
  assert len(state) == 3 * num_d_vars + 2   # weights, Adam m and v, beta1/beta2 powers
  for step in range(3):
    generator_before = sess.run(generator_vars)
    model.iteration(sess, step)
    assert any(not np.array_equal(a, b) for a, b in zip(seen['looked_ahead'], seen['first']))
    for value, first in zip(sess.run(state), seen['first']):
      np.testing.assert_array_equal(value, first)
    assert all(not np.array_equal(a, b) for a, b in zip(sess.run(generator_vars),
                                                        generator_before))
  sess.close()


@pytest.mark.parametrize('snapshot_slots', [False, True], ids=['weights_only', 'with_slots'])
def test_weights_only_snapshot_lets_look_ahead_leak_into_adam_moments(snapshot_slots):
  """After an iteration the weights are θ_D¹ either way; Adam's moments and beta powers are θ_D¹'s
  only when the slots are snapshotted — weights-only keeps the k-1 look-ahead steps' moments."""
  graph, sess, model = build_model(unroll_steps=5, snapshot_slots=snapshot_slots)
  with graph.as_default():
    weights = model.discriminator.trainable_variables
    adam_state = model.d_optimizer.variables()        # m, v slots and beta powers
  seen = {}
  save = model.snapshot.save

  def recording_save(s):
    seen['weights'], seen['adam'] = s.run(weights), s.run(adam_state)   # θ_D¹ and its moments
    save(s)
  model.snapshot.save = recording_save
  model.iteration(sess, 0)
  for value, first in zip(sess.run(weights), seen['weights']):
    np.testing.assert_array_equal(value, first)
  adam_kept = [np.array_equal(v, f) for v, f in zip(sess.run(adam_state), seen['adam'])]
  if snapshot_slots:
    assert all(adam_kept)
  else:
    assert not any(adam_kept)       # every moment and both beta powers carry the look-ahead
  sess.close()


def _plain_alternating_gan(config, weights_by_name, batches):
  """An independent plain GAN: D step, then G step, both Adam, minimax loss."""
  graph = tf.Graph()
  with graph.as_default():
    tf1.set_random_seed(0)   # initial values are overwritten below; op determinism needs a seed
    real = tf1.placeholder(tf.float32, (None, 2))
    noise = tf1.placeholder(tf.float32, (None, config.z_dim))
    generator = mlp_network('generator', config.generator_hidden_units, config.hidden_layers, 2)
    discriminator = mlp_network('discriminator', config.discriminator_hidden_units,
                                config.hidden_layers, 1)
    real_logits, fake_logits = discriminator(real), discriminator(generator(noise))
    d_loss = (tf.reduce_mean(tf.nn.softplus(-real_logits)) +
              tf.reduce_mean(tf.nn.softplus(fake_logits)))
    adam = dict(beta1=config.adam_beta1, epsilon=config.adam_epsilon)
    d_step = tf1.train.AdamOptimizer(config.learning_rate_d, **adam).minimize(
        d_loss, var_list=discriminator.trainable_variables)
    g_step = tf1.train.AdamOptimizer(config.learning_rate_g, **adam).minimize(
        -d_loss, var_list=generator.trainable_variables)
    variables = generator.trainable_variables + discriminator.trainable_variables
    with tf1.Session() as sess:
      sess.run(tf1.global_variables_initializer())
      for v in variables:
        v.load(weights_by_name[v.op.name], sess)
      for d_feed, g_feed in batches:
        sess.run(d_step, {real: d_feed[0], noise: d_feed[1]})
        sess.run(g_step, {real: g_feed[0], noise: g_feed[1]})
      return {v.op.name: value for v, value in zip(variables, sess.run(variables))}


def _documented_unrolled_gan(config, weights_by_name, batches, look_ahead=True):
  """An independent documented unrolled GAN in its own graph, restore done with numpy values.

  Per iteration: D step on ``batches[i][0]`` (θ_D¹, kept); fetch D's weights (and Adam state
  with ``--snapshot_slots``);
  ``k - 1`` look-ahead D steps; G step against the looked-ahead D; load the fetched values back.
  ``look_ahead=False`` restores before the G step (no unrolling at all), for contrast.
  """
  graph = tf.Graph()
  with graph.as_default():
    tf1.set_random_seed(0)   # initial values are overwritten below; op determinism needs a seed
    real = tf1.placeholder(tf.float32, (None, 2))
    noise = tf1.placeholder(tf.float32, (None, config.z_dim))
    generator = mlp_network('generator', config.generator_hidden_units, config.hidden_layers, 2)
    discriminator = mlp_network('discriminator', config.discriminator_hidden_units,
                                config.hidden_layers, 1)
    real_logits, fake_logits = discriminator(real), discriminator(generator(noise))
    d_loss = (tf.reduce_mean(tf.nn.softplus(-real_logits)) +
              tf.reduce_mean(tf.nn.softplus(fake_logits)))
    adam = dict(beta1=config.adam_beta1, epsilon=config.adam_epsilon)
    d_adam = tf1.train.AdamOptimizer(config.learning_rate_d, **adam)
    d_step = d_adam.minimize(d_loss, var_list=discriminator.trainable_variables)
    g_step = tf1.train.AdamOptimizer(config.learning_rate_g, **adam).minimize(
        -d_loss, var_list=generator.trainable_variables)
    d_state = discriminator.trainable_variables + (d_adam.variables() if config.snapshot_slots
                                                   else [])
    variables = generator.trainable_variables + discriminator.trainable_variables
    with tf1.Session() as sess:
      sess.run(tf1.global_variables_initializer())
      for v in variables:
        v.load(weights_by_name[v.op.name], sess)
      for d_feeds, g_feed in batches:
        run = lambda op, feed: sess.run(op, {real: feed[0], noise: feed[1]})
        run(d_step, d_feeds[0])
        first = sess.run(d_state)
        for feed in d_feeds[1:]:
          run(d_step, feed)
        if not look_ahead:
          for v, value in zip(d_state, first):
            v.load(value, sess)
        run(g_step, g_feed)
        for v, value in zip(d_state, first):
          v.load(value, sess)
      return {v.op.name: value for v, value in zip(variables, sess.run(variables))}


@pytest.mark.parametrize('snapshot_slots', [False, True], ids=['weights_only', 'with_slots'])
@pytest.mark.parametrize('unroll_steps', [2, 4])
def test_generator_update_matches_an_independent_look_ahead_for_k_steps(unroll_steps,
                                                                        snapshot_slots):
  """The engine's G (and D) after 4 iterations equal an independent documented unroll; the same
  reference with the restore moved before the G step lands far outside the tolerance."""
  iterations, batch, z_dim = 4, 16, 4
  graph, sess, model = build_model(unroll_steps=unroll_steps, learning_rate_d=0.05,
                                   snapshot_slots=snapshot_slots)
  with graph.as_default():
    variables = model.generator.trainable_variables + model.discriminator.trainable_variables
  initial = {v.op.name: value for v, value in zip(variables, sess.run(variables))}
  replay = MixtureSampler(ring_centers(), model.data.std, seed=0)
  replay.set_state(model.data.state())
  draw = lambda: (replay.image_sample(batch), replay.noise_sample(batch, z_dim))
  batches = [([draw() for _ in range(unroll_steps)], draw()) for _ in range(iterations)]
  for step in range(iterations):
    model.iteration(sess, step)
  trained = {v.op.name: value for v, value in zip(variables, sess.run(variables))}
  reference = _documented_unrolled_gan(model.config, initial, batches)
  no_look_ahead = _documented_unrolled_gan(model.config, initial, batches, look_ahead=False)
  tolerance = dict(rtol=1e-5, atol=1e-7)
  generator_names = [v.op.name for v in model.generator.trainable_variables]
  for name, value in trained.items():
    np.testing.assert_allclose(value, reference[name], err_msg=name, **tolerance)
  assert any(not np.allclose(reference[n], no_look_ahead[n], **tolerance)
             for n in generator_names)   # the look-ahead changes G beyond the tolerance
  sess.close()


def test_zero_unroll_steps_match_plain_alternating_gan():
  graph, sess, model = build_model(unroll_steps=0)
  with graph.as_default():
    variables = model.generator.trainable_variables + model.discriminator.trainable_variables
  initial = {v.op.name: value for v, value in zip(variables, sess.run(variables))}
  replay = MixtureSampler(ring_centers(), model.data.std, seed=0)
  replay.set_state(model.data.state())
  batches = [[(replay.image_sample(16), replay.noise_sample(16, 4)) for _ in range(2)]
             for _ in range(10)]
  for step in range(10):
    model.iteration(sess, step)
  trained = {v.op.name: value for v, value in zip(variables, sess.run(variables))}
  reference = _plain_alternating_gan(model.config, initial, batches)
  for name, value in trained.items():
    np.testing.assert_allclose(value, reference[name], rtol=1e-5, atol=1e-7, err_msg=name)
    assert not np.allclose(value, initial[name]), name   # the runs did train
  sess.close()


def test_differentiable_unroll_gradient_matches_finite_differences_at_k1():
  """d/dθ_G of -loss(θ_D after one real Adam step, θ_G): analytic (2nd order) vs differences."""
  graph, sess, model = build_model(
      unroll_steps=1, unroll_mode='differentiable', hidden_layers=1, hidden_activation='tanh',
      learning_rate_d=0.05, batch_size=8)
  with graph.as_default():
    g_vars = model.generator.trainable_variables
    d_state = model.d_optimizer.variables() + model.discriminator.trainable_variables
    unrolled_grads = tf.gradients(model.g_loss, g_vars)
    first_order_grads = tf.gradients(-model.d_loss, g_vars)
  for _ in range(5):   # non-zero Adam moments, so the step's Jacobian matters
    sess.run(model.d_train, model._feed())  # pylint: disable=protected-access
  feed = model._feed()  # pylint: disable=protected-access
  start_d, start_g = sess.run(d_state), sess.run(g_vars)
  rng = np.random.default_rng(0)
  direction = [rng.standard_normal(v.shape) for v in start_g]

  def set_state(scale):
    for v, value in zip(d_state, start_d):
      v.load(value, sess)
    for v, value, u in zip(g_vars, start_g, direction):
      v.load((value + scale * u).astype(np.float32), sess)

  def loss_after_real_step(scale):
    set_state(scale)
    sess.run(model.d_train, feed)
    return float(sess.run(-model.d_loss, feed))

  eps = 2e-3   # truncation error: 1.7e-3 relative at 1e-2, 8e-4 at 5e-3, 4e-4 at 2e-3
  numeric = (loss_after_real_step(eps) - loss_after_real_step(-eps)) / (2 * eps)
  set_state(0.0)
  analytic = sum(np.sum(g * u) for g, u in zip(sess.run(unrolled_grads, feed), direction))
  sess.run(model.d_train, feed)
  first_order = sum(np.sum(g * u) for g, u in zip(sess.run(first_order_grads, feed), direction))
  assert analytic == pytest.approx(numeric, rel=2e-3)
  assert abs(analytic - first_order) > 20 * abs(analytic - numeric)   # second-order terms matter
  sess.close()


def test_unroll_flags_are_validated():
  with pytest.raises(UserError, match='unroll_mode'):
    make_config(UnrolledGAN.Config, dict(TINY, unroll_mode='exact'))
  with pytest.raises(UserError, match='unroll_steps'):
    make_config(UnrolledGAN.Config, dict(TINY, unroll_steps=-1))


def test_documented_first_attempt_grows_graph():
  """The check above can fail: restoring with tf.assign(var, numpy value) in the loop adds ops."""
  graph, sess, model = build_model(unroll_steps=2)
  state = model.snapshot.variables

  def leaky_restore(s):
    with graph.as_default():
      s.run([tf1.assign(v, value) for v, value in zip(state, model.snapshot.values)])
  model.snapshot.restore = leaky_restore
  model.iteration(sess, 0)
  ops = len(graph.get_operations())
  model.iteration(sess, 1)
  assert len(graph.get_operations()) >= ops + 2 * len(state)   # a constant and an assign each
  sess.close()


def test_adam_unroll_values_equal_real_adam_steps():
  """The k unrolled tensors equal the variables after the real Adam op ran k times on one batch."""
  graph, sess, model = build_model(unroll_steps=3, unroll_mode='differentiable')
  with graph.as_default():
    variables = model.discriminator.trainable_variables
    from graphgan.engine.graph.unroll import adam_unroll  # pylint: disable=import-outside-toplevel
    from graphgan.models.unrolled_gan import discriminator_loss  # pylint: disable=import-outside-toplevel

    def loss_at(params):
      with model.discriminator.substitution.substitute(variables, params):
        return discriminator_loss(model.discriminator(model.real), model.discriminator(model.fake))
    unrolled = adam_unroll(loss_at, variables, model.d_optimizer, 3)
  sess.run(model.d_train, model._feed())  # pylint: disable=protected-access
  feed = model._feed()  # pylint: disable=protected-access
  predicted, before = sess.run(unrolled, feed), sess.run(variables)
  assert not all(np.allclose(p, b, rtol=1e-5, atol=1e-6) for p, b in zip(predicted, before))
  for _ in range(3):
    sess.run(model.d_train, feed)
  for value, expected in zip(predicted, sess.run(variables)):
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)
  sess.close()


def test_data_without_mixture_centres_reports_what_can_be_measured():
  """regression4 (2-D points, no centres): no modes to count, so moments and energy distance."""
  graph, sess, model = build_model(data='regression4', unroll_steps=2)
  assert getattr(model.data, 'centers', None) is None
  columns = [sorted(model.iteration(sess, step)) for step in range(2)]
  measured = ['energy_distance', 'sample_mean_0', 'sample_mean_1', 'sample_std_0', 'sample_std_1']
  assert columns == [['d_loss', 'g_loss']] * 2
  report = model.final_report(sess)
  assert sorted(report) == measured
  assert report['energy_distance'] > 0 and all(np.isfinite(list(report.values())))
  sess.close()
