"""``bin/evaluate``: a run's report at its saved checkpoints, beside its training files (never in
them), equal to what training logged at the same step; bad input is one line."""
import json
import shutil

import pytest

from conftest import snapshot
from graphgan.engine.evaluation import inception

# LSGAN (Adam 2e-4): its samples move within a step, so each checkpoint's metrics differ (a tiny
# WGAN's generator does not move in 4 steps: its critic's clipped gradients are ~1e-12).
TINY_LSGAN = ['--model=lsgan', '--g_base_channels=4', '--d_base_channels=4', '--embedded_size=32',
              '--batch_size=8', '--summary_every_steps=1', '--save_every_steps=2',
              '--log_every_steps=1', '--eval_every_steps=2']


def _train(entry_points, run_dir, steps):
  done = entry_points.run('train', TINY_LSGAN + [f'--train_steps={steps}',
                                                 f'--run_dir={run_dir}'])
  assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope='module')
def trained_run(entry_points, tmp_path_factory):
  """A tiny LSGAN trained to 4 (checkpoints at 2 and 4), once for this file's tests."""
  run_dir = tmp_path_factory.mktemp('evaluate') / 'run'
  _train(entry_points, run_dir, 4)
  return run_dir


def _copy(trained_run, tmp_path):
  shutil.copytree(trained_run, tmp_path / 'run')
  return tmp_path / 'run'


def _rows(path):
  return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_evaluating_every_checkpoint_reproduces_the_logged_metrics_and_leaves_the_run_alone(
    entry_points, tmp_path):
  run_dir = tmp_path / 'run'
  _train(entry_points, run_dir, 4)
  before = snapshot(run_dir)
  done = entry_points.run('evaluate', [f'--run_dir={run_dir}', '--checkpoints=all'])
  assert done.returncode == 0, done.stderr[-3000:]
  evaluated = {row.pop('step'): row for row in _rows(run_dir / 'evaluations.jsonl')}
  logged = {row.pop('step'): row for row in _rows(run_dir / 'metrics.jsonl')}
  assert sorted(evaluated) == [2, 4]
  for step in (2, 4):
    assert evaluated[step].pop('checkpoint') == f'model.ckpt-{step}'
    assert evaluated[step] == logged[step]          # every metric, exactly
  assert {'kid', 'precision', 'frechet'} <= set(logged[4])
  assert logged[2]['frechet'] != logged[4]['frechet']   # each step's own weights were read
  after = snapshot(run_dir)
  added = sorted(set(after) - set(before))
  assert all(name.startswith(('evaluations.jsonl', 'evaluate')) for name in added), added
  assert {k: v for k, v in after.items() if k in before} == before   # nothing else touched
  _train(entry_points, run_dir, 6)                  # the run resumes beside them


def test_a_second_evaluation_replaces_its_step_and_keeps_the_others(entry_points, tmp_path,
                                                                    trained_run):
  run_dir = _copy(trained_run, tmp_path)
  for args in (['--checkpoints=2'], ['--checkpoints=newest', '--metrics=frechet,kid']):
    done = entry_points.run('evaluate', [f'--run_dir={run_dir}'] + args)
    assert done.returncode == 0, done.stderr[-3000:]
  rows = _rows(run_dir / 'evaluations.jsonl')
  assert [row['step'] for row in rows] == [2, 4]
  assert set(rows[1]) == {'step', 'checkpoint', 'frechet', 'kid'}
  lines = done.stdout.splitlines()
  assert lines[0] == inception.HOW_TO_ENABLE          # no weights: absent, with one line
  assert lines[1].startswith('step 4: frechet ')


@pytest.mark.parametrize('args, line', [
    (['--checkpoints=3'], '--checkpoints=3: no complete checkpoint at step 3 (there are: 2, 4)'),
    (['--checkpoints=last'], '--checkpoints=last: newest, all, or steps like 500,1000'),
    (['--metrics=fid'], '--metrics: fid not in this model\'s report'),
])
def test_bad_input_is_one_line(entry_points, tmp_path, trained_run, args, line):
  run_dir = _copy(trained_run, tmp_path)
  done = entry_points.run('evaluate', [f'--run_dir={run_dir}'] + args)
  assert done.returncode == 2
  assert line in done.error_lines()[-1] and len(done.error_lines()) == 1, done.stderr[-2000:]


def test_a_directory_that_is_not_a_run_is_one_line(entry_points, tmp_path):
  done = entry_points.run('evaluate', [f'--run_dir={tmp_path}'])
  assert done.returncode == 2
  assert len(done.error_lines()) == 1
  assert done.error_lines()[0].endswith(f'--run_dir={tmp_path}: not a run directory (no flags.txt)')
