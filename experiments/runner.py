"""Trains an experiment's runs as ordinary run directories: ``bin/train`` in subprocesses.

Each run is ``bin/train --flagfile=<shipped file> --seed=S --run_dir=<absolute path> ...`` (the
user's path; resuming is the engine's job). A run whose completed iterations reach its target
after an exit 0 is finished and skipped next time; any other run is started or resumed. The
harness's own book-keeping (wall time per run, attempts, last error) is ``ledger.json`` beside
the run directories, never inside one.
"""
import dataclasses
import datetime
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time

from graphgan.engine.compat import thread_variables
from graphgan.engine.errors import STOPPED_BY_SIGNAL, UserError
from graphgan.experiments import collect, flagfiles
from graphgan.experiments.spec import SCHEDULE_FLAGS

LEDGER = 'ledger.json'


@dataclasses.dataclass
class Planned:
  """A run with the config it trains under (``config.train_steps`` = its full length)."""
  run: object
  model_cls: type
  config: object
  run_dir: str

  def steps(self, max_iterations=0):
    """Iterations this invocation trains to; ``max_iterations`` > 0 stops it early."""
    steps = self.config.train_steps
    return min(steps, max_iterations) if max_iterations else steps


def train_args(run, run_dir, steps=None):
  """``bin/train`` arguments of ``run`` (``steps`` None: the flag file's ``--train_steps``)."""
  extra = [f'--{name}={_text(value)}' for name, value in run.flags + run.schedule]
  steps = [f'--train_steps={steps}'] if steps else []
  return [f'--flagfile={run.flagfile}', f'--seed={run.seed}'] + extra + steps + \
      [f'--run_dir={run_dir}']


def _text(value):
  return str(value).lower() if isinstance(value, bool) else str(value)


def plan(experiment, experiment_dir):
  """Every run of ``experiment`` resolved (flag errors surface here, before anything runs)."""
  planned = []
  for run in experiment.runs:
    run_dir = os.path.join(experiment_dir, run.name)
    model_cls, config = flagfiles.resolve(train_args(run, run_dir, run.iterations),
                                          f'experiment {experiment.name}, run {run.name}')
    planned.append(Planned(run, model_cls, config, run_dir))
  return planned


class Ledger:
  """``ledger.json``: {run: {wall_seconds, finished_iterations, attempts: [...], error}}."""

  def __init__(self, experiment_dir):
    self.path = os.path.join(experiment_dir, LEDGER)
    self.entries = {}
    if os.path.exists(self.path):
      with open(self.path) as handle:
        self.entries = json.load(handle)

  def entry(self, name):
    return self.entries.setdefault(name, {'wall_seconds': 0.0, 'finished_iterations': 0,
                                          'attempts': [], 'error': ''})

  def save(self):
    partial = self.path + '.tmp'
    with open(partial, 'w') as handle:
      json.dump(self.entries, handle, indent=1)
    os.replace(partial, self.path)


def flag_mismatch(planned):
  """Why an existing run directory cannot be resumed with the experiment's flags ('' if it can)."""
  path = os.path.join(planned.run_dir, 'flags.txt')
  if not os.path.exists(path):
    return ''
  model, values = flagfiles.read_flags_txt(path)
  if model != planned.model_cls.name:
    return f'{path} is a {model} run; the experiment trains {planned.model_cls.name}'
  expected = dataclasses.asdict(planned.config)
  differ = [name for name, value in expected.items()
            if name not in SCHEDULE_FLAGS and values.get(name, value) != value]
  if differ:
    return (f'{path} was trained with ' + ', '.join(f'--{n}={values[n]}' for n in differ) +
            '; the experiment now says ' + ', '.join(f'--{n}={expected[n]}' for n in differ) +
            ' (move the run directory away to start it again)')
  return ''


def is_finished(planned, ledger):
  target = planned.config.train_steps
  return ledger.entry(planned.run.name)['finished_iterations'] >= target and \
      collect.completed_iterations(planned.run_dir) >= target


def lock(experiment_dir):
  """Hold ``.harness.lock`` for this process's life; a second harness is refused in one line."""
  os.makedirs(experiment_dir, exist_ok=True)
  handle = open(os.path.join(experiment_dir, '.harness.lock'), 'w')   # pylint: disable=consider-using-with
  try:
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
  except BlockingIOError:
    raise UserError(f'{experiment_dir} is in use by another bin/reproduce') from None
  return handle


def _error_line(log_path, code):
  """Why a run stopped: a signal, else its one-line ``<program>: error: ...`` (else last line)."""
  if code is not None and code < 0:
    return f'{STOPPED_BY_SIGNAL} {-code}'
  with open(log_path, errors='replace') as handle:
    lines = [line.strip() for line in handle.read().splitlines()[-200:] if line.strip()]
  errors = [line for line in lines if re.match(r'[\w.-]+: error: ', line)]
  return (errors or lines or ['no output'])[-1][:300]


