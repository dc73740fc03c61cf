"""experiments.wgan_diagnostics: one row per kept checkpoint, each restored; a checkpoint that a
still-training run retires between listing and reading is skipped with one line, not a traceback."""
import os
import subprocess
import sys

import pytest

from graphgan.engine import registry
from graphgan.engine.compat import module_command
from graphgan.engine.config import make_config
from graphgan.engine.run import loop
from graphgan.experiments import collect, wgan_diagnostics

from conftest import SMALL_WGAN

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
  """One small WGAN run with checkpoints at steps 2 and 4 (the diagnostics only read it)."""
  wgan = registry.get('wgan')
  config = make_config(wgan.Config, dict(
      SMALL_WGAN, run_dir=str(tmp_path_factory.mktemp('diagnostics') / 'run'), train_steps=4,
      save_every_steps=2, keep_checkpoints=5))
  loop.train(wgan, config)
  return config.run_dir


def test_every_kept_checkpoint_is_restored_and_measured(run_dir):
  rows, real_spread = wgan_diagnostics.diagnose(run_dir)
  assert [step for step, _ in rows] == [2, 4]
  (_, early), (_, late) = rows
  assert early != late                       # each row is its own checkpoint, not the initial weights
  for measures in (early, late):
    assert 0.0 <= measures['at_clip'] <= 1.0
    assert measures['grad_real'] > 0 and measures['generator_grad'] > 0
  assert real_spread > 0
  text = wgan_diagnostics.format_rows(run_dir, rows, real_spread)
  assert text.count('\n') == 3


def test_a_checkpoint_retired_while_reading_is_skipped(run_dir, monkeypatch, capsys):
  listed = collect.checkpoint_steps(run_dir)
  gone = os.path.join(run_dir, 'checkpoints', 'model.ckpt-3')     # listed, then retired
  monkeypatch.setattr(collect, 'checkpoint_steps', lambda _: dict(sorted({**listed, 3: gone}.items())))
  rows, _ = wgan_diagnostics.diagnose(run_dir)
  assert [step for step, _ in rows] == [2, 4]
  assert 'checkpoint 3 was retired while reading; skipped' in capsys.readouterr().err


def test_a_directory_that_is_not_a_wgan_run_is_one_line(tmp_path):
  result = subprocess.run(module_command('graphgan.experiments.wgan_diagnostics', str(tmp_path)),
                          capture_output=True, text=True, cwd=ROOT, check=False,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
  assert result.returncode == 1
  assert result.stderr.strip().splitlines()[-1] == \
      f'wgan_diagnostics: {tmp_path} has no flags.txt: not a run directory'
  assert 'Traceback' not in result.stderr
