"""The 2-D mixtures (distinct ring angles, the 5x5 grid) and the VEEGAN/PacGAN mode metrics."""
import math

import numpy as np
import pytest

from graphgan.engine.config import make_config
from graphgan.engine.data import make_source, source_names
from graphgan.engine.data.mixtures import MixtureSampler, grid_centers, ring_centers
from graphgan.engine.evaluation import metrics
from graphgan.engine.evaluation.metrics import mode_metrics
from graphgan.models.unrolled_gan import UnrolledGAN


def test_ring_has_eight_distinct_centres_on_the_circle():
  centers = ring_centers(8, radius=2.0)
  assert centers.shape == (8, 2)
  np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0, rtol=1e-6)
  gaps = np.linalg.norm(centers[:, None] - centers[None], axis=-1) + np.eye(8) * 10
  assert gaps.min() > 1.5   # chord of 45 degrees at radius 2 is 1.53: no repeated first centre


def test_grid_is_the_5x5_lattice():
  centers = grid_centers()
  assert centers.shape == (25, 2)
  assert sorted(set(centers[:, 0].tolist())) == [-4, -2, 0, 2, 4]
  assert len({tuple(c) for c in centers.tolist()}) == 25


def test_sources_registered_and_read_config_fields():
  assert {'ring', 'grid'} <= set(source_names())
  config = make_config(UnrolledGAN.Config, dict(ring_radius=3.0, ring_std=0.2, grid_std=0.3))
  ring = make_source('ring', config, seed=1)
  assert ring.std == 0.2 and np.allclose(np.linalg.norm(ring.centers, axis=1), 3.0)
  assert make_source('grid', config, seed=1).std == 0.3
  points = ring.image_sample(1000)
  assert points.dtype == np.float32 and points.shape == (1000, 2)
  assert np.all(np.abs(np.linalg.norm(points, axis=1) - 3.0) < 1.5)


def test_mixture_sampler_resumes_from_its_state():
  sampler = MixtureSampler(ring_centers(), 0.01, seed=3)
  sampler.image_sample(7)
  state = sampler.state()
  expected = sampler.image_sample(5)
  resumed = MixtureSampler(ring_centers(), 0.01, seed=99)
  resumed.set_state(state)
  np.testing.assert_array_equal(resumed.image_sample(5), expected)


def test_all_samples_on_one_centre_capture_one_mode():
  centers = ring_centers()
  metrics = mode_metrics(np.repeat(centers[2:3], 2500, axis=0), centers, std=0.01)
  assert metrics == {'modes': 1, 'high_quality': 1.0, 'reverse_kl': pytest.approx(math.log(8))}


def test_even_samples_on_every_centre_capture_all_modes_with_zero_kl():
  centers = grid_centers()
  metrics = mode_metrics(np.tile(centers, (100, 1)), centers, std=0.05)
  assert metrics['modes'] == 25 and metrics['high_quality'] == 1.0
  assert metrics['reverse_kl'] == pytest.approx(0.0, abs=1e-12)


def test_high_quality_threshold_is_three_std():
  centers = ring_centers()
  inside = centers[:4] + np.array([0.029, 0.0])     # 2.9 std from centres 0..3
  outside = centers[4:] + np.array([0.0, 0.031])    # 3.1 std from centres 4..7
  metrics = mode_metrics(np.concatenate([inside, outside]), centers, std=0.01)
  assert metrics['modes'] == 4
  assert metrics['high_quality'] == 0.5
  assert metrics['reverse_kl'] == pytest.approx(math.log(2))   # uniform over 4 of 8 modes


def test_no_high_quality_sample_gives_infinite_kl():
  metrics = mode_metrics(np.full((10, 2), 10.0), ring_centers(), std=0.01)
  assert metrics == {'modes': 0, 'high_quality': 0.0, 'reverse_kl': math.inf}


def test_energy_distance_is_zero_for_equal_sets_and_twice_the_gap_for_two_points():
  points = np.random.default_rng(0).normal(size=(50, 2))
  assert metrics.energy_distance(points, points) == pytest.approx(0.0, abs=1e-12)
  assert metrics.energy_distance(np.zeros((1, 2)), np.array([[3.0, 4.0]])) == pytest.approx(10.0)


def test_distribution_report_of_points_without_centres():
  samples = np.array([[0.0, 1.0], [2.0, 3.0]])
  report = metrics.sample_distribution_report(samples, reference=samples)
  assert report == {'sample_mean_0': 1.0, 'sample_std_0': 1.0, 'sample_mean_1': 2.0,
                    'sample_std_1': 1.0, 'energy_distance': pytest.approx(0.0, abs=1e-12)}
  assert 'energy_distance' not in metrics.sample_distribution_report(samples)
