"""The embedded glyphs, the MNIST .npz loader's one-line errors, and the dcgan config's choices."""
import numpy as np
import pytest

from graphgan.engine.config import make_config
from graphgan.engine.data import make_source
from graphgan.engine.data.glyphs import NUM_CLASSES, generate_glyphs, load_mnist_npz
from graphgan.engine.errors import UserError
from graphgan.models.dcgan import DCGAN


def test_glyphs_are_deterministic_balanced_uint8_28x28x1():
  images, labels = generate_glyphs(200, seed=5)
  again, again_labels = generate_glyphs(200, seed=5)
  other, _ = generate_glyphs(200, seed=6)
  assert images.shape == (200, 28, 28, 1) and images.dtype == np.uint8
  assert np.array_equal(images, again) and np.array_equal(labels, again_labels)
  assert not np.array_equal(images, other)
  assert np.bincount(labels, minlength=NUM_CLASSES).tolist() == [20] * NUM_CLASSES
  assert images.max() == 255 and images.min() == 0
  ink = (images > 127).mean()
  assert 0.05 < ink < 0.3                                  # strokes on black, like MNIST


def test_glyph_classes_differ_on_average():
  images, labels = generate_glyphs(500, seed=0)
  means = np.stack([images[labels == c].mean(0) for c in range(NUM_CLASSES)]).reshape(10, -1)
  distances = np.linalg.norm(means[:, None] - means[None], axis=-1)
  assert distances[~np.eye(10, dtype=bool)].min() > 100    # no two classes look alike


def test_glyphs28_source_serves_float32_in_unit_range():
  config = make_config(DCGAN.Config, {})
  batch = make_source('glyphs28', config, 0).image_sample(16)
  assert batch.shape == (16, 28, 28, 1) and batch.dtype == np.float32
  assert batch.min() == -1.0 and batch.max() == 1.0


def test_bn_must_be_v1_or_v2():
  assert make_config(DCGAN.Config, dict(bn='v2')).bn == 'v2'
  with pytest.raises(UserError, match='--bn must be one of v1, v2'):
    make_config(DCGAN.Config, dict(bn='v3'))


def test_dcgan_documented_defaults():
  config = make_config(DCGAN.Config, {})
  assert (config.batch_size, config.z_dim, config.train_steps) == (128, 100, 20000)


@pytest.fixture
def npz(tmp_path):
  def write(**arrays):
    path = tmp_path / 'mnist.npz'
    np.savez(path, **arrays)
    return str(path)
  return write


def test_mnist_npz_loads_standard_layout(npz):
  images = np.zeros((7, 28, 28), np.uint8)
  images[:, 10:18, 12:16] = 255
  path = npz(x_train=images, y_train=np.arange(7), x_test=images[:2], y_test=np.arange(2))
  loaded, labels = load_mnist_npz(path)
  assert loaded.shape == (7, 28, 28, 1) and labels.tolist() == list(range(7))
  config = make_config(DCGAN.Config, dict(data='mnist_npz', data_path=path))
  batch = make_source('mnist_npz', config, 0).image_sample(3)
  assert batch.dtype == np.float32 and batch.min() == -1.0 and batch.max() == 1.0


@pytest.mark.parametrize('arrays, message', [
    (dict(x_test=np.zeros((2, 28, 28), np.uint8)), 'missing array.*x_train, y_train'),
    (dict(x_train=np.zeros((2, 28, 28), np.uint8)), 'missing array.*y_train'),
    (dict(x_train=np.zeros((2, 32, 32, 3), np.uint8), y_train=np.zeros(2)),
     r'x_train has shape \(2, 32, 32, 3\); expected \(N, 28, 28\)'),
    (dict(x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(3)),
     r'y_train has shape \(3,\); expected \(2,\)'),
])
def test_mnist_npz_bad_files_are_one_line_errors(npz, arrays, message):
  path = npz(**arrays)
  with pytest.raises(UserError, match=message) as error:
    load_mnist_npz(path)
  assert '\n' not in str(error.value) and path in str(error.value)


def test_mnist_npz_missing_path_or_file(tmp_path):
  with pytest.raises(UserError, match='needs --data_path'):
    load_mnist_npz('')
  with pytest.raises(UserError, match='no such file'):
    load_mnist_npz(str(tmp_path / 'absent.npz'))
  not_npz = tmp_path / 'text.npz'
  not_npz.write_text('hello')
  with pytest.raises(UserError, match='not a readable .npz'):
    load_mnist_npz(str(not_npz))
