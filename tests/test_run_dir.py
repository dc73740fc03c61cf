"""Run directories as README uses them: re-running resumes from any spelling of --run_dir, one
process at a time, damaged checkpoints skipped with a reason (or a one-line refusal)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import TINY_WGAN_FLAGS
from graphgan.engine.run.checkpoint import read_variables

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANNER = ('I0000', 'W0000', 'E0000', 'WARNING: All log messages', 'To enable the following')


def _rows(run_dir):
  """The steps of ``losses.csv`` (flushed at checkpoints and exit, so a running process's file lags)."""
  lines = (run_dir / 'losses.csv').read_text().splitlines()
  return [int(line.split(',')[0]) for line in lines[1:]]


def _resumed_at(stderr):
  found = re.findall(r'Resumed .* at step (\d+)', stderr)
  return int(found[0]) if found else None


def test_readme_command_resumes_from_any_spelling_of_the_run_dir(entry_points, tmp_path):
  """README's command from a checkout (relative flag files and run dir), re-run five ways."""
  shutil.copytree(os.path.join(ROOT, 'flags'), tmp_path / 'flags')
  quick = ['--flagfile=flags/wgan_quick.cfg']
  # 1. literally as README types it, a real process: no TensorFlow banner, no grappler error.
  first = subprocess.run([sys.executable, os.path.join(ROOT, 'bin', 'train')] + quick +
                         ['--train_steps=2'], cwd=tmp_path, capture_output=True, text=True,
                         timeout=None, check=False)
  assert first.returncode == 0, first.stderr[-3000:]
  noise = [l for l in first.stderr.splitlines() if l.startswith(BANNER) or 'remapper' in l]
  assert not noise, noise
  run = tmp_path / 'runs' / 'wgan_quick'
  assert _rows(run) == [1, 2]
  (tmp_path / 'link').symlink_to(tmp_path / 'runs')
  (tmp_path / 'elsewhere').mkdir()
  spellings = [
      (tmp_path, quick),                                                   # 2. the same again
      (tmp_path, quick + [f'--run_dir={run}/']),                           # 3. absolute + slash
      (tmp_path, quick + ['--run_dir=link/wgan_quick']),                   # 4. through a symlink
      (tmp_path / 'elsewhere', [f'--flagfile={run}/flags.txt',             # 5. another cwd, the
                                '--run_dir=../runs/./wgan_quick']),        #    run's own flags
  ]
  for steps, (cwd, args) in enumerate(spellings, start=3):
    done = entry_points.run('train', args + [f'--train_steps={steps}'], cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _resumed_at(done.stderr) == steps - 1, done.stderr[-2000:]
  assert _rows(run) == list(range(1, 7))
  refused = entry_points.run('train', quick + ['--noresume', '--train_steps=9'], cwd=tmp_path)
  assert refused.returncode == 2 and 'already holds checkpoints' in refused.stderr


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM], ids=['ctrl_c', 'sigterm'])
def test_ctrl_c_or_sigterm_checkpoints_that_step_and_the_rerun_continues_exactly(signum, entry_points,
                                                                                tmp_path):
  """A stop request finishes the iteration, checkpoints it and says so in one line (exit 128+N);
  the re-run resumes there and writes the same losses as a run never stopped."""
  run, reference = tmp_path / 'run', tmp_path / 'reference'
  flags = TINY_WGAN_FLAGS + ['--save_every_steps=1000']       # no scheduled checkpoint
  first = subprocess.Popen(
      [sys.executable, os.path.join(ROOT, 'bin', 'train')] + flags +
      [f'--run_dir={run}', '--train_steps=100000'], stderr=subprocess.PIPE, text=True,
      preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))   # as a terminal's job
  try:
    deadline = time.monotonic() + 300
    while not list(run.glob('samples/*.png')):      # training (losses.csv rows are buffered)
      assert first.poll() is None and time.monotonic() < deadline, 'the run did not start'
      time.sleep(0.2)
    first.send_signal(signum)
    _, stderr = first.communicate(timeout=None)
  finally:
    if first.poll() is None:
      first.kill()
  assert first.returncode == 128 + signum, stderr[-3000:]
  assert 'Traceback' not in stderr, stderr[-3000:]
  stopped = re.fullmatch(rf'train: stopped by signal {int(signum)} \({signum.name}\) at step '
                         r'(\d+) \(checkpoint \S+model\.ckpt-(\d+)\); the same command continues '
                         'from there', stderr.strip().splitlines()[-1])
  assert stopped and stopped.group(1) == stopped.group(2), stderr[-2000:]
  step = int(stopped.group(1))
  assert _rows(run) == list(range(1, step + 1))
  done = entry_points.run('train', flags + [f'--run_dir={run}', f'--train_steps={step + 2}'])
  assert done.returncode == 0 and _resumed_at(done.stderr) == step, done.stderr[-2000:]
  uninterrupted = entry_points.run('train', flags + [f'--run_dir={reference}',
                                                     f'--train_steps={step + 2}'])
  assert uninterrupted.returncode == 0, uninterrupted.stderr[-2000:]
  assert (run / 'losses.csv').read_bytes() == (reference / 'losses.csv').read_bytes()


