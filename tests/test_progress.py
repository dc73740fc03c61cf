"""No silent minutes (issue 29): progress from the first step, lines due by time as well as by
step count, a heartbeat while one step (or an evaluation) runs long, and --help that lists
graphgan's own flags first and exits 0."""
import time

from absl import logging

from graphgan.engine.run import progress as progress_lines


def test_a_line_is_due_at_the_first_step_by_count_by_time_and_at_the_end(monkeypatch):
  progress = progress_lines.Progress(start=100, end=1000, log_every=50)
  assert progress.due(100, 101)                  # the first step of this process
  assert not progress.due(101, 102)
  assert progress.due(149, 150)                  # every --log_every_steps
  assert progress.due(998, 1000)                 # the end
  monkeypatch.setattr(progress_lines, 'PROGRESS_SECONDS', 0.05)
  time.sleep(0.1)
  assert progress.due(101, 102)                  # enough time since the last line


def test_the_heartbeat_says_what_is_running_when_a_step_is_long(monkeypatch):
  monkeypatch.setattr(progress_lines, 'PROGRESS_SECONDS', 0.3)
  lines = []
  monkeypatch.setattr(logging, 'info', lambda fmt, *args: lines.append(fmt % args))
  with progress_lines.Progress(start=0, end=40, log_every=10) as progress:
    progress.doing = 'running step 1/40'
    time.sleep(1.6)
  assert any(line.startswith('still running step 1/40 (') for line in lines), lines
  count = len(lines)
  time.sleep(1.2)
  assert len(lines) == count                     # stopped with the loop


def test_a_heartbeat_does_not_change_the_rate_of_the_next_line(monkeypatch):
  monkeypatch.setattr(progress_lines, 'PROGRESS_SECONDS', 0.3)
  monkeypatch.setattr(logging, 'info', lambda fmt, *args: None)
  with progress_lines.Progress(start=0, end=40, log_every=10) as progress:
    time.sleep(1.5)                                # heartbeats at ~0.3, 0.6, 0.9, 1.2 s
    rate = float(progress.line(3, {}, 1).split(' | ')[-2].split()[0])
  assert 1.5 < rate < 2.5, rate                    # 3 steps over ~1.5 s, not over the last beat


def test_help_lists_the_models_own_flags_first_and_exits_0(entry_points):
  done = entry_points.run('train', ['--model=wgan', '--helpfull'])
  assert done.returncode == 0, done.stderr[-2000:]
  lines = done.stdout.splitlines()
  assert lines[0].startswith('train --model=wgan: its flags')
  assert lines[1].startswith('  --run_dir=')
  assert '  --clip_order=before: ' in done.stdout
  assert lines.index("absl's own flags (logging, flag handling):") > lines.index(
      "train's other flags:") > lines.index('  --clip_order=before: ' + next(
          l for l in lines if l.startswith('  --clip_order=before: '))[len('  --clip_order=before: '):])
