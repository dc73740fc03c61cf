"""A GPU agrees with the CPU as closely as two CPUs agree with each other.

The yardstick is measured on the CPU: ``recorded/spread/<kind>.json`` (written by
``bin/record_losses --isa_spread``) holds, per configuration, loss and step, the largest relative
difference between replays with oneDNN capped at different instruction sets (native, AVX2, AVX) —
what CPU arithmetic alone does to a recording. On a GPU, each configuration is replayed and
compared with that kind's CPU recording: every value must lie within the spread (plus the
recording's own absolute floor). Skipped with its reason where no GPU is visible.
"""
import glob
import os

import numpy as np
import pytest

from graphgan.engine.tools import recorded

from conftest import requires_gpu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPREADS = sorted(glob.glob(os.path.join(ROOT, 'recorded', 'spread', '*.json')))


def within_spread(cpu, gpu, spread, atol):
  """Problems (empty: agreement) of ``gpu`` against ``cpu``, loss by loss, step by step:
  ``|gpu - cpu| <= spread * |cpu| + atol``."""
  problems = []
  for name, want in cpu.items():
    want, got = np.asarray(want), np.asarray(gpu[name])
    tolerance = np.asarray(spread[name]) * np.abs(want) + atol[name]
    bad = np.flatnonzero(~(np.abs(got - want) <= tolerance))
    if bad.size:
      step = int(bad[0])
      problems.append(f'{name}: step {step + 1} cpu {want[step]!r}, gpu {got[step]!r} (two CPUs '
                      f'differ there by {spread[name][step]:.2g} relative; {bad.size} steps out)')
  return problems


def test_the_yardstick_rejects_what_lies_outside_it():
  """The comparison itself, on numbers: inside the spread passes, beyond it fails."""
  cpu = {'loss': [1.0, 2.0]}
  spread = {'loss': [1e-3, 1e-2]}
  atol = {'loss': 0.0}
  assert within_spread(cpu, {'loss': [1.0009, 2.019]}, spread, atol) == []
  assert within_spread(cpu, {'loss': [1.0011, 2.0]}, spread, atol)
  assert within_spread(cpu, {'loss': [1.0, 2.03]}, spread, atol)


def test_every_configuration_has_a_measured_spread():
  """The yardstick covers every recorded configuration (re-measure after recording a new one)."""
  assert SPREADS, 'no recorded/spread/*.json: run bin/record_losses --isa_spread'
  keys = {f'{m}-{v}' for m, v in recorded.configurations()}
  for path in SPREADS:
    assert set(recorded.load(path)['spread']) >= keys, path


@requires_gpu
@pytest.mark.parametrize('path', SPREADS, ids=[os.path.basename(p) for p in SPREADS])
def test_a_gpu_replay_agrees_with_the_cpu_recording_within_the_cpu_spread(path):
  measured = recorded.load(path)
  kind = measured['device_kind']
  problems = {}
  for (model, variant), _ in sorted(recorded.configurations().items()):
    cpu_path = recorded.find(model, variant, kind)
    if cpu_path is None:
      continue
    cpu = recorded.load(cpu_path)
    gpu = recorded.replay(cpu)
    found = within_spread(cpu['losses'], gpu, measured['spread'][f'{model}-{variant}'],
                          cpu['atol'])
    if found:
      problems[f'{model}-{variant}'] = found
  assert not problems, f'the GPU differs from {kind} by more than CPUs differ among themselves ' \
      f'(on Ampere and newer, check TF32 is off: docs/gpu.md): {problems}'
