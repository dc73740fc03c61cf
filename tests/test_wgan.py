"""WGAN (MISSION style A): graph discipline, critic schedule, clipping order, BN mode, HDF5."""
import numpy as np
import pytest

from graphgan.engine import registry
from graphgan.engine.compat import tf1
from graphgan.engine.data import make_source
from graphgan.engine.errors import UserError
from graphgan.engine.run import checkpoint, exports, loop

WGAN = registry.get('wgan')


@pytest.fixture
def session(small_wgan_config):
  sessions = []

  def make(**overrides):
    built = loop.Session(WGAN, small_wgan_config(**overrides))
    built.prepare()
    sessions.append(built)
    return built
  yield make
  for built in sessions:
    built.close()


def test_graph_op_count_unchanged_after_50_steps(session):
  built = session()
  before = len(built.graph.get_operations())
  with built.graph.as_default():
    for step in range(50):
      built.model.iteration(built.sess, step)
    built.model.sample(built.sess, 16)
  assert built.graph.finalized
  assert len(built.graph.get_operations()) == before


def test_five_critic_updates_per_generator_update_read_from_checkpoint(small_wgan_config):
  config = small_wgan_config(train_steps=7, save_every_steps=7)
  result = loop.train(WGAN, config)
  reader = tf1.train.load_checkpoint(result.checkpoint)
  assert reader.get_tensor('counters/generator_updates') == 7
  assert reader.get_tensor('counters/critic_updates') == 35


def test_warmup_rule_gives_100_critic_steps_early_and_every_500th(small_wgan_config):
  model = WGAN(small_wgan_config(warmup_critic_steps=100), data=None)
  assert [model.discriminator_steps_at(s) for s in (0, 24, 25, 499, 500, 1000, 1001)] == \
      [100, 100, 5, 5, 100, 100, 5]
  assert WGAN(small_wgan_config(), data=None).discriminator_steps_at(0) == 5


@pytest.mark.parametrize('warmup', [0, 7])
def test_iteration_runs_the_warmup_schedule_read_from_the_critic_counter(session, warmup):
  """Critic updates per generator iteration, counted by the train op's own counter."""
  built = session(warmup_critic_steps=warmup)
  model, sess = built.model, built.sess
  runs = {}
  with built.graph.as_default():
    for step in (0, 24, 25, 499, 500, 501):
      before = sess.run(model.counters['critic'])
      model.iteration(sess, step)
      runs[step] = sess.run(model.counters['critic']) - before
  burst = warmup or 5
  assert runs == {0: burst, 24: burst, 25: 5, 499: 5, 500: burst, 501: 5}
  assert sess.run(model.counters['generator']) == 6


class _GeneratorStepProbe:
  """A session proxy: just before the generator's run, g_loss at learning phase 0 and 1 on the
  noise that run will get (replayed from the sampler, not read from the feed)."""

  def __init__(self, sess, model, replay):
    self.sess, self.model, self.replay, self.expected = sess, model, replay, None

  def run(self, fetches, feed_dict=None):
    model, config = self.model, self.model.config
    if fetches is model.constrain:                # the clip run draws no data
      return self.sess.run(fetches, feed_dict)
    if model.train_generator in fetches:
      z = self.replay.noise_sample(config.batch_size, config.z_dim, model.noise_distribution)
      self.expected = {phase: self.sess.run(model.loss_tensors['g_loss'], {model.z: z,
                                                           model.learning_phase: phase})
                       for phase in (0, 1)}
    else:                                    # a critic run draws images, then noise
      self.replay.image_sample(config.batch_size)
      self.replay.noise_sample(config.batch_size, config.z_dim, model.noise_distribution)
    return self.sess.run(fetches, feed_dict)


def test_generator_step_runs_with_learning_phase_1(session):
  """The generator's run feeds K.learning_phase(): 1 (batch statistics), shown by its loss and by
  the generator's BN moving statistics, which only the generator's own step updates."""
  built = session()
  model, sess = built.model, built.sess
  replay = make_source(WGAN.default_data, built.config, built.config.seed)
  replay.set_state(built.data.state())
  probe = _GeneratorStepProbe(sess, model, replay)
  norm = model.generator.model.get_layer('project_norm')
  with built.graph.as_default():
    losses = model.iteration(probe, 0)
  assert abs(probe.expected[1] - probe.expected[0]) > 1e-3 * abs(probe.expected[1])
  assert losses['g_loss'] == pytest.approx(float(probe.expected[1]), rel=1e-6)
  assert np.any(sess.run(norm.moving_mean) != 0)


class _Recorder:
  """A session proxy recording (critic updates so far, critic weights) after every run."""

  def __init__(self, sess, model):
    self.sess, self.model, self.trace = sess, model, []

  def run(self, fetches, feed_dict=None):
    result = self.sess.run(fetches, feed_dict)
    updates, weights = self.sess.run([self.model.counters['critic'],
                                      self.model.discriminator.trainable_variables])
    self.trace.append((int(updates), max(float(np.max(np.abs(w))) for w in weights)))
    return result


