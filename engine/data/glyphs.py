"""Embedded 28x28x1 digit-like glyphs with 10 known classes, and the MNIST ``.npz`` loader.

The glyphs stand in for MNIST on a machine without it: each class is a fixed set of pen strokes
(a hand-drawn-looking 0..9) rendered with a random affine jitter (rotation, slant, scale, shift)
and a random pen width, anti-aliased, white on black like MNIST. The set is a pure function of
its own seed (``GLYPHS_SEED``), so every run, every seed and the quality classifier see the same
images; the run's ``--seed`` only orders them.
"""
import functools
import os

import numpy as np

from graphgan.engine.data.registry import register_source
from graphgan.engine.data.source import ArraySampler
from graphgan.engine.errors import UserError

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
GLYPHS_SEED = 2828
NUM_GLYPHS = 20000      # a third of MNIST's training split; ~10 s to draw on one core


def _arc(cx, cy, rx, ry, start_deg, end_deg, points=10):
  angles = np.radians(np.linspace(start_deg, end_deg, points))
  return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


# Pen strokes of each class in a unit box (x right, y down); each stroke is a polyline.
_STROKES = {
    0: [_arc(0.5, 0.5, 0.28, 0.4, 0, 360, 16)],
    1: [[(0.38, 0.25), (0.55, 0.1), (0.55, 0.9)]],
    2: [_arc(0.5, 0.32, 0.26, 0.22, 190, 380, 9) + [(0.22, 0.9), (0.8, 0.9)]],
    3: [_arc(0.48, 0.3, 0.24, 0.2, 200, 450, 9), _arc(0.48, 0.7, 0.27, 0.2, -90, 160, 9)],
    4: [[(0.62, 0.1), (0.2, 0.62), (0.82, 0.62)], [(0.62, 0.3), (0.62, 0.9)]],
    5: [[(0.75, 0.1), (0.3, 0.1), (0.27, 0.45)] + _arc(0.48, 0.65, 0.27, 0.25, -120, 150, 10)],
    6: [[(0.68, 0.1)] + _arc(0.5, 0.65, 0.25, 0.25, 200, 560, 16)],
    7: [[(0.2, 0.1), (0.8, 0.1), (0.42, 0.9)], [(0.35, 0.5), (0.68, 0.5)]],
    8: [_arc(0.5, 0.3, 0.2, 0.2, 0, 360, 12), _arc(0.5, 0.7, 0.25, 0.2, 0, 360, 12)],
    9: [_arc(0.5, 0.33, 0.24, 0.23, 0, 360, 12), [(0.74, 0.33), (0.62, 0.9)]],
}


def _segments(label):
  """(S, 2, 2) array of the line segments drawing ``label``."""
  pieces = []
  for stroke in _STROKES[label]:
    stroke = np.asarray(stroke, dtype=np.float64)
    pieces.append(np.stack([stroke[:-1], stroke[1:]], axis=1))
  return np.concatenate(pieces)


_PIXELS = np.stack(np.meshgrid(np.arange(28) + 0.5, np.arange(28) + 0.5, indexing='xy'),
                   axis=-1).reshape(-1, 2).astype(np.float32)   # (784, 2) pixel centres as (x, y)


def _render(segments, rng, count):
  """``count`` jittered renderings of one class's segments: (count, 28, 28) uint8."""
  angle = np.radians(rng.uniform(-12, 12, count))
  slant = rng.uniform(-0.25, 0.25, count)
  scale = rng.uniform(17.0, 22.0, count)[:, None] * np.stack(
      [rng.uniform(0.8, 1.1, count), np.ones(count)], axis=1)          # (count, 2) x/y scale
  shift = 14.0 + rng.uniform(-1.5, 1.5, (count, 2))
  width = rng.uniform(0.9, 1.8, count)
  points = segments.reshape(-1, 2).astype(np.float32) - 0.5            # centred unit box
  points = points[None] * scale[:, None, :]
  points = np.stack([points[..., 0] + slant[:, None] * points[..., 1], points[..., 1]], axis=-1)
  cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
  points = np.stack([cos * points[..., 0] - sin * points[..., 1],
                     sin * points[..., 0] + cos * points[..., 1]], axis=-1) + shift[:, None, :]
  start, end = np.split(points.reshape(count, -1, 2, 2), 2, axis=2)    # (count, S, 1, 2) each
  start, end = start[:, :, 0].astype(np.float32), end[:, :, 0].astype(np.float32)
  direction = end - start
  length2 = np.maximum((direction ** 2).sum(-1), 1e-9)                  # (count, S)
  rel = _PIXELS[None, None] - start[:, :, None, :]                      # (count, S, 784, 2)
  t = np.clip((rel * direction[:, :, None, :]).sum(-1) / length2[:, :, None], 0.0, 1.0)
  nearest = rel - t[..., None] * direction[:, :, None, :]
  distance = np.sqrt((nearest ** 2).sum(-1)).min(axis=1)                # (count, 784)
  ink = np.clip(width[:, None] + 0.5 - distance, 0.0, 1.0)              # 1 px anti-aliased edge
  return np.round(ink * 255).astype(np.uint8).reshape(count, 28, 28)


