"""Recorded-loss regression: every file under recorded/ replays within its tolerance, and the
tolerance bites: a 1% learning-rate change moves every file beyond it.

Each file was written by the command stored in it (``bin/record_losses ...``); the policy for
re-recording is in WORKSPACE.md. CPU files replay on CPU; GPU files only where a GPU is present.
Tolerance per value: ``atol + rtol * |recorded|``, both stored in the file (engine/recorded.py).
"""
import glob
import os

import pytest

from engine import recorded, registry


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = sorted(glob.glob(os.path.join(ROOT, 'recorded', '*.json')))


def _id(path):
  return os.path.basename(path)[:-len('.json')]


# The learning-rate flag each model's perturbation changes (every model with a recorded file).
PERTURBED_LEARNING_RATE = {'wgan': 'learning_rate_d', 'wgan_gp': 'learning_rate_d',
                           'unrolled_gan': 'learning_rate_d', 'dcgan': 'learning_rate',
                           'bn_regression': 'learning_rate', 'lsgan': 'learning_rate_d'}


def _skip_unless_device_matches(recording):
  kind, here = recording['device_kind'], recorded.device_kind()
  if kind != here:
    pytest.skip(f'recorded on {kind}; this machine is {here} (the file of its own kind replays here)')


def _problems(recording, losses):
  return recorded.compare(recording['losses'], losses, recording['rtol'], recording['atol'])


@pytest.mark.parametrize('path', FILES, ids=[_id(p) for p in FILES])
def test_recorded_losses_replay(path):
  recording = recorded.load(path)
  _skip_unless_device_matches(recording)
  problems = _problems(recording, recorded.replay(recording))
  assert not problems, f'{_id(path)} moved (re-record only per WORKSPACE.md policy): {problems}'


@pytest.mark.parametrize('path', FILES, ids=[_id(p) for p in FILES])
def test_one_percent_learning_rate_change_leaves_the_tolerance(path):
  """The check bites for every file: learning rate x 1.01 moves some value past its tolerance."""
  recording = recorded.load(path)
  _skip_unless_device_matches(recording)
  model_cls = registry.get(recording['model'])
  flag = PERTURBED_LEARNING_RATE[recording['model']]
  learning_rate = recording['overrides'].get(flag, getattr(model_cls.Config, flag))
  assert _problems(recording, recorded.replay(recording, **{flag: learning_rate * 1.01}))


def test_every_cpu_recording_has_a_twin_for_this_device_kind():
  """A CPU file replays only on its own kind (engine/recorded.py): each recorded configuration
  needs a twin for this machine's kind (the same stored command run here writes
  recorded/<model>-<variant>-<kind>.json), or this machine would replay none of them."""
  here = recorded.device_kind()
  recordings = [recorded.load(p) for p in FILES]
  have = {(r['model'], r['variant']) for r in recordings if r['device_kind'] == here}
  missing = sorted({r['command'] for r in recordings if r['device_kind'].startswith('cpu')
                    and (r['model'], r['variant']) not in have})
  assert not missing, f'record on this {here} machine (WORKSPACE.md policy): ' + '; '.join(missing)


def test_a_file_is_named_after_its_model_variant_and_device_kind():
  for path in FILES:
    recording = recorded.load(path)
    assert _id(path) == f'{recording["model"]}-{recording["variant"]}-{recording["device_kind"]}'


def test_every_registered_model_has_a_recorded_file():
  recorded_models = {recorded.load(p)['model'] for p in FILES}
  missing = sorted(set(registry.names()) - recorded_models)
  assert not missing, f'no recorded-loss file for: {missing} (run bin/record_losses)'


def test_compare_reports_step_and_values():
  problems = recorded.compare({'loss': [1.0, 2.0]}, {'loss': [1.0, 2.1]}, 1e-4, 0.0)
  assert len(problems) == 1 and 'step 2' in problems[0]
  assert recorded.compare({'loss': [1.0, 2.0]}, {'loss': [1.0, 2.0]}, 1e-4, 0.0) == []
  assert 'names differ' in recorded.compare({'a': [1.0]}, {'b': [1.0]}, 1e-4, 0.0)[0]


def test_tolerance_is_per_value_so_a_late_small_value_gets_no_slack_from_early_large_ones():
  """A curve's-largest-value rule (1e-4 x 100 = 0.01) would let 0.01 double; per value it
  may move by atol (1e-6 x 100) + 1e-4 x 0.01 only."""
  recorded_curve = {'loss': [100.0, 0.01]}
  atol = recorded.absolute_tolerances(recorded_curve)
  assert atol == {'loss': pytest.approx(1e-4)}
  assert recorded.compare(recorded_curve, {'loss': [100.0, 0.0102]}, 1e-4, atol)
  assert not recorded.compare(recorded_curve, {'loss': [100.0099, 0.01005]}, 1e-4, atol)


def test_every_recorded_file_states_rtol_and_atol_for_each_loss():
  for path in FILES:
    recording = recorded.load(path)
    assert recording['rtol'] == recorded.DEFAULT_RTOL, path
    assert recording['atol'] == recorded.absolute_tolerances(recording['losses']), path
