"""Recorded-loss regression: every file under recorded/ replays within its tolerance.

Each file was written by the command stored in it (``bin/record_losses ...``); the policy for
re-recording is in WORKSPACE.md. CPU files replay on CPU; GPU files only where a GPU is present.
"""
import glob
import os

import pytest

from engine import recorded, registry

from conftest import has_gpu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = sorted(glob.glob(os.path.join(ROOT, 'recorded', '*.json')))


def _id(path):
  return os.path.basename(path)[:-len('.json')]


@pytest.mark.parametrize('path', FILES, ids=[_id(p) for p in FILES])
def test_recorded_losses_replay(path):
  recording = recorded.load(path)
  kind = recording['device_kind']
  if kind == 'gpu' and not has_gpu():
    pytest.skip('recorded on a GPU; no GPU visible here')
  if kind == 'cpu' and has_gpu():
    pytest.skip('recorded on CPU; this machine runs ops on its GPU')
  problems = recorded.compare(recording['losses'], recorded.replay(recording), recording['rtol'])
  assert not problems, f'{_id(path)} moved (re-record only per WORKSPACE.md policy): {problems}'


def test_every_registered_model_has_a_recorded_file():
  recorded_models = {recorded.load(p)['model'] for p in FILES}
  missing = sorted(set(registry.names()) - recorded_models)
  assert not missing, f'no recorded-loss file for: {missing} (run bin/record_losses)'


def test_check_bites_on_one_percent_learning_rate_change():
  path = os.path.join(ROOT, 'recorded', 'wgan-small-cpu.json')
  recording = recorded.load(path)
  lr = recording['overrides'].get('learning_rate_d', 5e-5)
  changed = recorded.replay(recording, learning_rate_d=lr * 1.01)
  assert recorded.compare(recording['losses'], changed, recording['rtol'])


def test_compare_reports_step_and_values():
  problems = recorded.compare({'loss': [1.0, 2.0]}, {'loss': [1.0, 2.1]}, 1e-4)
  assert len(problems) == 1 and 'step 2' in problems[0]
  assert recorded.compare({'loss': [1.0, 2.0]}, {'loss': [1.0, 2.0]}, 1e-4) == []
  assert 'names differ' in recorded.compare({'a': [1.0]}, {'b': [1.0]}, 1e-4)[0]