def generate_glyphs(num, seed=GLYPHS_SEED):
  """``num`` glyphs (uint8, N x 28 x 28 x 1) and labels (int64, balanced, shuffled)."""
  rng = np.random.default_rng(seed)
  labels = rng.permutation(np.arange(num) % NUM_CLASSES)
  images = np.zeros((num, 28, 28), dtype=np.uint8)
  for label in range(NUM_CLASSES):
    index = np.flatnonzero(labels == label)
    segments = _segments(label)
    for begin in range(0, len(index), 500):                            # bounded memory
      chunk = index[begin:begin + 500]
      images[chunk] = _render(segments, rng, len(chunk))
  return images[..., None], labels.astype(np.int64)


@functools.lru_cache(maxsize=2)
def glyphs(num=NUM_GLYPHS):
  """The embedded set (cached per process)."""
  images, labels = generate_glyphs(num)
  images.setflags(write=False)
  labels.setflags(write=False)
  return images, labels


def to_unit_range(images):
  """uint8 [0, 255] -> float32 [-1, 1] (the DCGAN's tanh range)."""
  unit = images.astype(np.float32)     # in place: one new array (see loaders.to_unit_range)
  unit /= 127.5
  unit -= 1.0
  return unit


@register_source('glyphs28')
def glyphs_source(config, seed):
  """Embedded digit-like glyphs, served as float32 in [-1, 1]."""
  del config
  images, _ = glyphs()
  return ArraySampler(images, seed, transform=to_unit_range)


def load_mnist_npz(path):
  """(x_train, y_train) from an MNIST-layout ``.npz``: uint8 N x 28 x 28 (or x 1) and labels."""
  if not path:
    raise UserError('--data=mnist_npz needs --data_path=<file.npz> (with x_train, y_train)')
  if not os.path.isfile(path):
    raise UserError(f'--data_path={path}: no such file (expected an MNIST .npz with x_train)')
  try:
    archive = np.load(path, allow_pickle=False)
  except (OSError, ValueError) as error:
    raise UserError(f'--data_path={path}: not a readable .npz file ({error})') from None
  with archive:
    missing = [name for name in ('x_train', 'y_train') if name not in archive.files]
    if missing:
      raise UserError(f'--data_path={path}: missing array(s) {", ".join(missing)} '
                      f'(found {", ".join(archive.files) or "none"}); expected x_train, y_train')
    try:
      images, labels = archive['x_train'], archive['y_train']   # object arrays are refused here
    except ValueError as error:
      raise UserError(f'--data_path={path}: {error}') from None
  if images.ndim == 3:
    images = images[..., None]
  if images.shape[1:] != IMAGE_SHAPE:
    raise UserError(f'--data_path={path}: x_train has shape {images.shape}; '
                    f'expected (N, 28, 28) or (N, 28, 28, 1)')
  if labels.shape != (len(images),):
    raise UserError(f'--data_path={path}: y_train has shape {labels.shape}; '
                    f'expected ({len(images)},) to match x_train')
  return images, labels


@register_source('mnist_npz')
def mnist_npz_source(config, seed):
  """MNIST from ``--data_path`` (.npz with x_train, y_train), served as float32 in [-1, 1]."""
  images, _ = load_mnist_npz(config.data_path)
  if images.dtype == np.uint8 or images.max() > 1.0:
    return ArraySampler(images, seed, transform=to_unit_range)           # pixel values 0..255
  return ArraySampler(images, seed, transform=lambda b: b.astype(np.float32) * 2.0 - 1.0)
