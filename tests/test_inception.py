"""FID/KID on Inception-v3 pool3 features (``engine/evaluation/inception.py``), checked with
randomly initialised weights - published-number comparisons need the real ImageNet file, which is
never downloaded:

- the in-graph resize against PIL's float bicubic resize and an independent numpy resampler
  (PIL's algorithm written out), upsampling (28, 64 -> 299) and shrinking (400 -> 299);
- features and statistics against an independent path: numpy/PIL preprocessing fed to the Keras
  model's own input, the Fréchet distance from the eigenvalues of the covariance
  product and KID from the unbiased MMD written out over the same subsets;
- ``bin/evaluate --inception_weights``: the row holds the three numbers, equal to the in-process
  computation; a missing file is one line (without weights, the line saying how to enable them and
  rows without the numbers: ``tests/test_evaluate.py``).
"""
import json

import h5py
import numpy as np
import pytest
from PIL import Image

from graphgan.engine import registry
from graphgan.engine.compat import keras, tf, tf1
from graphgan.engine.config import make_config
from graphgan.engine.errors import UserError
from graphgan.engine.evaluation import inception
from graphgan.engine.evaluation.feature_metrics import KID_SEED, KID_SUBSETS
from graphgan.engine.run import checkpoint
from graphgan.engine.run.session import Session

from test_evaluate import TINY_LSGAN


def _architecture():
  """[(layer name, [(weight name, shape)])] of InceptionV3 without top, in Keras' saved order."""
  with tf.Graph().as_default():
    model = keras.applications.InceptionV3(include_top=False, weights=None,
                                           input_shape=(299, 299, 3), pooling='avg')
    return [(layer.name, [(w.name, tuple(w.shape)) for w in layer.weights])
            for layer in model.layers]


def write_random_weights(path, seed=0):
  """A Keras HDF5 weights file of the architecture: He-normal kernels, BN beta 0, moving mean 0,
  moving variance 1 (what ``model.save_weights`` writes, without its 60 s of graph-mode saving)."""
  rng = np.random.default_rng(seed)
  with h5py.File(path, 'w') as handle:
    layers = _architecture()
    handle.attrs['layer_names'] = [name.encode() for name, _ in layers]
    handle.attrs['backend'] = b'tensorflow'
    handle.attrs['keras_version'] = b'2.21.0'
    for name, weights in layers:
      group = handle.create_group(name)
      group.attrs['weight_names'] = [weight.encode() for weight, _ in weights]
      for weight, shape in weights:
        if 'kernel' in weight:
          value = rng.normal(0, np.sqrt(2.0 / np.prod(shape[:-1])), shape)
        elif 'moving_variance' in weight:
          value = np.ones(shape)
        else:
          value = np.zeros(shape)
        group.create_dataset(weight, data=value.astype(np.float32))
  return path


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
  return str(write_random_weights(tmp_path_factory.mktemp('inception') / 'random_notop.h5'))


@pytest.fixture(scope='module')
def features(weights):
  measure = inception.InceptionFeatures(weights)
  yield measure
  measure.close()


def _cubic(x, a=-0.5):
  x = np.abs(x)
  return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                  np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def _resample_matrix(size_in, size_out):
  """PIL's ``ImagingResample`` coefficients for one axis (bicubic), as a matrix."""
  scale = size_in / size_out
  stretch = max(scale, 1.0)
  support = 2.0 * stretch
  matrix = np.zeros((size_out, size_in))
  for i in range(size_out):
    centre = (i + 0.5) * scale
    low, high = max(int(centre - support + 0.5), 0), min(int(centre + support + 0.5), size_in)
    taps = np.arange(low, high)
    weights = _cubic((taps - centre + 0.5) / stretch)
    matrix[i, taps] = weights / weights.sum()
  return matrix


def _numpy_resize(pixels):
  """uint8 [H, W, 3] -> float [299, 299, 3] clipped to [0, 255], numpy only."""
  rows = _resample_matrix(pixels.shape[0], inception.SIZE)
  cols = _resample_matrix(pixels.shape[1], inception.SIZE)
  out = np.stack([rows @ pixels[:, :, c].astype(np.float64) @ cols.T for c in range(3)], -1)
  return np.clip(out, 0, 255)


