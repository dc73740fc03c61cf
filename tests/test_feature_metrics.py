"""KID, improved precision/recall, density and coverage against direct loop-by-loop references
written from the papers' definitions, and on hand-made sets whose answers are known."""
import itertools
import math

import numpy as np
import pytest

from graphgan.engine.evaluation import feature_metrics as fm


def _sets(seed, n=40, m=30, dim=5, shift=0.0):
  rng = np.random.default_rng(seed)
  return rng.standard_normal((n, dim)), rng.standard_normal((m, dim)) + shift


def _kernel(x, y):
  return (sum(a * b for a, b in zip(x, y)) / len(x) + 1.0) ** 3


def _mmd2_by_loops(x, y):
  """Bińkowski et al. (2018), eq. (4): the unbiased MMD^2, one pair at a time."""
  m = len(x)
  xx = sum(_kernel(x[i], x[j]) for i, j in itertools.permutations(range(m), 2))
  yy = sum(_kernel(y[i], y[j]) for i, j in itertools.permutations(range(m), 2))
  xy = sum(_kernel(x[i], y[j]) for i in range(m) for j in range(m))
  return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2 * xy / (m * m)


def _radius(points, i, k):
  distances = sorted(math.dist(points[i], points[j]) for j in range(len(points)) if j != i)
  return distances[k - 1]


def _prdc_by_loops(real, fake, k):
  """Kynkäänniemi et al. (2019) and Naeem et al. (2020), point by point."""
  r_real = [_radius(real, i, k) for i in range(len(real))]
  r_fake = [_radius(fake, j, k) for j in range(len(fake))]
  in_ball = [[math.dist(real[i], fake[j]) <= r_real[i] for j in range(len(fake))]
             for i in range(len(real))]
  precision = np.mean([any(in_ball[i][j] for i in range(len(real))) for j in range(len(fake))])
  recall = np.mean([any(math.dist(real[i], fake[j]) <= r_fake[j] for j in range(len(fake)))
                    for i in range(len(real))])
  density = sum(map(sum, in_ball)) / (k * len(fake))
  coverage = np.mean([any(row) for row in in_ball])
  return dict(precision=precision, recall=recall, density=density, feature_coverage=coverage)


@pytest.mark.parametrize('shift', [0.0, 0.7])
def test_the_unbiased_mmd_matches_its_definition(shift):
  real, fake = _sets(1, n=12, m=12, shift=shift)
  assert fm.unbiased_mmd2(real, fake) == pytest.approx(_mmd2_by_loops(real, fake), rel=1e-10)


def test_kid_is_the_mean_and_std_over_subsets_drawn_without_replacement():
  real, fake = _sets(2, n=30, m=24, shift=0.5)
  mean, std = fm.kernel_inception_distance(real, fake, subsets=5, subset_size=100, seed=3)
  rng, values = np.random.default_rng(3), []
  for _ in range(5):                                   # size min(100, 30 // 2, 24 // 2) = 12
    x = real[rng.choice(30, 12, replace=False)]
    y = fake[rng.choice(24, 12, replace=False)]
    values.append(_mmd2_by_loops(x, y))
  assert (mean, std) == pytest.approx((np.mean(values), np.std(values)), rel=1e-10)


@pytest.mark.parametrize('k', [1, 3, 5])
@pytest.mark.parametrize('shift', [0.0, 1.5])
def test_precision_recall_density_coverage_match_their_definitions(k, shift):
  real, fake = _sets(4, shift=shift)
  expected = _prdc_by_loops(real, fake, k)
  assert fm.precision_recall_density_coverage(real, fake, k) == pytest.approx(expected,
                                                                             rel=1e-12)


def test_identical_sets_score_perfectly_and_disjoint_ones_score_nothing():
  real, _ = _sets(5, n=200)
  same = fm.feature_metrics(real, real.copy())
  assert same['precision'] == same['recall'] == same['feature_coverage'] == 1.0
  assert abs(same['kid']) < 3 * same['kid_std'] + 1e-3
  assert same['density'] >= 1.0              # every fake lies in its own ball, and k others'
  far = fm.feature_metrics(real, real + 100.0)
  assert far['precision'] == far['recall'] == far['density'] == far['feature_coverage'] == 0.0
  assert far['kid'] > 100 * far['kid_std']


def test_kid_grows_with_the_distance_between_two_gaussians():
  rng = np.random.default_rng(6)
  real = rng.standard_normal((400, 8))
  kids = [fm.kernel_inception_distance(real, rng.standard_normal((400, 8)) + shift)[0]
          for shift in (0.0, 0.5, 1.0, 2.0)]
  assert abs(kids[0]) < 0.05 and kids[0] < kids[1] < kids[2] < kids[3]


def test_a_collapsed_generator_keeps_precision_and_loses_recall_and_coverage():
  """Mode collapse as the papers picture it: every fake on one real cluster."""
  rng = np.random.default_rng(7)
  centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], float)
  real = np.concatenate([c + rng.standard_normal((100, 2)) for c in centres])
  collapsed = centres[0] + rng.standard_normal((400, 2))
  report = fm.precision_recall_density_coverage(real, collapsed)
  assert report['precision'] > 0.9
  assert report['recall'] < 0.3 and report['feature_coverage'] < 0.3


def test_too_few_points_is_one_clear_error():
  with pytest.raises(ValueError, match='more than 3 points'):
    fm.precision_recall_density_coverage(np.zeros((3, 2)), np.zeros((10, 2)))
  with pytest.raises(ValueError, match='at least 4 points'):
    fm.kernel_inception_distance(np.zeros((3, 2)), np.zeros((10, 2)))
