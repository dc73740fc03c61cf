"""Mode-coverage metrics for samples of a known Gaussian mixture (VEEGAN / PacGAN definitions).

A sample is high-quality when it lies within 3 standard deviations of its nearest centre; a mode is
captured when it is the nearest centre of at least one high-quality sample; reverse KL is
KL(generated || true) between the histogram of high-quality samples over the modes and the
uniform mode weights. The papers evaluate 2,500 samples.

Point data without mixture centres (an ``.npz`` of 2-D points, say) has no modes to count: there
the report gives what can be measured — each dimension's sample mean and std and, when the data
is held in memory, the energy distance between the samples and the data.
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


def energy_distance(samples, reference):
  """Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (0 only when the distributions agree)."""
  def mean_distance(a, b):
    squared = sum((a[:, None, i] - b[None, :, i]) ** 2 for i in range(a.shape[1]))
    return float(np.mean(np.sqrt(squared)))
  return (2.0 * mean_distance(samples, reference) - mean_distance(samples, samples) -
          mean_distance(reference, reference))


def reference_examples(data, count=EVAL_SAMPLES):
  """Up to ``count`` evenly spaced examples of an in-memory data set (drawing nothing from its
  RNG, so training is unchanged), or None when the examples are not held in memory."""
  examples = getattr(data, 'examples', None)
  if examples is None:
    return None
  index = np.linspace(0, len(examples) - 1, min(count, len(examples))).astype(np.int64)
  return np.asarray(examples[index], dtype=np.float64).reshape(len(index), -1)


def sample_distribution_report(samples, reference=None):
  """What point samples show without mixture centres: per-dimension mean and std, and the
  energy distance to ``reference`` data points when given."""
  samples = np.asarray(samples, dtype=np.float64)
  report = {}
  for i in range(samples.shape[1]):
    report[f'sample_mean_{i}'] = float(np.mean(samples[:, i]))
    report[f'sample_std_{i}'] = float(np.std(samples[:, i]))
  if reference is not None:
    report['energy_distance'] = energy_distance(samples, reference)
  return report


def sample_mode_report(model, sess):
  """Metrics of ``EVAL_SAMPLES`` samples of ``model``: mode metrics when its data is a Gaussian
  mixture; for other point data, ``sample_distribution_report``; {} for images.

  Shared ``final_report`` of the 2-D models.
  """
  centers = getattr(model.data, 'centers', None)
  if centers is None and model.sample_kind != 'points':
    return {}
  samples = model.sample(sess, EVAL_SAMPLES)
  if centers is None:
    return sample_distribution_report(samples, reference_examples(model.data))
  metrics = mode_metrics(samples, centers, model.data.std)
  return {name: float(value) for name, value in metrics.items()}