def _pil_resize(pixels):
  return np.stack([np.asarray(Image.fromarray(pixels[:, :, c].astype(np.float32), mode='F')
                              .resize((inception.SIZE, inception.SIZE), Image.BICUBIC))
                   for c in range(3)], -1).clip(0, 255)


@pytest.mark.parametrize('size', [28, 64, 400])
def test_the_resize_is_pils_bicubic(size):
  pixels = np.random.default_rng(size).integers(0, 256, (2, size, size + 3, 3), dtype=np.uint8)
  with tf.Graph().as_default():
    placeholder = tf1.placeholder(tf.uint8, (None, None, None, 3))
    resized = inception.resize_graph(placeholder)
    with tf1.Session() as sess:
      ours = sess.run(resized, {placeholder: pixels})
  for image, out in zip(pixels, ours):
    np.testing.assert_allclose(out, _pil_resize(image), atol=0.01)      # float32 rounding
    np.testing.assert_allclose(out, _numpy_resize(image), atol=0.01)


def test_images_become_the_bytes_a_file_would_hold():
  images = np.array([-1.0, -0.99, 0.0, 0.004, 1.0, 1.5], np.float32).reshape(1, 1, 6, 1)
  pixels = inception.to_uint8(images)
  assert pixels.shape == (1, 1, 6, 3)                   # grey -> three channels
  assert pixels[0, 0, :, 0].tolist() == [0, 1, 128, 128, 255, 255]


def _reference_features(features, images):
  """PIL resize + Keras' ``preprocess_input`` fed to the Keras model's own input (not through
  ``InceptionFeatures``' uint8 placeholder, resize and scaling)."""
  pixels = np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)
  if pixels.shape[-1] == 1:
    pixels = np.concatenate([pixels] * 3, axis=-1)
  inputs = np.stack([_pil_resize(image) for image in pixels]).astype(np.float32)
  inputs = keras.applications.inception_v3.preprocess_input(inputs)
  model = features.model
  return features.sess.run(model.output, {model.input: inputs}).astype(np.float64)


def _reference_frechet(a, b):
  """||mu_a - mu_b||^2 + Tr(S_a) + Tr(S_b) - 2 sum sqrt(eig(S_a S_b))."""
  cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
  roots = np.sqrt(np.clip(np.linalg.eigvals(cov_a @ cov_b).real, 0, None)).sum()
  return ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * roots


