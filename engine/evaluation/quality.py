"""Sample quality on the embedded image sets: a small classifier trained once per set, cached.

Measures of a batch of generated images (NHWC in [-1, 1]), for ``glyphs28`` (10 classes, 28x28x1)
and ``shapes64`` (4 classes, 64x64x3):
- ``coverage``: how many classes are the classifier's answer for >= a fifth of their fair share
  of the samples (2% of 10 classes, 5% of 4; a collapsed generator covers few);
- ``confidence``: mean top-class probability; ``confident``: fraction with top probability >= 0.9
  (noise and smudges get low confidence from a classifier that is ~99% right on real images);
- ``class_kl``: KL(class histogram || uniform) in nats (0 = balanced);
- ``frechet``: Fréchet distance between Gaussians fitted to the classifier's penultimate features
  of real images and of the samples (an FID-style distance on this data set);
- ``kid``/``kid_std``, ``precision``, ``recall``, ``density``, ``feature_coverage``: KID, improved
  precision/recall and density/coverage on the same features (``evaluation/feature_metrics.py``).
The classifier (``evaluation/classifier.py``) is trained once per machine and cached.
"""
import hashlib
import os

import numpy as np

from graphgan.engine import files
from graphgan.engine.evaluation.classifier import (SPECS, ImageClassifier, cache_error,
                                                   default_cache_dir)
from graphgan.engine.evaluation.feature_metrics import feature_metrics

COVERAGE_FAIR_SHARE = 0.2    # a class counts as covered above this fraction of 1 / classes
CONFIDENT = 0.9
EVAL_SAMPLES = 1000          # generated images per evaluation; as many real ones as reference


def frechet_distance(features_a, features_b):
  """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2), numpy only."""
  mu_a, mu_b = features_a.mean(0), features_b.mean(0)
  cov_a = np.cov(features_a, rowvar=False)
  cov_b = np.cov(features_b, rowvar=False)
  values, vectors = np.linalg.eigh(cov_a)
  sqrt_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
  cross = np.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a)
  trace_sqrt = np.sqrt(np.clip(cross, 0, None)).sum()
  return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt)


def sample_quality(classifier, samples, real_features):
  """The measures above for ``samples`` against real images' ``real_features``."""
  classes = classifier.spec.num_classes
  probabilities, features = classifier.predict(samples)
  share = np.bincount(probabilities.argmax(1), minlength=classes) / len(samples)
  nonzero = share[share > 0]
  return dict(coverage=int((share >= COVERAGE_FAIR_SHARE / classes).sum()),
              confidence=float(probabilities.max(1).mean()),
              confident=float((probabilities.max(1) >= CONFIDENT).mean()),
              class_kl=float((nonzero * np.log(nonzero * classes)).sum()),
              frechet=frechet_distance(real_features, features),
              **feature_metrics(real_features, features))


class QualityMeasure:
  """A data set's classifier with the features of real reference images: ``measure(samples)``."""

  def __init__(self, spec, cache_dir=None, samples=EVAL_SAMPLES):
    self.spec, self.samples = spec, samples
    cache_dir = cache_dir or default_cache_dir()
    self.classifier = ImageClassifier(spec, cache_dir)
    self.real_features = self._real_features(cache_dir)

  def _real_features(self, cache_dir):
    """Features of ``samples`` held-out real images, cached next to the classifier.

    Drawing and classifying them costs seconds, paid once per machine instead of once per
    process (every short training run evaluates at its end). The cache is valid for the
    classifier weights it was computed with (their checksum is stored with it).
    """
    with open(self.classifier.path, 'rb') as handle:
      weights = hashlib.sha256(handle.read()).hexdigest()
    path = os.path.join(cache_dir, f'{self.spec.name}_real_features_{self.samples}.npz')
    try:
      with np.load(path, allow_pickle=False) as cached:
        if str(cached['weights_sha256']) == weights:
          return cached['features']
    except (OSError, KeyError, ValueError):
      pass
    images, _ = self.spec.held_out_set(2 * self.samples)   # the first half; floor() the second
    _, features = self.classifier.predict(images[:self.samples])
    partial = f'{path}.{os.getpid()}.tmp.npz'
    try:
      np.savez(partial, features=features, weights_sha256=np.array(weights))
      os.replace(partial, path)
    except OSError as error:
      raise cache_error(files.os_error_message(error, path)) from None
    return features

  def __call__(self, samples):
    return sample_quality(self.classifier, samples, self.real_features)

  def floor(self):
    """The measures of as many other real images: the best a generator can score."""
    images, _ = self.spec.held_out_set(2 * self.samples)
    return self(images[self.samples:])


_MEASURES = {}


def measure_of(data_name):
  """The process-wide ``QualityMeasure`` of an embedded data set; None when it has none."""
  if data_name not in SPECS:
    return None
  if data_name not in _MEASURES:
    _MEASURES[data_name] = QualityMeasure(SPECS[data_name])
  return _MEASURES[data_name]


def sample_quality_report(model, sess, samples=EVAL_SAMPLES):
  """A ``final_report`` for image models: quality of ``samples`` of ``model.sample`` (fixed noise).

  {} when the model's data set has no classifier (only the embedded ``glyphs28``/``shapes64``
  have one). Runs no op of the training graph but the model's sampling, adds none.
  """
  data_name = model.default_data if model.config.data == 'embedded' else model.config.data
  measure = measure_of(data_name)
  if measure is None or tuple(model.data.example_shape) != tuple(measure.spec.image_shape):
    return {}
  return measure(model.sample(sess, samples))
