"""The measuring stick of sample quality: a small classifier per embedded image set, cached.

The classifier lives in its own graph and session, so it never touches a training graph (which
is finalized) or the session Keras shares; its weights are cached as ``.npz`` next to a ``.json``
with its held-out accuracy and settings (retrained when the settings change).

The classifier is the measuring stick, so it must not depend on which process trains it first.
TensorFlow's CPU thread pools are fixed per process by its first session, and 400 training steps
with 1 thread and with 2 end in different weights (max |dw| 0.17 for shapes64, real-vs-real
Fréchet 5.93 vs 4.71). So it is always trained in a child process with ``CLASSIFIER_THREADS``
threads on the CPU (``python -m graphgan.engine.evaluation.classifier``), whatever the threads or
devices of the process that needs it.
"""
import dataclasses
import json
import os
import subprocess
import sys
import time
from typing import Callable

import numpy as np
from absl import logging

from graphgan.engine import files
from graphgan.engine.compat import module_command, tf, tf1, thread_variables
from graphgan.engine.data import glyphs as glyph_data
from graphgan.engine.data import shapes as shape_data
from graphgan.engine.data.loaders import to_unit_range
from graphgan.engine.errors import UserError

CLASSIFIER_THREADS = 2       # TensorFlow threads (intra- and inter-op) the classifier trains with
CACHE_UNWRITABLE = 3         # exit code of the training child that could not write the cache
CHILD_MODULE = 'graphgan.engine.evaluation.classifier'   # run with -m: trains, caches, exits
PROGRESS_SECONDS = 10        # the training child prints a progress line this often


@dataclasses.dataclass(frozen=True)
class ClassifierSpec:
  """A classifier for one data set: 5x5 stride-2 ReLU convolutions -> features -> logits."""
  name: str                    # cache file stem
  image_shape: tuple
  num_classes: int
  conv_channels: tuple
  features: int                # width of the penultimate layer (the Fréchet feature space)
  train_steps: int = dataclasses.field(compare=False)   # how long is recorded, not a cache key
  train_batch: int = dataclasses.field(compare=False)
  training_set: Callable = dataclasses.field(compare=False)   # () -> (images in [-1, 1], labels)
  held_out_set: Callable = dataclasses.field(compare=False)   # num -> images never trained on

  @property
  def label(self):
    """The data set it is for, as messages say it (``shapes64``)."""
    return self.name[:-len('_classifier')] if self.name.endswith('_classifier') else self.name

  def settings(self):
    """What a cached classifier must match (JSON-normalized)."""
    return json.loads(json.dumps(dict({f.name: getattr(self, f.name)
                                       for f in dataclasses.fields(self) if f.compare},
                                      op_determinism=True, train_threads=CLASSIFIER_THREADS,
                                      train_device='cpu')))


def _glyph_training_set():
  images, labels = glyph_data.glyphs()
  return to_unit_range(images), labels


def held_out_glyphs(num=2000):
  """Glyphs the classifier never saw (another seed): images in [-1, 1] and labels."""
  images, labels = glyph_data.generate_glyphs(num, seed=glyph_data.GLYPHS_SEED + 1)
  return to_unit_range(images), labels


def _shape_training_set():
  images, labels = shape_data.shape_images(shape_data.EMBEDDED_SIZE, 64,
                                           seed=shape_data.SHAPES_SEED)
  return to_unit_range(images), labels


def held_out_shapes(num=2000):
  """Shapes the classifier never saw (another seed): images in [-1, 1] and labels."""
  images, labels = shape_data.shape_images(num, 64, seed=shape_data.SHAPES_SEED + 1)
  return to_unit_range(images), labels


GLYPHS = ClassifierSpec('glyph_classifier', glyph_data.IMAGE_SHAPE, glyph_data.NUM_CLASSES,
                        (32, 64), 128, train_steps=600, train_batch=128,   # ~4 epochs of 20,000
                        training_set=_glyph_training_set, held_out_set=held_out_glyphs)
SHAPES = ClassifierSpec('shapes64_classifier', (64, 64, 3), shape_data.NUM_CLASSES,
                        (32, 64, 64), 64, train_steps=400, train_batch=64,  # ~12 epochs of 2,048
                        training_set=_shape_training_set, held_out_set=held_out_shapes)
