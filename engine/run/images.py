"""Sample pictures: image grids and 2-D scatter plots as PNG bytes/files (no graph ops)."""
import io
import math

import numpy as np


def image_grid(images, columns=None):
  """NHWC float images in [-1, 1] -> one uint8 HxWxC grid, ``columns`` wide (default square)."""
  images = np.asarray(images)
  count = len(images)
  columns = columns or int(math.ceil(math.sqrt(count)))
  rows = int(math.ceil(count / columns))
  height, width, channels = images.shape[1:]
  grid = np.zeros((rows * height, columns * width, channels), np.uint8)
  pixels = np.clip((images + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
  for index, image in enumerate(pixels):
    row, column = divmod(index, columns)
    grid[row * height:(row + 1) * height, column * width:(column + 1) * width] = image
  return grid


def png_bytes(grid):
  from PIL import Image  # pylint: disable=import-outside-toplevel
  buffer = io.BytesIO()
  Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(buffer, format='PNG')
  return buffer.getvalue()


def scatter_png(points, title='', limit=None):
  """A 2-D scatter of ``points`` (N x 2) as PNG bytes (matplotlib, Agg backend)."""
  import matplotlib  # pylint: disable=import-outside-toplevel
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
  figure, axes = plt.subplots(figsize=(4, 4), dpi=100)
  axes.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5)
  if limit:
    axes.set_xlim(-limit, limit)
    axes.set_ylim(-limit, limit)
  axes.set_title(title)
  buffer = io.BytesIO()
  figure.savefig(buffer, format='png')
  plt.close(figure)
  return buffer.getvalue()


def sample_png(samples, kind, title=''):
  """PNG bytes and (height, width, channels) for a model's samples of ``kind`` images|points."""
  if kind == 'points':
    data = scatter_png(np.asarray(samples), title)
    return data, (400, 400, 4)
  grid = image_grid(samples)
  return png_bytes(grid), grid.shape
