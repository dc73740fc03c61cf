"""What a checkpoint costs next to a training step, and what turning grappler's remapper off costs.

``bin/bench --model=NAME`` prints both after the model's own benchmark. A checkpoint here is
exactly what the loop does at a save step: the finiteness check of every variable, the fsynced
``losses.csv``, the journal marker, the Saver's write, the fsynced sidecar commit, the retirement
of an old checkpoint and the index rewrite — under the run directory's lock.
"""
import os

from graphgan.engine import registry
from graphgan.engine.config import make_config
from graphgan.engine.run import checkpoint as ckpt
from graphgan.engine.run import loop, rundir
from graphgan.engine.run import session as run_session
from graphgan.engine.tools import timing

QUIET = dict(summary_every_steps=0, sample_every_steps=0, export_every_epochs=0,
             log_every_steps=10 ** 9, train_steps=10 ** 9)


def _session(model_cls, overrides, run_dir):
  config = make_config(model_cls.Config, dict(overrides, **QUIET, run_dir=run_dir))
  session = loop.Session(model_cls, config)
  with session.graph.as_default():
    manager = ckpt.CheckpointManager(run_dir, keep=2)
  session.prepare()
  return session, manager


def bench_checkpoint(model_name, iterations=5, rounds=3, **overrides):
  """Median seconds of a training iteration and of a checkpoint, measured alternately."""
  model_cls = registry.get(model_name)
  with timing.temporary_run_dir() as run_dir:
    session, manager = _session(model_cls, overrides, run_dir)
    run = rundir.RunDirectory(run_dir)
    steps, saves, step = [], [], 0
    with run.locked(), session.graph.as_default():
      losses_log, _ = rundir.open_logs(run)

      def train(_):
        nonlocal step
        losses_log.append(step + 1, session.model.iteration(session.sess, step))
        step += 1

      def save(_):
        session.finite.non_finite(session.sess)
        losses_log.flush(sync=True)
        manager.save(session.sess, step, {'step': step, 'data': session.data.state()})

      for _ in range(rounds):
        steps.append(timing.time_iterations(train, iterations, warmup=1)['median'])
        saves.append(timing.time_iterations(save, 3, warmup=1)['median'])
      losses_log.close()
      size = sum(os.path.getsize(os.path.join(manager.directory, n))
                 for n in os.listdir(manager.directory) if n.startswith(f'{ckpt.PREFIX}-{step}.'))
    session.close()
  step_s, save_s = sorted(steps)[len(steps) // 2], sorted(saves)[len(saves) // 2]
  print(f'checkpoint vs step ({model_name}, {size / 2 ** 20:.1f} MiB per checkpoint): '
        f'step {step_s * 1e3:.1f} ms, checkpoint {save_s * 1e3:.1f} ms = '
        f'{save_s / step_s:.2f} steps')
  return {'step': step_s, 'checkpoint': save_s, 'bytes': size}


def bench_remapper(model_name, iterations=5, rounds=3, **overrides):
  """Median seconds per iteration with grappler's remapper on (TF's default) and off (ours)."""
  model_cls = registry.get(model_name)
  original = run_session.session_config
  sessions = {}
  try:
    for name, mode in (('remapper off (graphgan)', 'OFF'), ('remapper on (TF default)', 'ON')):
      def config(mode=mode):
        proto = original()
        options = proto.graph_options.rewrite_options
        options.remapping = getattr(options, mode)
        return proto
      run_session.session_config = config
      with timing.temporary_run_dir() as run_dir:
        sessions[name] = _session(model_cls, overrides, run_dir)[0]
  finally:
    run_session.session_config = original
  rows = {name: [] for name in sessions}
  for _ in range(rounds):
    for name, session in sessions.items():
      with session.graph.as_default():
        measured = timing.time_iterations(lambda i, s=session: s.model.iteration(s.sess, i),
                                          iterations, warmup=1)
      rows[name].append(measured['median'])
  for session in sessions.values():
    session.close()
  summaries = {name: timing.summarize(values) for name, values in rows.items()}
  timing.print_table(f'grappler remapper ({model_name}, medians of {rounds} rounds x '
                    f'{iterations} iterations)', summaries, 'remapper on (TF default)')
  return summaries
