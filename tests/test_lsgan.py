"""LSGAN (Mao et al. 2017): the least-squares losses against numpy, the logged losses against the
discriminator's own scores, the 1:1 schedule read from a checkpoint, and the paper's defaults."""
import numpy as np
import pytest

from graphgan.engine import registry
from graphgan.engine.compat import tf, tf1
from graphgan.engine.config import make_config
from graphgan.engine.gan import GANTensors
from graphgan.engine.run import loop

LSGAN = registry.get('lsgan')


def _numpy_losses(real_scores, fake_scores):
  """The paper's eq. 2 with a=0, b=1, c=1, in float64."""
  real, fake = np.asarray(real_scores, np.float64), np.asarray(fake_scores, np.float64)
  return {'d_loss': 0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake ** 2),
          'g_loss': 0.5 * np.mean((fake - 1) ** 2)}


def _ring_config(tmp_path, **overrides):
  settings = dict(data='ring', z_dim=2, batch_size=32, mlp_hidden_units=16,
                  run_dir=str(tmp_path / 'run'), summary_every_steps=0, sample_every_steps=0,
                  export_every_epochs=0)
  settings.update(overrides)
  return make_config(LSGAN.Config, settings)


def test_model_losses_match_numpy_on_fixed_scores():
  """The model's ``losses`` on fixed scores (asymmetric, so a swapped label or sign shows)."""
  real = np.array([[0.9], [1.3], [0.4], [1.1], [2.0]], np.float32)
  fake = np.array([[-0.2], [0.1], [0.5], [-0.6], [0.3]], np.float32)
  with tf.Graph().as_default():
    model = LSGAN(make_config(LSGAN.Config, {}), data=None)
    tensors = model.losses(GANTensors(None, None, None, tf.constant(real), tf.constant(fake), {}))
    with tf1.Session() as sess:
      got = sess.run(tensors)
  want = _numpy_losses(real, fake)
  assert list(got) == ['d_loss', 'g_loss']
  for name in want:
    assert got[name] == pytest.approx(want[name], rel=1e-6), name


class _ScoreProbe:
  """A session proxy: before each train run, D's scores on exactly the batch that run is fed."""

  def __init__(self, sess, model):
    self.sess, self.model, self.expected = sess, model, []

  def run(self, fetches, feed_dict=None):
    model = self.model
    real_scores, fake_scores = model.real_scores, model.fake_scores
    if fetches[0] is model.train_generator:
      scores = self.sess.run(fake_scores, feed_dict)
      self.expected.append(('g_loss', _numpy_losses([1.0], scores)['g_loss']))
    else:
      real, fake = self.sess.run([real_scores, fake_scores], feed_dict)
      self.expected.append(('d_loss', _numpy_losses(real, fake)['d_loss']))
    return self.sess.run(fetches, feed_dict)


def test_logged_losses_are_the_least_squares_losses_of_the_fed_batches(tmp_path):
  """End to end: what ``iteration`` logs is eq. 2 of the scores D gives on the fed batches (one
  D run, then one G run per iteration), so a wrong formula or a wrong feed shows here."""
  session = loop.Session(LSGAN, _ring_config(tmp_path))
  session.prepare()
  probe = _ScoreProbe(session.sess, session.model)
  try:
    with session.graph.as_default():
      logged = [session.model.iteration(probe, step) for step in range(3)]
  finally:
    session.close()
  assert [name for name, _ in probe.expected] == ['d_loss', 'g_loss'] * 3
  for step, losses in enumerate(logged):
    for name, want in probe.expected[2 * step:2 * step + 2]:
      assert losses[name] == pytest.approx(want, rel=1e-5), (step, name)


def test_one_discriminator_update_per_generator_update_read_from_checkpoint(tmp_path):
  result = loop.train(LSGAN, _ring_config(tmp_path, train_steps=4, save_every_steps=4))
  reader = tf1.train.load_checkpoint(result.checkpoint)
  assert reader.get_tensor('counters/discriminator_steps') == 4
  assert reader.get_tensor('counters/generator_steps') == 4
  assert all(np.isfinite(v) for _, losses in result.losses for v in losses.values())


def test_defaults_are_the_papers():
  """Mao et al. 2017: Adam, learning rate 2e-4, beta1 0.5; batch 64."""
  c = make_config(LSGAN.Config, {})
  assert (c.learning_rate_d, c.learning_rate_g, c.adam_beta1, c.batch_size) == \
      (2e-4, 2e-4, 0.5, 64)
