"""The field's sample-quality numbers on any feature space, numpy only.

Given features of real images ``real`` [N, D] and of generated ones ``fake`` [M, D]:

- **KID** (Bińkowski et al. 2018): the unbiased estimate of the squared MMD with the polynomial
  kernel ``k(x, y) = (x.y / D + 1)^3``, averaged over ``KID_SUBSETS`` random subsets of each set
  (``kid``) with its standard deviation over them (``kid_std``), as torch-fidelity and
  StyleGAN2-ADA's ``calc_metrics`` report it. Those draw subsets of 1,000 out of 50,000; here a
  subset is ``min(1000, N // 2, M // 2)`` so that it still varies: 500 for graphgan's 1,000-sample
  evaluations (state that beside any comparison).
- **Improved precision and recall** (Kynkäänniemi et al. 2019): each point's radius is the distance
  to its k-th nearest neighbour in its own set (``K_NEAREST`` = 3); ``precision`` is the fraction of
  fakes inside some real point's ball, ``recall`` the fraction of reals inside some fake's ball.
- **Density and coverage** (Naeem et al. 2020), on the real balls only: ``density`` counts, per fake,
  the real balls holding it (divided by k, averaged: 1 when fakes are distributed like reals, above
  1 where they crowd dense regions); ``feature_coverage`` is the fraction of real balls holding at
  least one fake (``coverage`` in the paper; graphgan's ``coverage`` counts classes).
"""
import numpy as np

K_NEAREST = 3
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
KID_SEED = 0               # subsets are drawn the same way at every evaluation


def polynomial_kernel(a, b):
  """(a.b / D + 1)^3 for every pair of rows."""
  return (a @ b.T / a.shape[1] + 1.0) ** 3


def unbiased_mmd2(x, y):
  """The unbiased squared MMD between samples ``x`` and ``y`` (same size m) under the kernel."""
  m = len(x)
  k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
  within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
  return float(within - 2.0 * k_xy.sum() / (m * m))


def kernel_inception_distance(real, fake, subsets=KID_SUBSETS, subset_size=KID_SUBSET_SIZE,
                              seed=KID_SEED):
  """(mean, std) of ``unbiased_mmd2`` over ``subsets`` random subsets (without replacement) of
  ``min(subset_size, N // 2, M // 2)`` points of each set."""
  real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
  size = min(subset_size, len(real) // 2, len(fake) // 2)
  if size < 2:
    raise ValueError(f'KID needs at least 4 points per set; got {len(real)} and {len(fake)}')
  rng = np.random.default_rng(seed)
  values = [unbiased_mmd2(real[rng.choice(len(real), size, replace=False)],
                          fake[rng.choice(len(fake), size, replace=False)])
            for _ in range(subsets)]
  return float(np.mean(values)), float(np.std(values))


def pairwise_distances(a, b):
  """Euclidean distance of every row of ``a`` to every row of ``b``."""
  squared = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None, :]
  return np.sqrt(np.maximum(squared, 0.0))


def nearest_neighbour_radii(features, k=K_NEAREST):
  """Distance of each point to its k-th nearest other point of the same set."""
  distances = pairwise_distances(features, features)
  return np.partition(distances, k, axis=1)[:, k]      # column 0 is the point itself


def precision_recall_density_coverage(real, fake, k=K_NEAREST):
  """{precision, recall, density, feature_coverage} of ``fake`` against ``real`` (see above)."""
  real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
  if min(len(real), len(fake)) <= k:
    raise ValueError(f'k={k} nearest neighbours need more than {k} points per set; got '
                     f'{len(real)} and {len(fake)}')
  real_radii, fake_radii = nearest_neighbour_radii(real, k), nearest_neighbour_radii(fake, k)
  real_to_fake = pairwise_distances(real, fake)                  # [N, M]
  inside_real = real_to_fake <= real_radii[:, None]             # fake j in real ball i
  inside_fake = real_to_fake <= fake_radii[None, :]             # real i in fake ball j
  return dict(precision=float(inside_real.any(0).mean()),
              recall=float(inside_fake.any(1).mean()),
              density=float(inside_real.sum(0).mean() / k),
              feature_coverage=float(inside_real.any(1).mean()))


def feature_metrics(real, fake):
  """Every measure above, as one dict (what the sample-quality report adds to Fréchet)."""
  kid, kid_std = kernel_inception_distance(real, fake)
  return dict(kid=kid, kid_std=kid_std, **precision_recall_density_coverage(real, fake))