SPECS = {'glyphs28': GLYPHS, 'shapes64': SHAPES}


def _network(spec, images):
  """The spec's convolutions -> dense ``features`` (ReLU) -> logits; returns its variables too."""
  params, shapes, depth = {}, [], spec.image_shape[-1]
  for i, channels in enumerate(spec.conv_channels):
    shapes.append((f'conv{i + 1}', (5, 5, depth, channels)))
    depth = channels
  side = spec.image_shape[0] // 2 ** len(spec.conv_channels)
  shapes += [('dense', (side * side * depth, spec.features)),
             ('logits', (spec.features, spec.num_classes))]
  for name, shape in shapes:
    params[name + '/w'] = tf1.get_variable(name + '/w', shape,
                                           initializer=tf1.glorot_uniform_initializer(seed=1))
    params[name + '/b'] = tf1.get_variable(name + '/b', shape[-1:],
                                           initializer=tf1.zeros_initializer())
  h = images
  for i in range(len(spec.conv_channels)):
    name = f'conv{i + 1}'
    h = tf.nn.relu(tf.nn.conv2d(h, params[name + '/w'], 2, 'SAME') + params[name + '/b'])
  h = tf.reshape(h, (-1, side * side * depth))
  features = tf.nn.relu(h @ params['dense/w'] + params['dense/b'])
  return features, features @ params['logits/w'] + params['logits/b'], params


class ImageClassifier:
  """The trained classifier of ``spec``: ``predict(images) -> (probabilities, features)``."""

  def __init__(self, spec, cache_dir, train_steps=None, train_here=False):
    # Op determinism changes the numbers (not only their repeatability): turn it on, as every
    # training run does by default, so a classifier trained or used in any process is the same.
    tf.config.experimental.enable_op_determinism()
    self.spec = spec
    train_steps = spec.train_steps if train_steps is None else train_steps
    self.graph = tf.Graph()
    with self.graph.as_default():
      tf1.set_random_seed(0)
      self.images = tf1.placeholder(tf.float32, (None,) + tuple(spec.image_shape), 'images')
      self.labels = tf1.placeholder(tf.int64, (None,), 'labels')
      self.features, logits, self.params = _network(spec, self.images)
      self.probabilities = tf.nn.softmax(logits)
      loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=self.labels, logits=logits))
      self.train_op = tf1.train.AdamOptimizer(1e-3).minimize(loss)
      self.init_op = tf1.global_variables_initializer()
    self.graph.finalize()
    self.sess = tf1.Session(graph=self.graph)
    self.sess.run(self.init_op)
    self.path = os.path.join(cache_dir, spec.name + '.npz')
    if self._cached_settings() != spec.settings():
      if not train_here:
        _train_in_child(spec, cache_dir, train_steps)
      else:
        self._train(train_steps)
        self._save(cache_dir, dict(settings=spec.settings(), train_steps=train_steps,
                                   train_batch=spec.train_batch))
    if self._cached_settings() != spec.settings():
      raise RuntimeError(f'{self.path}: the classifier was trained but its cache does not hold it')
    self._load()

  def _cached_settings(self):
    info = os.path.splitext(self.path)[0] + '.json'
    if not (os.path.exists(self.path) and os.path.exists(info)):
      return None
    with open(info) as handle:
      return json.load(handle).get('settings')

  def _load(self):
    with np.load(self.path) as saved:
      for name, variable in self.params.items():
        variable.load(saved[name], self.sess)

  def _train(self, steps, report_every=PROGRESS_SECONDS):
    images, labels = self.spec.training_set()
    rng = np.random.default_rng(0)
    started = last = time.monotonic()
    for step in range(steps):
      index = rng.integers(0, len(images), self.spec.train_batch)
      self.sess.run(self.train_op, {self.images: images[index], self.labels: labels[index]})
      if time.monotonic() - last >= report_every:
        last = time.monotonic()
        print(f'{self.spec.label} classifier: step {step + 1}/{steps} '
              f'({last - started:.0f} s)', flush=True)

  def _save(self, cache_dir, description):
    """Weights, then the description that makes them valid (both replaced atomically)."""
    os.makedirs(cache_dir, exist_ok=True)
    stem = os.path.splitext(self.path)[0]
    partial = f'{stem}.{os.getpid()}.tmp.npz'
    np.savez(partial, **self.sess.run(self.params))
    os.replace(partial, self.path)
    info = dict(description, held_out_accuracy=self.held_out_accuracy())
    with open(f'{stem}.{os.getpid()}.tmp.json', 'w') as handle:
      json.dump(info, handle, indent=1)
    os.replace(f'{stem}.{os.getpid()}.tmp.json', stem + '.json')

  def predict(self, images, batch=500):
    """(probabilities [N, classes], features [N, features]) of images NHWC in [-1, 1]."""
    outputs = [self.sess.run([self.probabilities, self.features],
                             {self.images: np.asarray(images[i:i + batch], np.float32)})
               for i in range(0, len(images), batch)]
    return np.concatenate([o[0] for o in outputs]), np.concatenate([o[1] for o in outputs])

  def held_out_accuracy(self, num=2000):
    images, labels = self.spec.held_out_set(num)
    return float(np.mean(self.predict(images)[0].argmax(1) == labels))

  def close(self):
    self.sess.close()


