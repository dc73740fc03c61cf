"""Sample quality for 28x28x1 glyph-like images: a small classifier trained once on the glyphs.

Measures of a batch of generated images (NHWC in [-1, 1]):
- ``coverage``: how many of the 10 classes are the classifier's answer for >= 2% of the samples
  (a fifth of a class's fair share; a collapsed generator covers few);
- ``confidence``: mean top-class probability; ``confident``: fraction with top probability >= 0.9
  (noise and smudges get low confidence from a classifier that is ~99% right on real glyphs);
- ``class_kl``: KL(class histogram || uniform) in nats (0 = balanced);
- ``frechet``: Fréchet distance between Gaussians fitted to the classifier's 128-d penultimate
  features of real glyphs and of the samples (an FID-style distance on this data set).
The classifier lives in its own graph and session, so it never touches a training graph (which
is finalized) or the session Keras shares; its weights are cached as ``.npz`` next to its
held-out accuracy, in the directory it is given (a run directory).
"""
import json
import os

import numpy as np

from engine.compat import tf, tf1
from engine.data.glyphs import GLYPHS_SEED, NUM_CLASSES, NUM_GLYPHS, generate_glyphs, glyphs, \
    to_unit_range

CACHE_NAME = 'glyph_classifier'
HELD_OUT_SEED = GLYPHS_SEED + 1
COVERAGE_SHARE = 0.02
CONFIDENT = 0.9
TRAIN_STEPS = 600      # ~4 epochs of the 20,000 glyphs at batch 128
FEATURES = 128


def _network(images):
  """conv 5x5/2 32 -> conv 5x5/2 64 -> dense 128 (features) -> 10 logits."""
  layers = [('conv1', (5, 5, 1, 32)), ('conv2', (5, 5, 32, 64)),
            ('dense', (7 * 7 * 64, FEATURES)), ('logits', (FEATURES, NUM_CLASSES))]
  params = {}
  for name, shape in layers:
    params[name + '/w'] = tf1.get_variable(name + '/w', shape,
                                           initializer=tf1.glorot_uniform_initializer(seed=1))
    params[name + '/b'] = tf1.get_variable(name + '/b', shape[-1:],
                                           initializer=tf1.zeros_initializer())
  h = images
  for name in ('conv1', 'conv2'):
    h = tf.nn.relu(tf.nn.conv2d(h, params[name + '/w'], 2, 'SAME') + params[name + '/b'])
  h = tf.reshape(h, (-1, 7 * 7 * 64))
  features = tf.nn.relu(h @ params['dense/w'] + params['dense/b'])
  return features, features @ params['logits/w'] + params['logits/b'], params


class GlyphClassifier:
  """The trained classifier: ``predict(images) -> (probabilities, features)``."""

  def __init__(self, cache_dir, train_steps=TRAIN_STEPS):
    self.graph = tf.Graph()
    with self.graph.as_default():
      tf1.set_random_seed(0)
      self.images = tf1.placeholder(tf.float32, (None, 28, 28, 1), 'images')
      self.labels = tf1.placeholder(tf.int64, (None,), 'labels')
      self.features, logits, self.params = _network(self.images)
      self.probabilities = tf.nn.softmax(logits)
      loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=self.labels, logits=logits))
      self.train_op = tf1.train.AdamOptimizer(1e-3).minimize(loss)
      self.init_op = tf1.global_variables_initializer()
    self.sess = tf1.Session(graph=self.graph)
    self.sess.run(self.init_op)
    self.path = os.path.join(cache_dir, CACHE_NAME + '.npz')
    if os.path.exists(self.path):
      self._load()
    else:
      self._train(train_steps)
      os.makedirs(cache_dir, exist_ok=True)
      np.savez(self.path, **self.sess.run(self.params))
      with open(os.path.join(cache_dir, CACHE_NAME + '.json'), 'w') as f:
        json.dump(dict(held_out_accuracy=self.held_out_accuracy(), train_steps=train_steps,
                       glyphs=NUM_GLYPHS, glyphs_seed=GLYPHS_SEED), f, indent=1)

  def _load(self):
    with np.load(self.path) as saved, self.graph.as_default():
      for name, variable in self.params.items():
        variable.load(saved[name], self.sess)

  def _train(self, steps):
    images, labels = glyphs()
    rng = np.random.default_rng(0)
    for _ in range(steps):
      index = rng.integers(0, len(images), 128)
      self.sess.run(self.train_op, {self.images: to_unit_range(images[index]),
                                    self.labels: labels[index]})

  def predict(self, images, batch=500):
    """(probabilities [N, 10], features [N, 128]) of images NHWC in [-1, 1]."""
    outputs = [self.sess.run([self.probabilities, self.features],
                             {self.images: np.asarray(images[i:i + batch], np.float32)})
               for i in range(0, len(images), batch)]
    return np.concatenate([o[0] for o in outputs]), np.concatenate([o[1] for o in outputs])

  def held_out_accuracy(self, num=2000):
    images, labels = held_out_glyphs(num)
    return float(np.mean(self.predict(images)[0].argmax(1) == labels))

  def close(self):
    self.sess.close()


def held_out_glyphs(num=2000):
  """Glyphs the classifier never saw (another seed): images in [-1, 1] and labels."""
  images, labels = generate_glyphs(num, seed=HELD_OUT_SEED)
  return to_unit_range(images), labels


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
  """The measures above for ``samples`` against real glyphs' ``real_features``."""
  probabilities, features = classifier.predict(samples)
  share = np.bincount(probabilities.argmax(1), minlength=NUM_CLASSES) / len(samples)
  nonzero = share[share > 0]
  return dict(coverage=int((share >= COVERAGE_SHARE).sum()),
              confidence=float(probabilities.max(1).mean()),
              confident=float((probabilities.max(1) >= CONFIDENT).mean()),
              class_kl=float((nonzero * np.log(nonzero * NUM_CLASSES)).sum()),
              frechet=frechet_distance(real_features, features))
