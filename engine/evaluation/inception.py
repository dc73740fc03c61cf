"""FID and KID on Inception-v3 pool3 features, from a weights file the user names (no download).

The field's yardstick (TTUR's FID, clean-fid, torch-fidelity, StyleGAN2-ADA's ``calc_metrics``):
2,048-d pool3 features of real and generated images, Fréchet distance between Gaussians fitted to
each, KID (``feature_metrics.kernel_inception_distance``: subsets of 1,000, 100 of them) on the
same features; 50,000 generated images against the real set.

Here:
- **Network**: ``tf_keras.applications.InceptionV3(include_top=False, pooling='avg')``; its weights
  come from ``--inception_weights=FILE``, the Keras ImageNet file
  ``inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`` (or any file of that architecture,
  checked layer by layer before loading). Those are the Keras ImageNet weights, not the 2015
  Inception graph TTUR / clean-fid / torch-fidelity use (``pt_inception-2015-12-05``): numbers are
  comparable with other Keras-InceptionV3 FIDs, and only close to the published ones.
- **Resize protocol** (clean-fid's "clean" mode): images in [-1, 1] are first quantised to uint8
  as an image file would hold them (``round((x + 1) * 127.5)``), grey images repeated to three
  channels, then resized to 299x299 in float32 with the bicubic filter as PIL applies it
  (``Image.resize(..., BICUBIC)`` on mode ``F``: Keys cubic a=-0.5, half-pixel centres, the kernel
  widened by the scale factor when shrinking, weights renormalised at the borders) - in the graph,
  ``tf.image.resize(method='bicubic', antialias=True)`` - clipped to [0, 255], then scaled to
  Inception's [-1, 1] (``x / 127.5 - 1``, Keras' ``preprocess_input``). ``tests/test_inception.py``
  checks the resize against PIL and an independent numpy resampler.
- **Counts**: ``INCEPTION_SAMPLES`` = 50,000 generated images (fixed noise, the run's seed) against
  up to 50,000 real images of the run's data set (all when it holds fewer; else a seeded subset).
  The real set's features are cached per weights file, data set and count.
"""
import hashlib
import json
import os

import numpy as np

from graphgan.engine import files
from graphgan.engine.compat import keras, tf, tf1
from graphgan.engine.errors import UserError
from graphgan.engine.evaluation.feature_metrics import kernel_inception_distance
from graphgan.engine.evaluation.quality import frechet_distance

SIZE = 299
FEATURES = 2048
INCEPTION_SAMPLES = 50000
PROTOCOL = 'uint8-pil_bicubic_299-clip-keras_tf_scaling'   # part of the real-features cache key
WEIGHTS_FILE = 'inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5'
HOW_TO_ENABLE = (f'inception_fid/inception_kid: not computed - give --inception_weights=FILE, the '
                 f'Keras InceptionV3 ImageNet weights without top ({WEIGHTS_FILE}); nothing is '
                 'downloaded')
BATCH = 50


