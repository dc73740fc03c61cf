"""The kill -9 harness: kill training at random instants and inside checkpoint writes, re-run the
same command each time, and compare the finished run directory with an uninterrupted one.

``bin/crashtest --model=wgan --kills=20 [model flags]``. Both runs are ``bin/train`` processes with
the same flags. Even-numbered kills come at a random instant of the process's life (start-up,
recovery, a step, a write — wherever it lands); odd-numbered ones at a named fault point
(``engine.faults``: between the Saver's files and the commit, after the commit, while a
checkpoint retires, mid-export, ...). The comparison (``compare_run_dirs``) is bit for bit:
``losses.csv``, ``metrics.jsonl``, every kept checkpoint's variables and state sidecar, every
HDF5 export's arrays, every sample PNG, and no stray ``.partial``/journal/skipped files.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

from graphgan.engine.compat import CHECKOUT
from graphgan.engine.run import checkpoint as ckpt

ROOT = CHECKOUT   # the repository root
FAULT_POINTS = ('step:done', 'log:row', 'samples:written', 'export:written', 'checkpoint:marked',
                'checkpoint:variables_written', 'checkpoint:committed', 'checkpoint:retiring')
STRAY_SUFFIXES = ('.partial', ckpt.SAVING, ckpt.RETIRING)


def train_command(flags, run_dir):
  return [sys.executable, os.path.join(ROOT, 'bin', 'train')] + list(flags) + \
      [f'--run_dir={run_dir}']


def run_to_end(flags, run_dir, env=None):
  """Run ``bin/train`` once; (exit code, seconds, seconds until its first progress line)."""
  started = time.monotonic()
  process = subprocess.Popen(train_command(flags, run_dir), env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
  first_step, tail = None, []
  for line in process.stderr:
    if first_step is None and ' | ' in line and 'step ' in line:
      first_step = time.monotonic() - started
    tail = (tail + [line])[-40:]
  process.wait()
  if process.returncode not in (0, -signal.SIGKILL):
    raise RuntimeError(f'bin/train failed ({process.returncode}): {"".join(tail)}')
  seconds = time.monotonic() - started
  return process.returncode, seconds, first_step if first_step is not None else seconds


def kill_at_random(flags, run_dir, window, rng):
  """Start ``bin/train``, SIGKILL it after a delay drawn from ``window`` (seconds: mostly after
  start-up, so most kills land in training and writing); True if it died by the kill."""
  process = subprocess.Popen(train_command(flags, run_dir), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
  try:
    process.wait(timeout=rng.uniform(*window))
  except subprocess.TimeoutExpired:
    process.kill()
  _, stderr = process.communicate()
  if process.returncode not in (0, -signal.SIGKILL):
    raise RuntimeError(f'bin/train failed ({process.returncode}): {stderr[-2000:]}')
  return process.returncode == -signal.SIGKILL


def kill_at_fault(flags, run_dir, point, count):
  env = dict(os.environ, GRAPHGAN_FAULT=f'{point}@{count}')
  return run_to_end(flags, run_dir, env)[0] == -signal.SIGKILL


def crash_runs(flags, reference, subject, kills, seed, window, log=print):
  """Kill ``bin/train`` on ``subject`` ``kills`` times in all, re-running the same command.

  Whenever the subject run reaches its end (the last kill, or a random instant that came after
  the run finished), its run directory is compared with ``reference``; a fresh subject run then
  takes the remaining kills. Returns [(kills in that run, [(kind, detail)], problems)].
  """
  rng = random.Random(seed)
  cycles, events, landed = [], [], 0
  while landed < kills:
    before = _progress(subject)
    if (landed + len(cycles)) % 2 == 0:
      killed, kind = kill_at_random(flags, subject, window, rng), 'random instant'
    else:
      point, count = rng.choice(FAULT_POINTS), rng.randint(1, 3)
      killed, kind = kill_at_fault(flags, subject, point, count), f'{point}@{count}'
    if killed:
      landed += 1
      events.append((kind, f'rows {before} -> {_progress(subject)}'))
      log(f'  kill {landed:2d}: {kind:36s} {events[-1][1]}')
      continue
    cycles.append(_finish_cycle(reference, subject, events, log))
    events = []
  run_to_end(flags, subject)
  cycles.append(_finish_cycle(reference, subject, events, log))
  return cycles


def _finish_cycle(reference, subject, events, log):
  problems = compare_run_dirs(reference, subject)
  log(f'  run finished after {len(events)} kill(s): '
      f'{"bit-identical to the uninterrupted run" if not problems else problems}')
  shutil.rmtree(subject, ignore_errors=True)
  return len(events), events, problems


def _progress(run_dir):
  path = os.path.join(run_dir, 'losses.csv')
  if not os.path.exists(path):
    return 0
  with open(path, 'rb') as handle:
    return max(handle.read().count(b'\n') - 1, 0)


def compare_run_dirs(reference, subject):
  """Differences between two finished run directories (empty when bit-identical)."""
  problems = []
  for name in ('losses.csv', 'metrics.jsonl', 'flags.txt'):
    a, b = _bytes(os.path.join(reference, name)), _bytes(os.path.join(subject, name))
    if name == 'flags.txt':
      a, b = _without_run_dir(a), _without_run_dir(b)
    if a != b:
      problems.append(f'{name} differs')
  problems += _compare_checkpoints(reference, subject)
  problems += _compare_files(reference, subject, 'weights', _h5_arrays)
  problems += _compare_files(reference, subject, 'samples', _bytes)
  for root, dirs, names in os.walk(subject):
    stray = [n for n in names if n.endswith(STRAY_SUFFIXES) or 'tempstate' in n]
    if ckpt.SKIPPED_DIR in dirs:
      stray.append(ckpt.SKIPPED_DIR + '/')
    problems += [f'stray file {os.path.join(root, n)}' for n in stray]
  return problems


def _compare_checkpoints(reference, subject):
  problems = []
  steps = [ckpt.Scan(ckpt.checkpoint_dir(d)).committed for d in (reference, subject)]
  if steps[0] != steps[1]:
    return [f'kept checkpoints differ: {steps[0]} vs {steps[1]}']
  for step in steps[0]:
    paths = [os.path.join(ckpt.checkpoint_dir(d), f'{ckpt.PREFIX}-{step}')
             for d in (reference, subject)]
    if ckpt.read_state(paths[0]) != ckpt.read_state(paths[1]):
      problems.append(f'checkpoint {step}: state sidecars differ')
    a, b = ckpt.read_variables(paths[0]), ckpt.read_variables(paths[1])
    differing = [n for n in a if n not in b or not _same(a[n], b[n])]
    if differing or a.keys() != b.keys():
      problems.append(f'checkpoint {step}: {len(differing)} variables differ, e.g. '
                      f'{differing[:3]}')
  return problems


def _compare_files(reference, subject, folder, read):
  names = [sorted(os.listdir(os.path.join(d, folder))) if os.path.isdir(os.path.join(d, folder))
           else [] for d in (reference, subject)]
  if names[0] != names[1]:
    return [f'{folder}/ differs: {sorted(set(names[0]) ^ set(names[1]))[:4]}']
  return [f'{folder}/{n} differs' for n in names[0]
          if not _same_nested(read(os.path.join(reference, folder, n)),
                              read(os.path.join(subject, folder, n)))]


def _same(a, b):
  return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _same_nested(a, b):
  if isinstance(a, dict):
    return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
  return a == b


def _bytes(path):
  if not os.path.exists(path):
    return None
  with open(path, 'rb') as handle:
    return handle.read()


def _without_run_dir(data):
  if data is None:
    return None
  return b'\n'.join(l for l in data.split(b'\n') if not l.startswith(b'--run_dir='))


def _h5_arrays(path):
  import h5py  # pylint: disable=import-outside-toplevel
  arrays = {}
  with h5py.File(path, 'r') as handle:
    handle.visititems(lambda name, item: arrays.__setitem__(name, np.asarray(item))
                      if isinstance(item, h5py.Dataset) else None)
  return arrays


def main(flags, kills, seed, work_dir, log=print):
  """The harness for one model's flags: [(kills, events, problems)] per finished subject run."""
  reference, subject = os.path.join(work_dir, 'reference'), os.path.join(work_dir, 'subject')
  code, seconds, start_up = run_to_end(flags, reference)
  if code:
    raise RuntimeError('the uninterrupted reference run was killed')
  log(f'reference: uninterrupted run in {seconds:.1f} s (first step after {start_up:.1f} s, '
      f'{_progress(reference)} rows); random kills in [{0.8 * start_up:.1f}, {seconds:.1f}] s')
  return crash_runs(flags, reference, subject, kills, seed, (0.8 * start_up, seconds), log)
