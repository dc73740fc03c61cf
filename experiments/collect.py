"""A run directory read back as a results record: resolved flags, metrics over training and final.

Reads only what ``bin/train`` writes (WORKSPACE.md, "Run directory"): ``flags.txt``,
``losses.csv`` (one row per iteration), ``metrics.jsonl`` (one row per evaluation) and the
TensorBoard event files' time stamps (how long the run trained).
"""
import csv
import dataclasses
import glob
import json
import math
import os
import re

import numpy as np

from graphgan.engine import registry
from graphgan.engine.errors import STOPPED_BY_SIGNAL
from graphgan.experiments import flagfiles


def read_losses(run_dir):
  """(steps int array, {loss: float array}) of ``losses.csv``; empty when there is none."""
  path = os.path.join(run_dir, 'losses.csv')
  if not os.path.exists(path):
    return np.zeros(0, np.int64), {}
  with open(path, newline='') as handle:
    rows = list(csv.reader(handle))
  if len(rows) < 2:
    return np.zeros(0, np.int64), {}
  header, body = rows[0], np.asarray(rows[1:], dtype=np.float64)
  return body[:, 0].astype(np.int64), {name: body[:, i] for i, name in enumerate(header[1:], 1)}


def stopped_from_outside(error):
  """Whether a run's recorded error is a stop by a signal (the campaign stopped, a machine
  restarted): not a failure, the same command resumes it. ``bin/train`` and the runner both word
  such a stop with ``errors.STOPPED_BY_SIGNAL``."""
  return bool(error) and STOPPED_BY_SIGNAL in error


def training_seconds(run_dir):
  """Seconds the run trained: first to last event of each ``bin/train`` process's event file, summed.

  Each process writes its own event file, so this counts every attempt, also those of a campaign
  that was killed with its runs (whose attempts its ledger never booked). It leaves out each
  process's start-up before its first event; a file cut by a kill counts up to its last whole event.
  """
  from graphgan.engine.compat import tf, tf1   # pylint: disable=import-outside-toplevel
  total = 0.0
  for path in glob.glob(os.path.join(run_dir, 'events.out.tfevents.*')):
    first = last = None
    try:
      for event in tf1.train.summary_iterator(path):
        first = event.wall_time if first is None else first
        last = event.wall_time
    except tf.errors.DataLossError:
      pass
    if first is not None:
      total += last - first
  return total


def read_metrics(run_dir):
  """The rows of ``metrics.jsonl`` (``{"step": N, metric: value}``), in order."""
  path = os.path.join(run_dir, 'metrics.jsonl')
  if not os.path.exists(path):
    return []
  with open(path) as handle:
    return [json.loads(line) for line in handle if line.strip()]


_CHECKPOINT = re.compile(r'model\.ckpt-(\d+)\.index$')


def checkpoint_steps(run_dir):
  """{step: checkpoint prefix} of the run's tf1 Saver checkpoints (``checkpoints/model.ckpt-N``)."""
  found = {}
  for path in glob.glob(os.path.join(run_dir, 'checkpoints', 'model.ckpt-*.index')):
    match = _CHECKPOINT.search(path)
    if match:
      found[int(match.group(1))] = path[:-len('.index')]
  return dict(sorted(found.items()))


def completed_iterations(run_dir):
  steps, _ = read_losses(run_dir)
  return int(steps[-1]) if len(steps) else 0


def _finite(value):
  """JSON has no inf/nan: they become strings ('inf'), which the tables show as such."""
  return value if isinstance(value, (int, str)) or math.isfinite(value) else repr(float(value))


def _block_means(steps, values, window):
  """Means over consecutive blocks of ``window`` iterations, labelled by each block's last step."""
  blocks = len(steps) // window
  if not blocks:
    return [], []
  cut = blocks * window
  return (steps[window - 1:cut:window].tolist(),
          values[:cut].reshape(blocks, window).mean(1).tolist())


def loss_summary(run_dir, window, loss_steps):
  """``at`` (single iterations), ``window`` (mean of the last ``window``) and block-mean curves."""
  steps, losses = read_losses(run_dir)
  at = {str(step): {name: float(values[steps == step][0]) for name, values in losses.items()}
        for step in loss_steps if step in set(steps.tolist())}
  last = {name: float(values[-window:].mean()) for name, values in losses.items()} \
      if len(steps) else {}
  curves = {'window': window}
  for name, values in losses.items():
    curves['step'], curves[name] = _block_means(steps, values, window)
  return at, last, curves


def dataset_of(model_name, values):
  """The resolved data-source name of a run (``--data=embedded`` is the model's default)."""
  data = values.get('data', 'embedded')
  return registry.get(model_name).default_data if data == 'embedded' else data


def run_record(experiment, planned, ledger_entry):
  """The results record of one planned run (see ``docs/results/*.json``).

  ``flags`` is the run directory's ``flags.txt`` (the config it ran with); a run not started yet
  shows the config it will run with.
  """
  run, run_dir = planned.run, planned.run_dir
  flags_path = os.path.join(run_dir, 'flags.txt')
  if os.path.exists(flags_path):
    model, values = flagfiles.read_flags_txt(flags_path)
  else:
    model, values = planned.model_cls.name, dataclasses.asdict(planned.config)
  if str(values.get('run_dir', '')).startswith(flagfiles.ROOT + os.sep):   # machine-independent
    values = dict(values, run_dir=os.path.relpath(values['run_dir'], flagfiles.ROOT))
  rows = read_metrics(run_dir)
  at, last, curves = loss_summary(run_dir, experiment.window, experiment.loss_steps)
  iterations = completed_iterations(run_dir)
  target = planned.config.train_steps
  return dict(
      name=run.name, group=run.group, model=model, dataset=dataset_of(model, values),
      seed=run.seed, iterations=iterations, target_iterations=target,
      finished=bool(ledger_entry.get('finished_iterations', 0) >= target and iterations >= target),
      flags={k: _finite(v) for k, v in values.items()},
      metrics=dict(final={k: _finite(v) for k, v in rows[-1].items()} if rows else {},
                   at=at, window=last,
                   over_training=[{k: _finite(v) for k, v in row.items()} for row in rows],
                   losses=curves),
      # Both are lower bounds: the ledger misses attempts killed with the campaign, the event
      # files miss start-up; the larger is the better one.
      wall_seconds=round(max(float(ledger_entry.get('wall_seconds', 0.0)),
                             training_seconds(run_dir)), 1),
      threads=(ledger_entry.get('attempts') or [{}])[-1].get('threads'),
      error=ledger_entry.get('error', ''))