def to_uint8(images):
  """Images in [-1, 1] as an 8-bit image file holds them, with three channels."""
  pixels = np.clip(np.rint((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255)
  pixels = pixels.astype(np.uint8)
  if pixels.shape[-1] == 1:
    pixels = np.repeat(pixels, 3, axis=-1)
  if pixels.shape[-1] != 3:
    raise UserError(f'Inception features need 1 or 3 channels; the images have {pixels.shape[-1]}')
  return pixels


def resize_graph(pixels):
  """uint8 [N, H, W, 3] tensor -> float32 [N, 299, 299, 3] in [0, 255] (the protocol above)."""
  resized = tf.image.resize(tf.cast(pixels, tf.float32), (SIZE, SIZE), method='bicubic',
                            antialias=True)
  return tf.clip_by_value(resized, 0.0, 255.0)


def _weight_shapes_in_file(path):
  """[(layer, [weight shapes])] of a Keras HDF5 weights file, in its saved order."""
  import h5py  # pylint: disable=import-outside-toplevel
  try:
    with h5py.File(path, 'r') as handle:
      group = handle['model_weights'] if 'model_weights' in handle else handle
      layers = []
      for layer in _names(group.attrs.get('layer_names', [])):
        shapes = [tuple(group[layer][name].shape)
                  for name in _names(group[layer].attrs.get('weight_names', []))]
        if shapes:
          layers.append((layer, shapes))
      return layers
  except (OSError, KeyError, ValueError, RuntimeError) as error:
    raise UserError(f'--inception_weights={path}: not a readable Keras HDF5 weights file '
                    f'(corrupt or truncated?): {files.first_line(error)}') from None


def _names(values):
  return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def weights_sha256(path):
  digest = hashlib.sha256()
  with open(path, 'rb') as handle:
    for block in iter(lambda: handle.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def check_weights_path(path):
  """One line for a weights path that is not a file."""
  if os.path.isdir(path):
    raise UserError(f'--inception_weights={path} is a directory; name the weights file '
                    f'({WEIGHTS_FILE})')
  if not os.path.isfile(path):
    raise UserError(f'--inception_weights={path}: no such file')


class InceptionFeatures:
  """``features(images)``: pool3 features [N, 2048] of images NHWC in [-1, 1], any size."""

  def __init__(self, weights_path, batch=BATCH):
    check_weights_path(weights_path)
    self.path, self.batch = weights_path, batch
    self.graph = tf.Graph()
    with self.graph.as_default():
      self.pixels = tf1.placeholder(tf.uint8, (None, None, None, 3), 'pixels')
      self.inputs = resize_graph(self.pixels) / 127.5 - 1.0
      self.model = keras.applications.InceptionV3(include_top=False, weights=None,
                                                  input_shape=(SIZE, SIZE, 3), pooling='avg')
      self.features = self.model(self.inputs, training=False)
    self.sess = tf1.Session(graph=self.graph)
    try:
      self._load(weights_path)     # assigns every variable: no initializer needed
    except UserError:
      self.sess.close()
      raise
    self.graph.finalize()
    self.sha256 = weights_sha256(weights_path)

  def _load(self, path):
    """The file's layers must match the architecture's in order and shape: Keras loads HDF5
    weights by layer order, so the names need not match a new graph's (which Keras numbers per
    graph)."""
    found = _weight_shapes_in_file(path)
    expected = [(layer.name, [tuple(w.shape) for w in layer.weights])
                for layer in self.model.layers if layer.weights]
    if [shapes for _, shapes in found] != [shapes for _, shapes in expected]:
      first = next((i for i, (a, b) in enumerate(zip(found, expected)) if a[1] != b[1]),
                   min(len(found), len(expected)))
      raise UserError(f'--inception_weights={path}: not InceptionV3 weights without top '
                      f'({WEIGHTS_FILE}): {len(found)} layers with weights in the file, '
                      f'{len(expected)} in the architecture; the first difference is at layer '
                      f'{first + 1}')
    with self.graph.as_default(), self.sess.as_default():
      try:
        self.model.load_weights(path)
      except (OSError, ValueError) as error:
        raise UserError(f'--inception_weights={path}: could not load: '
                        f'{files.first_line(error)}') from None

  def __call__(self, images):
    pixels = to_uint8(images)
    return np.concatenate([self.sess.run(self.features, {self.pixels: pixels[i:i + self.batch]})
                           for i in range(0, len(pixels), self.batch)]).astype(np.float64)

  def close(self):
    self.sess.close()


def fid_kid(real_features, fake_features):
  """{inception_fid, inception_kid, inception_kid_std} of two feature sets."""
  kid, kid_std = kernel_inception_distance(real_features, fake_features)
  return dict(inception_fid=frechet_distance(real_features, fake_features),
              inception_kid=kid, inception_kid_std=kid_std)


def real_indices(num_examples, count, seed=0):
  """Which real examples are measured: all when there are at most ``count``, else a seeded
  subset (sorted: files are read in order)."""
  if num_examples <= count:
    return np.arange(num_examples)
  return np.sort(np.random.default_rng(seed).choice(num_examples, count, replace=False))


def real_features(inception, sampler, count, fingerprint, cache_dir, report=print):
  """Features of the real set's ``real_indices`` (cached by weights, data fingerprint, count).

  ``sampler``: the run's data source (``reader_view()``: read(sorted indices), transform).
  """
  view = sampler.reader_view()
  if view is None:
    raise UserError('Inception features need a finite image data set; this one is generated '
                    'without end')
  read, transform = view
  indices = real_indices(sampler.num_examples, count)
  key = hashlib.sha256(json.dumps([inception.sha256, fingerprint, len(indices), PROTOCOL],
                                  sort_keys=True).encode()).hexdigest()[:24]
  path = os.path.join(cache_dir, 'inception', f'real_{key}.npy')
  try:
    return np.load(path, allow_pickle=False)
  except (OSError, ValueError):
    pass
  report(f'Inception features of {len(indices)} real images (cached in {path})')
  chunks = [inception(transform(read(indices[i:i + 1000])))
            for i in range(0, len(indices), 1000)]
  features = np.concatenate(chunks)
  try:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f'{path}.{os.getpid()}.tmp.npy'
    np.save(partial, features)
    os.replace(partial, path)
  except OSError as error:
    report(f'Inception cache not written: {files.os_error_message(error, path)}')
  return features