def test_second_process_is_refused_and_a_killed_process_leaves_no_lock(entry_points, tmp_path):
  run = tmp_path / 'run'
  flags = TINY_WGAN_FLAGS + [f'--run_dir={run}', '--save_every_steps=1000']
  first = subprocess.Popen([sys.executable, os.path.join(ROOT, 'bin', 'train')] + flags +
                           ['--train_steps=100000'], stderr=subprocess.DEVNULL)
  try:
    deadline = time.monotonic() + 300
    while not list(run.glob('samples/*.png')):      # training (losses.csv rows are buffered)
      assert first.poll() is None and time.monotonic() < deadline, 'first run did not start'
      time.sleep(0.2)
    second = entry_points.run('train', flags + ['--train_steps=3'])
    assert second.returncode == 2, second.stderr[-2000:]
    assert f'is in use by another graphgan process (pid {first.pid})' in second.stderr
  finally:
    first.send_signal(signal.SIGKILL)
    first.wait()
  third = entry_points.run('train', flags + ['--train_steps=3'])
  assert third.returncode == 0, third.stderr[-2000:]
  assert _resumed_at(third.stderr) is None      # killed before its first checkpoint: step 0
  assert _rows(run) == [1, 2, 3]


@pytest.fixture(scope='module')
def three_checkpoints(entry_points, tmp_path_factory):
  """A tiny run with checkpoints at steps 2, 4 and 6."""
  run = tmp_path_factory.mktemp('damaged') / 'run'
  done = entry_points.run('train', TINY_WGAN_FLAGS + ['--train_steps=6', f'--run_dir={run}'])
  assert done.returncode == 0, done.stderr[-3000:]
  return run


def _truncate(path):
  data = path.read_bytes()
  path.write_bytes(data[:len(data) // 2])


DAMAGE = {
    'checkpoint_index_garbage': (lambda c: (c / 'checkpoint').write_text('garbage {'), 6, None),
    'newest_data_truncated': (lambda c: _truncate(c / 'model.ckpt-6.data-00000-of-00001'), 4,
                              'variables not restorable'),
    'newest_index_truncated': (lambda c: _truncate(c / 'model.ckpt-6.index'), 4,
                               'variables not restorable'),
    'newest_sidecar_garbage': (lambda c: (c / 'model.ckpt-6.state.json').write_text('{"st'), 4,
                               'unreadable state sidecar'),
    'newest_sidecar_deleted': (lambda c: (c / 'model.ckpt-6.state.json').unlink(), 4,
                               'without a state sidecar'),
}


@pytest.mark.parametrize('name', sorted(DAMAGE))
def test_damaged_newest_checkpoint_is_skipped_with_its_reason(name, three_checkpoints,
                                                              entry_points, tmp_path):
  damage, resumed, reason = DAMAGE[name]
  run = tmp_path / 'run'
  shutil.copytree(three_checkpoints, run)
  damage(run / 'checkpoints')
  done = entry_points.run('train', TINY_WGAN_FLAGS + ['--train_steps=6', f'--run_dir={run}'])
  assert done.returncode == 0, done.stderr[-3000:]
  assert _resumed_at(done.stderr) == resumed
  if reason:
    assert re.search(f'Skipped checkpoint checkpoints/model.ckpt-6 \\(.*{reason}', done.stderr)
    assert (run / 'checkpoints' / 'skipped').is_dir()        # moved aside, never deleted
  assert _rows(run) == list(range(1, 7))
  # The redone steps are the same bits: the same checkpoint 6 as before the damage.
  redone, original = (read_variables(str(d / 'checkpoints' / 'model.ckpt-6'))
                      for d in (run, three_checkpoints))
  assert redone.keys() == original.keys()
  assert all(redone[k].tobytes() == original[k].tobytes() for k in redone)


def test_run_dir_on_a_read_only_filesystem_is_one_line(entry_points, tmpfs):
  """A finished run whose filesystem became read-only: one line, nothing else (needs mount)."""
  disk = tmpfs('64m')
  flags = TINY_WGAN_FLAGS + ['--train_steps=2', f'--run_dir={disk}/run']
  assert entry_points.run('train', flags).returncode == 0
  subprocess.run(['mount', '-o', 'remount,ro', str(disk)], check=True)
  done = entry_points.run('train', flags[:-2] + ['--train_steps=4', f'--run_dir={disk}/run'])
  assert done.returncode == 2, done.stderr[-2000:]
  errors = [line for line in done.stderr.splitlines() if 'error:' in line]
  assert len(errors) == 1 and 'not writable (read-only file system)' in errors[0], \
      done.stderr[-2000:]