class _Attempt:
  """One ``bin/train`` subprocess, its log appended to ``logs/<run>.log``."""

  def __init__(self, planned, experiment_dir, max_iterations, threads):
    self.planned = planned
    self.steps = planned.steps(max_iterations)
    self.args = train_args(planned.run, planned.run_dir, self.steps)
    self.resumed_from = max(collect.checkpoint_steps(planned.run_dir), default=0)
    self.log_path = os.path.join(experiment_dir, 'logs', planned.run.name + '.log')
    os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
    self.log = open(self.log_path, 'a')   # pylint: disable=consider-using-with
    command = [sys.executable, os.path.join(flagfiles.ROOT, 'bin', 'train')] + self.args
    self.started_at = datetime.datetime.now().isoformat(timespec='seconds')
    self.log.write(f'\n=== {self.started_at} {" ".join(command)}\n')
    self.log.flush()
    self.threads = threads
    self.started = time.perf_counter()
    self.process = subprocess.Popen(command, cwd=flagfiles.ROOT, stdout=self.log,  # pylint: disable=consider-using-with
                                    stderr=subprocess.STDOUT, env=dict(os.environ, **thread_variables(threads)))

  def done(self):
    return self.process.poll() is not None

  def record(self, ledger):
    """Book the attempt; returns the error line ('' when it trained to its steps)."""
    self.log.close()
    seconds = time.perf_counter() - self.started
    entry = ledger.entry(self.planned.run.name)
    completed = collect.completed_iterations(self.planned.run_dir)
    code = self.process.returncode
    error = '' if code == 0 and completed >= self.steps else \
        f'exit {code}: {_error_line(self.log_path, code)}'
    entry['wall_seconds'] = entry['wall_seconds'] + seconds
    entry['attempts'].append(dict(started=self.started_at,
                                  seconds=round(seconds, 1), from_iteration=self.resumed_from,
                                  train_steps=self.steps, completed=completed, exit=code,
                                  threads=self.threads))
    entry['error'] = error
    if not error:
      entry['finished_iterations'] = max(entry['finished_iterations'], self.steps)
    ledger.save()
    return error, seconds, completed


def train(experiment, planned_runs, experiment_dir, processes=1, threads=1, max_iterations=0,
          log=print):
  """Start, resume or skip every run, ``processes`` at a time; returns {run: error line}."""
  ledger = Ledger(experiment_dir)
  todo, errors = [], {}
  for planned in planned_runs:
    mismatch = flag_mismatch(planned)
    if mismatch:
      errors[planned.run.name] = ledger.entry(planned.run.name)['error'] = mismatch
      log(f'{planned.run.name}: NOT RUN — {mismatch}')
    elif is_finished(planned, ledger):
      log(f'{planned.run.name}: finished ({planned.config.train_steps} iterations), skipped')
    elif max_iterations and collect.completed_iterations(planned.run_dir) >= max_iterations:
      log(f'{planned.run.name}: at {collect.completed_iterations(planned.run_dir)} iterations, '
          f'--max_iterations={max_iterations} reached, skipped')
    else:
      todo.append(planned)
  ledger.save()
  active, total = [], len(todo)
  try:
    while todo or active:
      while todo and len(active) < processes:
        attempt = _Attempt(todo.pop(0), experiment_dir, max_iterations, threads)
        start = attempt.resumed_from
        log(f'{attempt.planned.run.name}: '
            f'{f"resuming from checkpoint {start}" if start else "starting"} -> '
            f'{attempt.steps} iterations ({total - len(todo)}/{total}; log '
            f'{os.path.relpath(attempt.log_path)})')
        active.append(attempt)
      time.sleep(0.5)
      for attempt in [a for a in active if a.done()]:
        active.remove(attempt)
        _report(attempt, ledger, errors, log)
  finally:
    _stop(active, ledger, errors, log)   # interrupted: stop the runs (they resume next time)
  return errors


def _report(attempt, ledger, errors, log):
  error, seconds, completed = attempt.record(ledger)
  name = attempt.planned.run.name
  if error:
    errors[name] = error
    what = 'stopped' if collect.stopped_from_outside(error) else 'FAILED'   # stopped: resumes
    log(f'{name}: {what} at {completed} iterations after {seconds:.0f} s — {error}')
  else:
    log(f'{name}: {completed} iterations in {seconds:.0f} s')


def _stop(active, ledger, errors, log, grace_seconds=60):
  """SIGTERM to every run still going (bin/train checkpoints the step it is at and stops; a
  SIGINT could be ignored in a background job), SIGKILL after ``grace_seconds``; book what they did."""
  for attempt in active:
    attempt.process.send_signal(signal.SIGTERM)
  deadline = time.perf_counter() + grace_seconds
  for attempt in active:
    try:
      attempt.process.wait(max(0.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
      attempt.process.kill()
      attempt.process.wait()
    _report(attempt, ledger, errors, log)
