"""The loss library (engine/losses.py): each loss against a direct numpy computation."""
import numpy as np
import pytest

from graphgan.engine import losses
from graphgan.engine.compat import tf, tf1

REAL = np.array([[2.0], [-0.5], [0.3], [1.2]], np.float32)
FAKE = np.array([[-1.0], [0.4], [-2.2], [0.1]], np.float32)


def _sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


def _log_d(x):        # log sigmoid
  return np.log(_sigmoid(x))


def _log_one_minus_d(x):
  return np.log(1.0 - _sigmoid(x))


EXPECTED = {
    'wasserstein_critic_loss': lambda r, f: -(r.mean() - f.mean()),
    'least_squares_discriminator_loss': lambda r, f: 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(),
    'minimax_discriminator_loss': lambda r, f: -_log_d(r).mean() - _log_one_minus_d(f).mean(),
    'hinge_discriminator_loss': lambda r, f: np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean(),
    'relativistic_average_discriminator_loss':
        lambda r, f: -_log_d(r - f.mean()).mean() - _log_one_minus_d(f - r.mean()).mean(),
    'relativistic_average_generator_loss':
        lambda r, f: -_log_one_minus_d(r - f.mean()).mean() - _log_d(f - r.mean()).mean(),
}
EXPECTED_G = {
    'wasserstein_generator_loss': lambda f: -f.mean(),
    'least_squares_generator_loss': lambda f: 0.5 * ((f - 1) ** 2).mean(),
    'minimax_generator_loss': lambda f: _log_one_minus_d(f).mean(),
    'non_saturating_generator_loss': lambda f: -_log_d(f).mean(),
    'hinge_generator_loss': lambda f: -f.mean(),
}


def _value(build):
  graph = tf.Graph()
  with graph.as_default(), tf1.Session(graph=graph) as sess:
    return float(sess.run(build(tf.constant(REAL), tf.constant(FAKE))))


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_a_two_sided_loss_matches_numpy(name):
  got = _value(getattr(losses, name))
  assert got == pytest.approx(EXPECTED[name](REAL.astype(np.float64), FAKE.astype(np.float64)),
                              rel=1e-5)


@pytest.mark.parametrize('name', sorted(EXPECTED_G))
def test_a_generator_loss_matches_numpy(name):
  got = _value(lambda real, fake: getattr(losses, name)(fake))
  assert got == pytest.approx(EXPECTED_G[name](FAKE.astype(np.float64)), rel=1e-5)


def test_every_loss_of_the_library_is_checked():
  public = {n for n in dir(losses) if n.endswith('_loss') and not n.startswith('_')}
  assert public == set(EXPECTED) | set(EXPECTED_G)


def test_the_relativistic_loss_is_not_a_mean_of_its_halves():
  """Why towers refuse it: the loss of the whole batch is not the mean of the slices' losses."""
  whole = _value(losses.relativistic_average_discriminator_loss)
  halves = np.mean([EXPECTED['relativistic_average_discriminator_loss'](REAL[i:i + 2], FAKE[i:i + 2])
                    for i in (0, 2)])
  assert abs(whole - halves) > 1e-3