@pytest.mark.parametrize('order', ['before', 'after'])
def test_critic_weights_obey_clip_bound_in_chosen_order(session, order):
  built = session(clip_order=order, learning_rate_d=5e-3)   # big steps so updates leave the box
  bound = built.config.clip_value
  proxy = _Recorder(built.sess, built.model)
  with built.graph.as_default():
    for step in range(3):
      built.model.iteration(proxy, step)
  states = [(0, np.inf)] + proxy.trace
  update_starts = [states[i - 1][1] for i in range(1, len(states))
                   if states[i][0] > states[i - 1][0]]
  assert len(update_starts) == 15
  after_updates = [states[i][1] for i in range(1, len(states)) if states[i][0] > states[i - 1][0]]
  if order == 'before':
    # every update starts from clipped weights; the generator sees the last update unclipped
    assert all(w <= bound + 1e-7 for w in update_starts)
    assert max(after_updates) > bound
  else:
    assert all(w <= bound + 1e-7 for w in after_updates)


def test_batchnorm_uses_batch_statistics_when_learning_phase_is_fed(session):
  """Shown by values: with batch statistics an example's score depends on the rest of its batch."""
  built = session()
  model = built.model
  images = built.data.image_sample(16)
  batch_a, batch_b = images[:8], np.concatenate([images[:1], images[8:15]])

  def first_score(batch, phase):
    return built.sess.run(model.real_scores, {model.real: batch, model.learning_phase: phase})[0, 0]
  training_gap = abs(first_score(batch_a, 1) - first_score(batch_b, 1))
  assert training_gap > 1e-3 * abs(first_score(batch_a, 1))
  np.testing.assert_allclose(first_score(batch_a, 0), first_score(batch_b, 0), rtol=1e-5)
  norm_layer = model.discriminator.model.get_layer('conv1_norm')
  moving_mean = norm_layer.moving_mean
  before = built.sess.run(moving_mean)
  with built.graph.as_default():
    built.model.iteration(built.sess, 0)
  assert not np.allclose(built.sess.run(moving_mean), before)   # the update ops ran


def test_hdf5_weights_reproduce_generator_outputs_in_fresh_graph(small_wgan_config):
  config = small_wgan_config(train_steps=6, export_every_epochs=1, embedded_size=40)
  result = loop.train(WGAN, config)
  path = f'{result.run_dir}/weights/g_1epoch.h5'
  trained = loop.Session(WGAN, config.replace(resume=True))
  trained_state = trained.prepare(restore=lambda sess: checkpoint.CheckpointManager(
      result.run_dir, 1).restore(sess, result.checkpoint))
  assert trained_state['step'] == 6
  with trained.graph.as_default():
    exports.load_keras_weights(trained.model.generator.model, path)
    want = {phase: trained.sess.run(trained.model.fake, {trained.model.z: trained.model.fixed_noise(64),
                                                         trained.model.learning_phase: phase})
            for phase in (0, 1)}
  trained.close()
  fresh = loop.Session(WGAN, config.replace(seed=99))
  fresh.prepare()
  with fresh.graph.as_default():
    before = fresh.sess.run(fresh.model.fake, {fresh.model.z: trained.model.fixed_noise(64),
                                               fresh.model.learning_phase: 0})
    exports.load_keras_weights(fresh.model.generator.model, path)
    for phase in (0, 1):
      got = fresh.sess.run(fresh.model.fake, {fresh.model.z: trained.model.fixed_noise(64),
                                              fresh.model.learning_phase: phase})
      np.testing.assert_array_equal(got, want[phase])
  assert not np.array_equal(before, want[0])
  fresh.close()


def test_corrupt_or_mismatched_hdf5_is_one_line_error(small_wgan_config, tmp_path):
  config = small_wgan_config(train_steps=5, export_every_epochs=1, embedded_size=40)  # epoch: 40//8
  result = loop.train(WGAN, config)
  good = f'{result.run_dir}/weights/g_1epoch.h5'
  truncated = tmp_path / 'truncated.h5'
  truncated.write_bytes(open(good, 'rb').read()[:2000])
  built = loop.Session(WGAN, config.replace(g_base_channels=6))
  built.prepare()
  with built.graph.as_default():
    with pytest.raises(UserError, match='corrupt or truncated'):
      exports.load_keras_weights(built.model.generator.model, str(truncated))
    with pytest.raises(UserError, match='do not fit'):
      exports.load_keras_weights(built.model.generator.model, good)
    with pytest.raises(UserError, match='no such weights file'):
      exports.load_keras_weights(built.model.generator.model, str(tmp_path / 'nope.h5'))
  built.close()
