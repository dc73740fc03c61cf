"""Mode-coverage metrics for samples of a known Gaussian mixture (VEEGAN / PacGAN definitions).

A sample is high-quality when it lies within 3 standard deviations of its nearest centre; a mode is
captured when it is the nearest centre of at least one high-quality sample; reverse KL is
KL(generated || true) between the histogram of high-quality samples over the modes and the
uniform mode weights. The papers evaluate 2,500 samples.
"""
import numpy as np

EVAL_SAMPLES = 2500
QUALITY_STDS = 3.0


def mode_metrics(samples, centers, std, quality_stds=QUALITY_STDS):
  """{'modes': int, 'high_quality': fraction in [0, 1], 'reverse_kl': nats (inf if no HQ)}."""
  samples = np.asarray(samples, dtype=np.float64)
  centers = np.asarray(centers, dtype=np.float64)
  if samples.ndim != 2 or samples.shape[1] != centers.shape[1] or not len(samples):
    raise ValueError(f'samples must be (N > 0, {centers.shape[1]}); got {samples.shape}')
  distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
  nearest = np.argmin(distances, axis=1)
  high_quality = distances[np.arange(len(samples)), nearest] <= quality_stds * std
  counts = np.bincount(nearest[high_quality], minlength=len(centers))
  return {'modes': int(np.count_nonzero(counts)),
          'high_quality': float(np.mean(high_quality)),
          'reverse_kl': reverse_kl(counts)}


def reverse_kl(counts):
  """KL(p || uniform) in nats for a histogram ``counts`` over modes; inf for an empty histogram."""
  counts = np.asarray(counts, dtype=np.float64)
  if counts.sum() == 0:
    return float('inf')
  p = counts / counts.sum()
  present = p > 0
  return float(np.sum(p[present] * np.log(p[present] * len(p))))


def sample_mode_report(model, sess):
  """Mode metrics of ``EVAL_SAMPLES`` samples of ``model`` when its data is a Gaussian mixture.

  Returns {} for other data (no centres to measure against). Shared ``final_report`` of the
  2-D models.
  """
  centers = getattr(model.data, 'centers', None)
  if centers is None:
    return {}
  metrics = mode_metrics(model.sample(sess, EVAL_SAMPLES), centers, model.data.std)
  return {name: float(value) for name, value in metrics.items()}
