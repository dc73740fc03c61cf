"""GPU smoke tests: every model trains on an NVIDIA GPU, its ops placed there (MISSION: the same
code runs on CPU and GPU). Skipped with a reason where TensorFlow sees no GPU."""
import glob
import math
import os

import pytest

from graphgan.engine import registry
from graphgan.engine.compat import tf1
from graphgan.engine.run import loop
from graphgan.engine.tools import recorded

from conftest import requires_gpu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _small_overrides(model_name):
  """The small settings of the model's first CPU recording (a config known to train quickly)."""
  for path in sorted(glob.glob(os.path.join(ROOT, 'recorded', f'{model_name}-*-cpu-*.json'))):
    return dict(recorded.load(path)['overrides'])
  raise AssertionError(f'no CPU recording of {model_name} to take small settings from')


@requires_gpu
@pytest.mark.parametrize('model_name', registry.names())
def test_every_model_trains_two_steps_on_the_gpu(model_name):
  losses = recorded.run_losses(model_name, _small_overrides(model_name), 2)
  assert all(len(values) == 2 and all(math.isfinite(v) for v in values)
             for values in losses.values()), losses


class _Traced:
  """A session proxy that traces every run and keeps the devices its ops ran on."""

  def __init__(self, sess):
    self.sess, self.devices = sess, set()

  def run(self, fetches, feed_dict=None):
    options = tf1.RunOptions(trace_level=tf1.RunOptions.FULL_TRACE)
    metadata = tf1.RunMetadata()
    result = self.sess.run(fetches, feed_dict, options=options, run_metadata=metadata)
    self.devices.update(d.device for d in metadata.step_stats.dev_stats)
    return result


@requires_gpu
def test_wgan_iteration_runs_its_ops_on_the_gpu(small_wgan_config):
  model_cls = registry.get('wgan')
  session = loop.Session(model_cls, small_wgan_config())
  try:
    session.prepare()
    traced = _Traced(session.sess)
    with session.graph.as_default():
      session.model.iteration(traced, 0)
  finally:
    session.close()
  assert any('GPU' in device for device in traced.devices), traced.devices
