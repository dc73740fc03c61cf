"""The glyph sample-quality measure tells real glyphs from collapsed and noisy samples."""
import os

import numpy as np
import pytest

from graphgan.engine.evaluation.classifier import GlyphClassifier, held_out_glyphs
from graphgan.engine.evaluation.quality import frechet_distance, sample_quality


def test_frechet_distance_of_known_gaussians():
  rng = np.random.default_rng(0)
  a = rng.standard_normal((20000, 2))
  b = rng.standard_normal((20000, 2)) * [2.0, 1.0] + [3.0, 0.0]
  # 1-D parts: N(0,1) vs N(3,4): 9 + 1 + 4 - 2*2 = 10; N(0,1) vs N(0,1): 0.
  assert frechet_distance(a, b) == pytest.approx(10.0, rel=0.03)
  assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


@pytest.fixture(scope='module')
def classifier(tmp_path_factory):
  cache = str(tmp_path_factory.mktemp('run'))
  trained = GlyphClassifier(cache, train_steps=200)
  yield trained
  trained.close()


def test_classifier_is_accurate_and_cached_once(classifier):
  assert classifier.held_out_accuracy(1000) > 0.95
  assert os.path.exists(classifier.path)
  images, _ = held_out_glyphs(50)
  reloaded = GlyphClassifier(os.path.dirname(classifier.path), train_steps=0)
  np.testing.assert_array_equal(reloaded.predict(images)[0], classifier.predict(images)[0])
  reloaded.close()


def _real_collapsed_and_noise(classifier):
  """Reports of 1,000 held-out glyphs, of those that are '3' only, and of uniform noise."""
  images, labels = held_out_glyphs(2000)
  _, real_features = classifier.predict(images[:1000])
  real = sample_quality(classifier, images[1000:], real_features)
  collapsed = sample_quality(classifier, images[1000:][labels[1000:] == 3], real_features)
  noise = sample_quality(classifier,
                         np.random.default_rng(0).uniform(-1, 1, (1000, 28, 28, 1)), real_features)
  return real, collapsed, noise


def test_measure_separates_real_collapsed_and_noise(classifier):
  real, collapsed, noise = _real_collapsed_and_noise(classifier)
  assert real['coverage'] == 10 and real['confident'] > 0.9 and real['class_kl'] < 0.01
  assert collapsed['coverage'] == 1 and collapsed['class_kl'] > 2.0   # log 10 = 2.30 if all '3'
  assert noise['confidence'] < real['confidence']
  assert real['frechet'] * 20 < min(collapsed['frechet'], noise['frechet'])


def test_the_report_has_the_fields_numbers_and_they_separate_real_collapsed_and_noise(classifier):
  """KID, precision/recall and density/coverage on the classifier's features, beside Fréchet."""
  real, collapsed, noise = _real_collapsed_and_noise(classifier)
  for report in (real, collapsed, noise):
    assert {'kid', 'kid_std', 'precision', 'recall', 'density', 'feature_coverage'} <= set(report)
  assert real['precision'] > 0.6 and real['recall'] > 0.6 and real['feature_coverage'] > 0.8
  assert abs(real['kid']) < 3 * real['kid_std'] + 1e-3
  assert collapsed['recall'] < 0.5 * real['recall']             # one glyph of ten: low recall
  assert collapsed['feature_coverage'] < 0.5 * real['feature_coverage']
  assert noise['precision'] < 0.5 * real['precision']
  assert min(collapsed['kid'], noise['kid']) > 10 * abs(real['kid']) + 10 * real['kid_std']
