"""Recorded-loss regression: every recorded configuration replays within its tolerance on this
machine's device kind, and the tolerance bites: a 1% learning-rate change moves every file beyond it.

Each file was written by the command stored in it (``bin/record_losses ...``); the policy for
re-recording is in WORKSPACE.md. Tolerance per value: ``atol + rtol * |recorded|``, both stored in
the file (engine/tools/recorded.py). A file replays only on its own device kind (``gpu``, a CPU
model ``cpu-avx512-intel-6-207``, else its instruction set ``cpu-avx512``, ``cpu-avx2``, ...):
where this machine's kinds have no file for a configuration,
the replay skips with one line naming the kind and the command that records a local baseline
(``bin/record_losses --all --out=DIR``, then ``GRAPHGAN_RECORDED_DIR=DIR``).
"""
import os
import subprocess
import sys

import pytest

from graphgan.engine import registry
from graphgan.engine.tools import recorded


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGURATIONS = sorted(recorded.configurations())
FILES = sorted(name for name in os.listdir(recorded.REPOSITORY_DIR) if name.endswith('.json'))


def _id(configuration):
  return '-'.join(configuration)


# The learning-rate flag each model's perturbation changes (every model with a recorded file).
PERTURBED_LEARNING_RATE = {'wgan': 'learning_rate_d', 'wgan_gp': 'learning_rate_d',
                           'unrolled_gan': 'learning_rate_d', 'dcgan': 'learning_rate',
                           'bn_regression': 'learning_rate', 'lsgan': 'learning_rate_d'}


def _recording_for_this_machine(configuration):
  """This kind's recording of ``configuration``, or a skip that says how to make one."""
  kind = recorded.device_kind()
  path = recorded.find(*configuration)
  if path is None:
    pytest.skip(f'no recording of {_id(configuration)} for this machine\'s kind {kind} (CPU '
                f'results differ per kind); record a baseline here with `bin/record_losses --all '
                f'--out=DIR`, then run the suite with {recorded.BASELINE_VARIABLE}=DIR')
  return recorded.load(path)


def _problems(recording, losses):
  return recorded.compare(recording['losses'], losses, recording['rtol'], recording['atol'])


@pytest.mark.parametrize('configuration', CONFIGURATIONS, ids=[_id(c) for c in CONFIGURATIONS])
def test_recorded_losses_replay(configuration):
  recording = _recording_for_this_machine(configuration)
  problems = _problems(recording, recorded.replay(recording))
  assert not problems, f'{_id(configuration)} moved (re-record only per WORKSPACE.md policy): ' \
      f'{problems}'


@pytest.mark.parametrize('configuration', CONFIGURATIONS, ids=[_id(c) for c in CONFIGURATIONS])
def test_one_percent_learning_rate_change_leaves_the_tolerance(configuration):
  """The check bites for every file: learning rate x 1.01 moves some value past its tolerance."""
  recording = _recording_for_this_machine(configuration)
  model_cls = registry.get(recording['model'])
  flag = PERTURBED_LEARNING_RATE[recording['model']]
  learning_rate = recording['overrides'].get(flag, getattr(model_cls.Config, flag))
  assert _problems(recording, recorded.replay(recording, **{flag: learning_rate * 1.01}))


def test_a_machine_without_recordings_skips_each_replay_with_the_command(tmp_path):
  """A device kind no file was recorded on (a GPU, an ARM laptop: simulated by the override)
  makes every replay skip with the command, and the suite pass; none of them fails."""
  env = dict(os.environ, **{recorded.KIND_VARIABLE: 'cpu-imaginary'})
  env.pop(recorded.BASELINE_VARIABLE, None)
  result = subprocess.run(
      [sys.executable, '-m', 'pytest', '-q', '-rs', '-p', 'no:randomly', '-p', 'no:cacheprovider',
       os.path.join(ROOT, 'tests', 'test_recorded_losses.py'), '-k',
       'test_recorded_losses_replay'],
      cwd=tmp_path, env=env, capture_output=True, text=True, timeout=None)
  assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
  assert f'{len(CONFIGURATIONS)} skipped' in result.stdout, result.stdout[-3000:]
  assert result.stdout.count("for this machine's kind cpu-imaginary") == len(CONFIGURATIONS)
  assert 'bin/record_losses --all --out=DIR' in result.stdout


def test_a_local_baseline_is_replayed_before_the_repository(tmp_path, monkeypatch):
  """``GRAPHGAN_RECORDED_DIR`` is searched first: a user's own recordings of a configuration."""
  configuration = CONFIGURATIONS[0]
  name = recorded.file_name(*configuration, 'cpu-imaginary')
  (tmp_path / name).write_text('{}')
  monkeypatch.setenv(recorded.KIND_VARIABLE, 'cpu-imaginary')
  monkeypatch.setenv(recorded.BASELINE_VARIABLE, str(tmp_path))
  assert recorded.find(*configuration, 'cpu-imaginary') == str(tmp_path / name)
  monkeypatch.delenv(recorded.BASELINE_VARIABLE)
  assert recorded.find(*configuration, 'cpu-imaginary') is None


def test_a_cpu_models_own_recording_comes_before_its_instruction_sets(tmp_path, monkeypatch):
  """CPUs of one instruction set differ among themselves too (WORKSPACE.md, recorded losses):
  this CPU model's file replays first; the instruction set's file serves where it has none."""
  configuration = CONFIGURATIONS[0]
  monkeypatch.delenv(recorded.KIND_VARIABLE, raising=False)
  monkeypatch.setattr(recorded.tf.config, 'list_physical_devices', lambda kind=None: [])
  monkeypatch.setattr(recorded, 'cpu_instruction_set', lambda: 'imaginary')
  monkeypatch.setattr(recorded, 'cpu_model', lambda: 'acme-1-2')
  monkeypatch.setenv(recorded.BASELINE_VARIABLE, str(tmp_path))
  assert recorded.device_kinds() == ['cpu-imaginary-acme-1-2', 'cpu-imaginary']
  generic = tmp_path / recorded.file_name(*configuration, 'cpu-imaginary')
  generic.write_text('{}')
  assert recorded.find(*configuration) == str(generic)
  specific = tmp_path / recorded.file_name(*configuration, 'cpu-imaginary-acme-1-2')
  specific.write_text('{}')
  assert recorded.find(*configuration) == str(specific)


def test_every_recording_of_a_configuration_stores_the_same_command():
  """Twins are the same stored command run on another kind (WORKSPACE.md policy)."""
  commands = {}
  for name in FILES:
    recording = recorded.load(os.path.join(recorded.REPOSITORY_DIR, name))
    commands.setdefault((recording['model'], recording['variant']), set()).add(
        (recording['command'], recording['steps'], repr(sorted(recording['overrides'].items()))))
  assert {key: len(value) for key, value in commands.items() if len(value) > 1} == {}


def test_a_file_is_named_after_its_model_variant_and_device_kind():
  for name in FILES:
    recording = recorded.load(os.path.join(recorded.REPOSITORY_DIR, name))
    assert name == recorded.file_name(recording['model'], recording['variant'],
                                      recording['device_kind'])


def test_every_registered_model_has_a_recorded_file():
  recorded_models = {model for model, _ in CONFIGURATIONS}
  missing = sorted(set(registry.names()) - recorded_models)
  assert not missing, f'no recorded-loss file for: {missing} (run bin/record_losses)'