def _reference_kid(real, fake):
  """Mean and std of the unbiased MMD^2, (x.y/d + 1)^3 kernel, written out pair by pair over the
  subsets ``kernel_inception_distance`` draws (same generator, same order)."""
  size = min(1000, len(real) // 2, len(fake) // 2)
  rng, dim, values = np.random.default_rng(KID_SEED), real.shape[1], []
  for _ in range(KID_SUBSETS):
    x = real[rng.choice(len(real), size, replace=False)]
    y = fake[rng.choice(len(fake), size, replace=False)]
    kernel = lambda u, v: (u @ v / dim + 1.0) ** 3      # noqa: E731
    xx = sum(kernel(x[i], x[j]) for i in range(size) for j in range(size) if i != j)
    yy = sum(kernel(y[i], y[j]) for i in range(size) for j in range(size) if i != j)
    xy = sum(kernel(x[i], y[j]) for i in range(size) for j in range(size))
    values.append((xx + yy) / (size * (size - 1)) - 2 * xy / size ** 2)
  return np.mean(values), np.std(values)


def test_features_and_statistics_match_an_independent_computation(features):
  rng = np.random.default_rng(1)
  real = np.tanh(rng.normal(0, 1, (12, 64, 64, 3))).astype(np.float32)
  fake = np.tanh(rng.normal(0.3, 0.7, (10, 64, 64, 3))).astype(np.float32)
  ours_real, ours_fake = features(real), features(fake)
  assert ours_real.shape == (12, inception.FEATURES)
  reference_real = _reference_features(features, real)
  reference_fake = _reference_features(features, fake)
  scale = np.abs(reference_real).max()
  assert scale > 1e-3                                   # the random network passes a signal
  np.testing.assert_allclose(ours_real, reference_real, atol=1e-4 * scale)
  np.testing.assert_allclose(ours_fake, reference_fake, atol=1e-4 * scale)
  numbers = inception.fid_kid(ours_real, ours_fake)
  fid = _reference_frechet(reference_real, reference_fake)
  assert fid > 0
  assert numbers['inception_fid'] == pytest.approx(fid, rel=1e-3)
  kid, kid_std = _reference_kid(reference_real, reference_fake)
  assert numbers['inception_kid'] == pytest.approx(kid, rel=1e-3, abs=1e-6 * abs(kid))
  assert numbers['inception_kid_std'] == pytest.approx(kid_std, rel=1e-3)
  same = inception.fid_kid(ours_real, ours_real)
  assert abs(same['inception_fid']) < 1e-6 * fid         # a set against itself


def test_a_foreign_weights_file_is_one_line(tmp_path, weights):
  foreign = tmp_path / 'foreign.h5'
  with h5py.File(weights, 'r') as source, h5py.File(foreign, 'w') as handle:
    names = [name for name in source.attrs['layer_names']
             if len(source[name].attrs['weight_names'])][:-3]       # three layers short
    handle.attrs['layer_names'] = names
    for name in names:
      source.copy(source[name], handle, name=name)
  with pytest.raises(UserError, match='not InceptionV3 weights without top'):
    inception.InceptionFeatures(str(foreign))
  (tmp_path / 'junk.h5').write_bytes(b'not hdf5')
  with pytest.raises(UserError, match='not a readable Keras HDF5 weights file'):
    inception.InceptionFeatures(str(tmp_path / 'junk.h5'))
  with pytest.raises(UserError, match='no such file'):
    inception.InceptionFeatures(str(tmp_path / 'absent.h5'))


def test_bin_evaluate_adds_the_inception_numbers_of_the_checkpoint(entry_points, tmp_path,
                                                                     weights, features):
  run_dir = tmp_path / 'run'
  done = entry_points.run('train', TINY_LSGAN + ['--train_steps=2', f'--run_dir={run_dir}'])
  assert done.returncode == 0, done.stderr[-3000:]
  env = {'GRAPHGAN_CACHE_DIR': str(tmp_path / 'cache')}
  done = entry_points.run('evaluate', [f'--run_dir={run_dir}', f'--inception_weights={weights}',
                                       '--inception_samples=16'], env=env)
  assert done.returncode == 0, done.stderr[-3000:]
  assert inception.HOW_TO_ENABLE not in done.stdout
  row = json.loads((run_dir / 'evaluations.jsonl').read_text().splitlines()[-1])
  assert list(tmp_path.glob('cache/inception/real_*.npy'))          # the real side is cached
  real = np.load(next(tmp_path.glob('cache/inception/real_*.npy')))
  assert real.shape == (16, inception.FEATURES)
  # The same numbers from the run's own samples, computed here.
  model_cls = registry.get('lsgan')
  session = Session(model_cls, make_config(model_cls.Config, dict(
      g_base_channels=4, d_base_channels=4, embedded_size=32, batch_size=8,
      run_dir=str(run_dir))))                                   # TINY_LSGAN's settings
  try:
    with session.graph.as_default():
      saver = tf1.train.Saver()
    session.prepare()
    saver.restore(session.sess, checkpoint.Scan(checkpoint.checkpoint_dir(str(run_dir))).path(2))
    read, transform = session.data.reader_view()
    real_here = features(transform(read(inception.real_indices(session.data.num_examples, 16))))
    fake_here = features(session.model.sample(session.sess, 16))
  finally:
    session.close()
  np.testing.assert_allclose(real, real_here, rtol=1e-6)
  expected = inception.fid_kid(real_here, fake_here)
  for name, value in expected.items():
    assert row[name] == pytest.approx(value, rel=1e-6), name

  done = entry_points.run('evaluate', [f'--run_dir={run_dir}',
                                       f'--inception_weights={tmp_path / "absent.h5"}'], env=env)
  assert done.returncode != 0
  assert 'absent.h5: no such file' in done.stderr, done.stderr[-2000:]
  assert 'Traceback' not in done.stderr
