"""2-D Gaussian mixtures (the Unrolled GAN / VEEGAN / PacGAN toy data): a ring of 8 and a 5x5 grid.

The paper's notebook built the ring with ``linspace(0, 2*pi, 8)``, which repeats the first centre
(7 distinct modes); ``ring_centers`` uses ``num_modes`` distinct angles.
"""
import dataclasses

import numpy as np

from graphgan.engine.config import hparam
from graphgan.engine.data.registry import register_source
from graphgan.engine.data.source import Sampler
from graphgan.engine.errors import UserError

RING_RADIUS = 1.0    # PacGAN / paper code: centres on the unit circle
RING_STD = 0.01      # PacGAN: variance 1e-4
GRID_STD = 0.05      # VEEGAN / PacGAN: variance 0.0025


def ring_centers(num_modes=8, radius=RING_RADIUS):
  """``num_modes`` centres at distinct angles 2*pi*i/num_modes on a circle; float32 (n, 2)."""
  if num_modes < 1 or radius <= 0:
    raise UserError(f'ring needs num_modes >= 1 and radius > 0; got {num_modes}, {radius}')
  angles = 2.0 * np.pi * np.arange(num_modes) / num_modes
  return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1).astype(np.float32)


def grid_centers():
  """The 25 centres {-4, -2, 0, 2, 4}^2; float32 (25, 2)."""
  ticks = np.arange(-4.0, 5.0, 2.0)
  xs, ys = np.meshgrid(ticks, ticks, indexing='ij')
  return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


class MixtureSampler(Sampler):
  """Endless samples from an equal-weight mixture of isotropic Gaussians at ``centers``."""

  def __init__(self, centers, std, seed):
    super().__init__(seed)
    if std <= 0:
      raise UserError(f'mixture std must be > 0; got {std}')
    self.centers = np.asarray(centers, dtype=np.float32)
    self.std = float(std)

  @property
  def example_shape(self):
    return (self.centers.shape[1],)

  def image_sample(self, batch):
    """``batch`` points (float32, batch x 2): a uniformly chosen centre plus N(0, std^2) noise."""
    which = self.rng.integers(0, len(self.centers), size=batch)
    noise = self.rng.standard_normal(size=(batch, self.centers.shape[1]))
    return (self.centers[which] + self.std * noise).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class RingSettings:
  """``--data=ring``: the flags every model gets with it."""
  ring_modes: int = hparam(8, 'Gaussians on the ring.', lower=1)
  ring_radius: float = hparam(RING_RADIUS, 'Ring radius (PacGAN / paper notebook: 1).', lower=0,
                              lower_exclusive=True)
  ring_std: float = hparam(RING_STD, 'Std of each ring Gaussian (PacGAN: 0.01).', lower=0,
                           lower_exclusive=True)


@dataclasses.dataclass(frozen=True)
class GridSettings:
  """``--data=grid``: the flags every model gets with it."""
  grid_std: float = hparam(GRID_STD, 'Std of each grid Gaussian (VEEGAN/PacGAN: 0.05).', lower=0,
                           lower_exclusive=True)


@register_source('ring', settings=RingSettings)
def ring_source(config, seed):
  """``ring_modes`` Gaussians on a ring of ``ring_radius``, each of std ``ring_std``."""
  return MixtureSampler(ring_centers(config.ring_modes, config.ring_radius), config.ring_std, seed)


@register_source('grid', settings=GridSettings)
def grid_source(config, seed):
  """25 Gaussians on the 5x5 grid, each of std ``grid_std``."""
  return MixtureSampler(grid_centers(), config.grid_std, seed)
