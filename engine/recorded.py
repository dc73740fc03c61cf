"""Recorded losses: write a run's first losses with their metadata; replay and compare them.

A recorded file (``recorded/<model>-<variant>-<device>.json``) holds the model, the flag
overrides, seed, step count, TensorFlow version, device kind and the command that wrote it, and
each loss as a list. ``replay`` re-runs exactly that configuration on this machine and
``compare`` checks every value within the file's tolerance (see ``DEFAULT_RTOL``).
"""
import datetime
import json
import os
import platform
import tempfile

import numpy as np

from engine import loop, registry
from engine.compat import tf
from engine.config import make_config

# Same machine + op determinism gives bit-identical CPU losses. The tolerance only absorbs a
# different CPU instruction set (oneDNN picks kernels per ISA; float32 summation order changes
# results by ~1e-6 relative per op, compounding over steps): 1e-4 relative to each loss curve's
# largest magnitude. A 1% learning-rate change moves the curves by far more (see the tests).
DEFAULT_RTOL = 1e-4
# Settings forced for every recording: no files beyond the checkpoint, no resume.
_QUIET = dict(summary_every_steps=0, sample_every_steps=0, export_every_epochs=0,
              log_every_steps=1000000, resume=False)


def device_kind():
  return 'gpu' if tf.config.list_physical_devices('GPU') else 'cpu'


def run_losses(model_name, overrides, steps):
  """Train ``steps`` iterations from scratch in a temporary run dir; return {name: [values]}."""
  model_cls = registry.get(model_name)
  with tempfile.TemporaryDirectory() as run_dir:
    settings = dict(overrides, **_QUIET, run_dir=run_dir, train_steps=steps,
                    save_every_steps=max(steps, 1))
    result = loop.train(model_cls, make_config(model_cls.Config, settings))
  names = list(result.losses[0][1])
  return {name: [float(values[name]) for _, values in result.losses] for name in names}


def record(model_name, overrides, steps, variant, command, rtol=DEFAULT_RTOL):
  return {
      'model': model_name, 'variant': variant, 'overrides': overrides, 'steps': steps,
      'seed': overrides.get('seed', make_config(registry.get(model_name).Config, {}).seed),
      'device_kind': device_kind(), 'tensorflow': tf.__version__,
      'machine': platform.machine(), 'python': platform.python_version(),
      'recorded_at': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
      'command': command, 'rtol': rtol,
      'losses': run_losses(model_name, overrides, steps)}


def default_path(model_name, variant):
  return os.path.join('recorded', f'{model_name}-{variant}-{device_kind()}.json')


def write(recording, path):
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  with open(path, 'w') as handle:
    json.dump(recording, handle, indent=1)
    handle.write('\n')


def load(path):
  with open(path) as handle:
    return json.load(handle)


def replay(recording, **changed):
  """Re-run a recording's configuration (optionally with ``changed`` settings) on this machine."""
  overrides = dict(recording['overrides'], **changed)
  return run_losses(recording['model'], overrides, recording['steps'])


def compare(expected, actual, rtol):
  """List of mismatch descriptions (empty when every loss value agrees within tolerance)."""
  problems = []
  if sorted(expected) != sorted(actual):
    return [f'loss names differ: recorded {sorted(expected)}, now {sorted(actual)}']
  for name, want in expected.items():
    want, got = np.asarray(want), np.asarray(actual[name])
    if want.shape != got.shape:
      problems.append(f'{name}: {len(want)} recorded steps, {len(got)} now')
      continue
    tolerance = rtol * max(np.max(np.abs(want)), np.finfo(np.float32).tiny)
    bad = np.flatnonzero(~(np.abs(got - want) <= tolerance))
    if bad.size:
      step = int(bad[0])
      problems.append(f'{name}: step {step + 1} recorded {want[step]!r}, now {got[step]!r} '
                      f'(tolerance {tolerance:.3g}; {bad.size} of {want.size} steps differ)')
  return problems
