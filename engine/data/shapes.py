"""Embedded 64x64x3 image set: coloured shapes of 4 known classes, generated with numpy only.

Classes: 0 disc, 1 square, 2 triangle, 3 ring. Each image has a random background tint, a random
shape colour, position and size, and mild pixel noise; the same (num, seed) always gives the same
set, so runs on a fresh machine need no download.
"""
import dataclasses

import numpy as np

from graphgan.engine import resources
from graphgan.engine.config import hparam
from graphgan.engine.data.loaders import to_unit_range
from graphgan.engine.data.registry import register_source
from graphgan.engine.data.source import ArraySampler

CLASS_NAMES = ('disc', 'square', 'triangle', 'ring')
NUM_CLASSES = len(CLASS_NAMES)
SHAPES_SEED = 1234      # the embedded set is a fixed function of this seed
EMBEDDED_SIZE = 2048    # images in the set unless --embedded_size says otherwise


def shape_images(num, size=64, seed=0):
  """(images uint8 [num, size, size, 3], labels int64 [num]) — deterministic in (num, size, seed)."""
  rng = np.random.default_rng(seed)
  yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
  images = np.empty((num, size, size, 3), np.uint8)
  labels = rng.integers(0, len(CLASS_NAMES), size=num)
  for i, label in enumerate(labels):
    radius = rng.uniform(0.18, 0.32) * size
    cx, cy = rng.uniform(radius, size - radius, size=2)
    dx, dy = xx - cx, yy - cy
    if label == 0:
      mask = dx * dx + dy * dy <= radius * radius
    elif label == 1:
      mask = (np.abs(dx) <= radius * 0.8) & (np.abs(dy) <= radius * 0.8)
    elif label == 2:
      mask = (dy <= radius * 0.7) & (dy >= -radius) & (np.abs(dx) <= (dy + radius) * 0.6)
    else:
      dist2 = dx * dx + dy * dy
      mask = (dist2 <= radius * radius) & (dist2 >= (0.55 * radius) ** 2)
    background = rng.uniform(0, 90, size=3)
    colour = rng.uniform(120, 255, size=3)
    image = np.where(mask[..., None], colour, background)
    image += rng.normal(0, 6, size=image.shape)
    images[i] = np.clip(image, 0, 255).astype(np.uint8)
  return images, labels.astype(np.int64)


@dataclasses.dataclass(frozen=True)
class ShapesSettings:
  """``--data=shapes64``: the flags every model gets with it."""
  embedded_size: int = hparam(EMBEDDED_SIZE, 'Images in the embedded shapes64 data set.', lower=1)


@register_source('shapes64', settings=ShapesSettings)
def shapes64_source(config, seed):
  """The embedded 64x64x3 set; ``config.embedded_size`` images."""
  num = config.embedded_size
  resources.check_array(f'--embedded_size={num} images of 64x64x3', (num, 64, 64, 3), np.uint8)
  images, _ = shape_images(num, 64, seed=SHAPES_SEED)   # the data set is fixed; ``seed`` orders it
  return ArraySampler(images, seed, transform=to_unit_range)
