"""``bin/reproduce --list``: each experiment's runs and the CPU time they should take.

Each group's first run is built in this process (the engine's ``Session``, as ``bin/train``
builds it) and timed for a few iterations and one evaluation, in CPU seconds of this process
(``time.process_time``: on a shared machine wall time measures the neighbours). Timings are cached
in ``<runs_dir>/timings.json`` per configuration; ``--retime`` measures again.
"""
import dataclasses
import json
import os
import tempfile
import time

from graphgan.engine.gan import AlternatingGAN
from graphgan.engine.run import loop
from graphgan.experiments import runner

WARMUP_ITERATIONS = 2
TIMED_ITERATIONS = 5
TYPICAL_STEP = 1001     # timed iterations are numbered from here (past any warm-up schedule)
IGNORED = ('run_dir', 'seed', 'train_steps', 'log_every_steps', 'summary_every_steps',
           'sample_every_steps', 'save_every_steps', 'eval_every_steps', 'export_every_epochs',
           'keep_checkpoints', 'resume')


def _key(planned):
  settings = {k: v for k, v in dataclasses.asdict(planned.config).items() if k not in IGNORED}
  return json.dumps([planned.model_cls.name, settings], sort_keys=True)


def time_run(planned):
  """{'build', 'iteration', 'evaluation'}: CPU seconds to build, per iteration, per evaluation."""
  with tempfile.TemporaryDirectory(prefix='graphgan-list-') as run_dir:
    config = planned.config.replace(run_dir=run_dir)
    started = time.process_time()
    session = loop.Session(planned.model_cls, config)
    try:
      session.prepare()
      build = time.process_time() - started
      model, sess = session.model, session.sess
      with session.graph.as_default():
        for step in range(WARMUP_ITERATIONS):
          model.iteration(sess, TYPICAL_STEP + step)
        started = time.process_time()
        for step in range(TIMED_ITERATIONS):
          model.iteration(sess, TYPICAL_STEP + step)
        iteration = (time.process_time() - started) / TIMED_ITERATIONS * _schedule_factor(
            model, config.train_steps)
        model.final_report(sess)             # first call: loads (or trains) a classifier
        started = time.process_time()
        model.final_report(sess)
        evaluation = time.process_time() - started
    finally:
      session.close()
  return dict(build=build, iteration=iteration, evaluation=evaluation)


def _schedule_factor(model, steps):
  """Mean cost of an iteration over the run relative to a typical one, for the alternating GANs,
  whose discriminator-step count may vary (wgan's ``--warmup_critic_steps``); 1 otherwise."""
  if not isinstance(model, AlternatingGAN):
    return 1.0
  steps_at = model.discriminator_steps_at
  typical = steps_at(TYPICAL_STEP) + 1
  return sum(steps_at(step) + 1 for step in range(steps)) / (steps * typical)


def run_seconds(planned, timing):
  """Estimated CPU seconds of one whole run."""
  steps, every = planned.config.train_steps, planned.config.eval_every_steps
  evaluations = (steps // every if every else 0) + 1
  return timing['build'] + steps * timing['iteration'] + evaluations * timing['evaluation']


def estimate(experiment, runs_dir, retime=False, log=print):
  """(runs, estimated CPU seconds, {group: timing}) of ``experiment``."""
  path = os.path.join(runs_dir, 'timings.json')
  cache = {}
  if os.path.exists(path) and not retime:
    with open(path) as handle:
      cache = json.load(handle)
  planned_runs = runner.plan(experiment, os.path.join(runs_dir, experiment.name))
  timings, total = {}, 0.0
  for group in experiment.groups():
    first = next(p for p in planned_runs if p.run.group == group)
    key = _key(first)
    if key not in cache:
      log(f'  timing {experiment.name} / {group} (a few iterations; cached) ...')
      cache[key] = time_run(first)
      os.makedirs(runs_dir, exist_ok=True)
      with open(path, 'w') as handle:
        json.dump(cache, handle, indent=1)
    timings[group] = cache[key]
    total += sum(run_seconds(p, cache[key]) for p in planned_runs if p.run.group == group)
  return len(planned_runs), total, timings
