"""The dcgan model through the engine: the freeze by weights, the book's order, log line, exact
resume (its bad inputs: tests/test_bad_inputs.py)."""
import numpy as np
import pytest

from graphgan.engine.config import make_config
from graphgan.engine.data import make_source
from graphgan.engine.run import loop
from graphgan.models.dcgan import DCGAN, format_progress


def test_progress_line_is_the_books_format():
  line = format_progress(1000, dict(d_loss=0.235, d_acc=0.926, g_loss=4.6))
  assert line == '1000 [D loss: 0.235000, acc.: 92.60%] [G loss: 4.600000]'


def small(tmp_path, name, **overrides):
  values = dict(batch_size=16, train_steps=4, run_dir=str(tmp_path / name), log_every_steps=2,
                sample_every_steps=0, summary_every_steps=0, save_every_steps=2)
  values.update(overrides)
  return make_config(DCGAN.Config, values)


@pytest.mark.parametrize('bn', ['v1', 'v2'])
def test_dcgan_resumes_with_identical_losses(tmp_path, bn):
  losses = lambda result: [(s, v['d_loss'], v['d_acc'], v['g_loss']) for s, v in result.losses]
  whole = loop.train(DCGAN, small(tmp_path, 'a', bn=bn))
  first = loop.train(DCGAN, small(tmp_path, 'b', bn=bn, train_steps=2))
  rest = loop.train(DCGAN, small(tmp_path, 'b', bn=bn))
  assert rest.first_step == 3
  assert losses(first) + losses(rest) == losses(whole)          # bit-identical on CPU
  assert all(np.isfinite(v) for _, *values in losses(whole) for v in values)


@pytest.fixture
def dcgan_session(tmp_path):
  """A built, finalized dcgan (small batch) and a sampler replaying its data from here on."""
  sessions = []

  def make(bn):
    built = loop.Session(DCGAN, small(tmp_path, f'freeze_{bn}', bn=bn))
    built.prepare()
    sessions.append(built)
    replay = make_source(DCGAN.default_data, built.config, built.config.seed)
    replay.set_state(built.data.state())
    return built, replay
  yield make
  for built in sessions:
    built.close()


def _values(sess, variables):
  return [np.array(v) for v in sess.run(variables)]


@pytest.mark.parametrize('bn', ['v1', 'v2'])
def test_combined_step_leaves_every_discriminator_weight_and_moves_the_generator(dcgan_session, bn):
  built, _ = dcgan_session(bn)
  model, sess = built.model, built.sess
  d_weights, g_weights = model.discriminator.weights, model.generator.trainable_weights
  d_before, g_before = _values(sess, d_weights), _values(sess, g_weights)
  noise = np.random.default_rng(0).standard_normal((16, 100)).astype(np.float32)
  with built.graph.as_default():
    model.gan.train_on_batch(noise, model.real)
  for weight, before, after in zip(d_weights, d_before, _values(sess, d_weights)):
    np.testing.assert_array_equal(after, before, err_msg=weight.name)   # kernels, BN, all
  assert all(not np.array_equal(a, b) for a, b in zip(_values(sess, g_weights), g_before))


@pytest.mark.parametrize('bn', ['v1', 'v2'])
def test_discriminators_own_step_moves_every_kernel(dcgan_session, bn):
  built, replay = dcgan_session(bn)
  model, sess = built.model, built.sess
  # D.trainable is False since the freeze (trainable_weights is empty); its own compiled train
  # function still updates the weights it collected at compile time.
  kernels = [layer.kernel for layer in model.discriminator.layers if hasattr(layer, 'kernel')]
  assert len(kernels) == 4                           # three convolutions and the dense unit
  before = _values(sess, kernels)
  with built.graph.as_default():
    model.discriminator.train_on_batch(replay.image_sample(16), model.real)
  assert all(not np.array_equal(a, b) for a, b in zip(_values(sess, kernels), before))


def test_iteration_trains_real_then_fake_then_combined(dcgan_session):
  """The book's order, by value: D on the real batch (1s), D on G(z) (0s), the gan on new z (1s)."""
  built, replay = dcgan_session('v1')
  model = built.model
  real_images = replay.image_sample(16)
  first_noise, second_noise = replay.noise_sample(16, 100), replay.noise_sample(16, 100)
  with built.graph.as_default():
    fakes = model.generator.predict(first_noise, batch_size=16)   # predict changes no weight
  calls = []
  for name, keras_model in (('discriminator', model.discriminator), ('gan', model.gan)):
    def recording(inputs, labels, _name=name, _train=keras_model.train_on_batch):
      calls.append((_name, np.array(inputs), np.array(labels)))
      return _train(inputs, labels)
    keras_model.train_on_batch = recording
  with built.graph.as_default():
    model.iteration(built.sess, 0)
  assert [name for name, _, _ in calls] == ['discriminator', 'discriminator', 'gan']
  expected = [(real_images, 1.0), (fakes, 0.0), (second_noise, 1.0)]
  for (name, inputs, labels), (want, label) in zip(calls, expected):
    np.testing.assert_array_equal(inputs, want, err_msg=name)
    assert labels.shape == (16, 1) and np.all(labels == label), name