def _train_in_child(spec, cache_dir, train_steps):
  """Train and cache ``spec``'s classifier in a child process (this module run with ``-m``) with
  the fixed threads."""
  try:
    os.makedirs(cache_dir, exist_ok=True)    # an unusable cache fails before the training
  except OSError as error:
    raise cache_error(files.os_error_message(error, cache_dir)) from None
  env = dict(os.environ, CUDA_VISIBLE_DEVICES='-1', TF_CPP_MIN_LOG_LEVEL='2',
             **thread_variables(CLASSIFIER_THREADS))
  logging.info('Training the %s quality classifier, once per machine (%d Adam steps on the '
               'embedded set in a child process with %d CPU threads; it scores the samples in '
               'the sample-quality report; a few minutes on a 2-core CPU). It is cached in %s.',
               spec.label, train_steps, CLASSIFIER_THREADS, cache_dir)
  started = time.monotonic()
  child = subprocess.Popen(module_command(CHILD_MODULE, spec.name, cache_dir,
                                          str(train_steps)), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
  output = []
  for line in child.stdout:             # the child's progress lines, as they come
    output.append(line)
    logging.info('%s', line.rstrip())
  errors = child.stderr.read()
  code = child.wait()
  if code:
    lines = [line for line in (errors + ''.join(output)).splitlines() if line.strip()]
    last = lines[-1] if lines else 'no output'
    if code == CACHE_UNWRITABLE:
      raise cache_error(last)
    raise RuntimeError(f'training the {spec.name} classifier failed (exit {code}): {last}')
  logging.info('Trained the %s quality classifier in %.0f s; cached in %s', spec.label,
               time.monotonic() - started, cache_dir)


def cache_error(reason):
  return UserError(f'quality classifier cache: {reason} (the cache is $GRAPHGAN_CACHE_DIR, '
                   'default ~/.cache/graphgan)')


class GlyphClassifier(ImageClassifier):
  """The glyphs28 classifier, cached in ``cache_dir`` (e.g. a run directory)."""

  def __init__(self, cache_dir, train_steps=GLYPHS.train_steps):
    super().__init__(GLYPHS, cache_dir, train_steps)


def default_cache_dir():
  """Where classifiers are cached across runs: ``$GRAPHGAN_CACHE_DIR`` or ~/.cache/graphgan."""
  return os.environ.get('GRAPHGAN_CACHE_DIR') or os.path.join(os.path.expanduser('~'), '.cache',
                                                              'graphgan')


def main(argv):
  """``python -m graphgan.engine.evaluation.classifier SPEC_NAME CACHE_DIR TRAIN_STEPS``: train
  and cache (the child)."""
  name, cache_dir, train_steps = argv
  spec = {s.name: s for s in SPECS.values()}[name]
  try:
    ImageClassifier(spec, cache_dir, int(train_steps), train_here=True).close()
  except OSError as error:
    print(files.os_error_message(error, f'{spec.name} in {cache_dir}'), file=sys.stderr)
    sys.exit(CACHE_UNWRITABLE)


if __name__ == '__main__':
  main(sys.argv[1:])
