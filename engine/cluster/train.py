"""Training in a TF1 cluster on TensorFlow's own runtime (between-graph replication).

Every worker builds the whole graph under ``replica_device_setter`` (variables on the ps tasks,
compute on itself) and runs the shared loop on a ``MonitoredSession``; worker 0 (the chief)
initializes or restores the variables and alone writes checkpoints, summaries, samples, HDF5
files and ``losses.csv``. The loop's step is the shared global step on the ps: each worker adds 1
per iteration (``--sync_replicas``: once per synchronized round) and stops when it reaches
``--train_steps``.

Why an engine session creator and not ``MonitoredTrainingSession``'s: TF's Chief/Worker session
creators finalize the graph before the first session exists, but graph-mode Keras must make its
variable bookkeeping and lazy functions in a live session first (``Session.prepare`` locally).
``_SessionCreator`` does what they do — ``SessionManager.prepare_session`` on the chief (init or
restore the newest complete checkpoint), ``wait_for_session`` on the others — then the Keras
preparation, then finalizes. ``MonitoredSession`` still supplies hooks (SyncReplicasOptimizer's),
the coordinator and recovery from a lost ps.
"""
import contextlib
import time

from absl import logging

from graphgan.engine.cluster import sync
from graphgan.engine.cluster.spec import wait_for_ps
from graphgan.engine.compat import tf, tf1, K
from graphgan.engine.config import as_flag_lines, fixed_on_resume
from graphgan.engine.errors import UserError
from graphgan.engine.graph import scopes, train_ops
from graphgan.engine.run import checkpoint as ckpt
from graphgan.engine.run import loop
from graphgan.engine.run import rundir
from graphgan.engine.run import session as run_session

# How often a worker re-checks that the chief has initialized the model (SessionManager's default
# is 30 s: a worker that starts a moment before the chief would idle half a minute).
RECOVERY_WAIT_SECS = 1


def train(model_cls, config, cluster, max_steps=None):
  """Run this node's part: a ps task serves (never returns); a worker trains."""
  server = _start_server(cluster)
  if cluster.job_name == 'ps':
    logging.info('ps task %d serving at %s', cluster.task_index, server.target)
    server.join()
    return None
  wait_for_ps(cluster)
  return _train_worker(model_cls, config, cluster, server, max_steps)


def session_config(cluster):
  """The engine's session config, seeing only the ps tasks and this worker (not the others)."""
  config = run_session.session_config()
  config.device_filters.extend(['/job:ps', cluster.worker_device])
  return config


def _start_server(cluster):
  hosts = cluster.ps_hosts if cluster.job_name == 'ps' else cluster.worker_hosts
  try:
    server = tf1.train.Server(cluster.cluster_spec(), job_name=cluster.job_name,
                              task_index=cluster.task_index, config=session_config(cluster))
  except (tf.errors.OpError, RuntimeError, ValueError) as error:
    raise UserError(f'--{cluster.job_name}_hosts: could not serve task {cluster.task_index} at '
                    f'{hosts[cluster.task_index]}: {str(error).splitlines()[0]}') from None
  # Measured (docs/cluster.md): TF's gRPC server binds the wildcard address, whatever the host.
  name, _, port = hosts[cluster.task_index].rpartition(':')
  logging.warning('%s task %d listens on port %s of every network interface, not only %s; '
                  "TensorFlow's cluster runtime has no authentication: keep the port behind a "
                  'firewall (docs/cluster.md)', cluster.job_name, cluster.task_index, port, name)
  return server


def _train_worker(model_cls, config, cluster, server, max_steps):
  if getattr(config, 'num_gpus', 1) > 1:
    raise UserError(f'--num_gpus={config.num_gpus}: towers keep their variables on this '
                    "worker's CPU, not on the ps tasks; use --num_gpus=1 in a cluster")
  run = rundir.RunDirectory(loop.run_dir_of(model_cls, config))
  if cluster.is_chief:
    run.check_location()
  else:
    config = config.replace(seed=config.seed + cluster.task_index)  # its own data and noise
  devices = tf1.train.replica_device_setter(worker_device=cluster.worker_device,
                                            cluster=cluster.cluster_spec())
  replication = sync.Replication(cluster)
  with train_ops.wrap_optimizers(replication.wrap):
    session = loop.Session(model_cls, config, device=devices, make_session=False)
  try:
    with run.locked() if cluster.is_chief else contextlib.nullcontext():
      chief = _ChiefChecks(model_cls, config, run, session) if cluster.is_chief else None
      with session.graph.as_default():
        sync.check_sync(model_cls, cluster, replication)
        with tf1.device(devices):
          shared = sync.SharedSteps(cluster, replication)
        saver = None
        if chief:
          with tf1.device(cluster.worker_device):
            saver = ckpt.CheckpointManager(run.path, config.keep_checkpoints,
                                           legacy_keys=scopes.unscoped_build(
                                               model_cls, config, session.data))
            if chief.latest:
              saver.saver_for(chief.latest)      # an older run dir's Saver, before finalize
        creator = _SessionCreator(session, cluster, server.target, saver,
                                  chief.latest if chief else None)
        # No initial tokens: nobody starts a round ahead of the others.
        hooks = [opt.make_session_run_hook(cluster.is_chief, num_tokens=0)
                 for opt in replication.optimizers]
        # Sync: the chief's queue runners wait in take_grad forever; do not wait 120 s for them.
        session.sess = tf1.train.MonitoredSession(session_creator=creator, hooks=hooks,
                                                  stop_grace_period_secs=5)
        restored = None
        if chief:
          chief.begin(saver)
          if creator.state:
            restored = ckpt.Restored(chief.latest, creator.state['step'], creator.state, [])
        return _ClusterLoop(session, saver, run, restored, max_steps, cluster, shared,
                            creator).run()
  finally:
    session.close()


class _ChiefChecks:
  """The chief's run-directory checks before anything changes (``loop.train``'s, for a cluster).

  The model may live on the ps and move on while the chief is away, so ``losses.csv`` need not
  end exactly at the checkpoint's step.
  """

  def __init__(self, model_cls, config, run, session):
    self.run = run
    self.lines = as_flag_lines(model_cls.name, config)
    self.missing = run.check_contents(model_cls.name, self.lines,
                                      fixed_on_resume(model_cls.Config))
    self.latest = ckpt.latest_checkpoint(run.path)
    if self.latest and not config.resume:
      raise UserError(f'{run.flag} already holds checkpoints; pass --resume to continue or '
                      'choose another --run_dir (nothing was overwritten)')
    step = 0
    if self.latest:
      state = ckpt.read_state(self.latest)
      try:
        session.data.check_state(state['data'])
      except ValueError as error:
        raise UserError(f'{self.latest}: {error}') from None
      step = state['step']
    self.cuts = run.check_logs(step, require_last_row=False)

  def begin(self, saver):
    rundir.warn_missing_flags(self.run, self.missing)
    self.run.begin(self.lines, self.cuts)
    saver.recover()


class _SessionCreator(tf1.train.SessionCreator):
  """Chief: init or restore; others: wait until ready; then Keras' preparation and finalize."""

  def __init__(self, session, cluster, master, saver, latest):
    self.session, self.cluster, self.master = session, cluster, master
    self.saver, self.latest, self.state = saver, latest, None
    self.raw = None
    self.init_op = tf1.global_variables_initializer()
    self.ready_op = tf1.report_uninitialized_variables()
    self.manager = tf1.train.SessionManager(
        local_init_op=tf.group(tf1.local_variables_initializer(), tf1.tables_initializer()),
        ready_op=self.ready_op,
        ready_for_local_init_op=tf1.report_uninitialized_variables(tf1.global_variables()),
        graph=session.graph, recovery_wait_secs=RECOVERY_WAIT_SECS)

  def create_session(self):
    config = session_config(self.cluster)
    if self.cluster.is_chief and self._model_on_ps(config):
      # A restarted chief joins the live model instead of rolling it back to its checkpoint.
      raw = self.manager.wait_for_session(self.master, config=config, max_wait_secs=0)
      if self.latest and raw is not None:
        self.state = self.saver.read_state(self.latest)
      logging.info('Chief joined the model live on the ps; data position from %s',
                   self.latest if self.state else 'the start (no checkpoint yet)')
    elif self.cluster.is_chief:
      raw = self.manager.prepare_session(
          self.master, init_op=self.init_op, config=config,
          saver=self.saver.saver_for(self.latest) if self.latest else None,
          checkpoint_filename_with_path=self.latest)
      if self.latest:
        self.state = self.saver.read_state(self.latest)
        logging.info('Chief restored %s', self.latest)
    else:
      try:
        raw = self.manager.wait_for_session(self.master, config=config,
                                            max_wait_secs=self.cluster.wait_secs)
      except tf.errors.DeadlineExceededError:
        raise UserError(f'worker {self.cluster.task_index}: the chief (worker 0) did not '
                        f'initialize the model within {self.cluster.wait_secs} s '
                        '(--cluster_wait_secs)') from None
    self.raw = raw
    K.set_session(raw)
    if not self.session.graph.finalized:
      self.session.finalize(raw, warm_assigns=False)   # the one finalize path (run/session.py)
    return raw


  def _model_on_ps(self, config):
    """True when the ps already holds every variable (this chief is a restarted one)."""
    with tf1.Session(self.master, graph=self.session.graph, config=config) as probe:
      return len(probe.run(self.ready_op)) == 0


class _ClusterLoop(loop.TrainLoop):
  """The shared loop, counting the cluster's global step; the chief alone writes."""

  def __init__(self, session, saver, run, restored, max_steps, cluster, shared, creator):
    self.is_chief = cluster.is_chief
    self.cluster, self.shared, self.creator = cluster, shared, creator
    super().__init__(session, saver, run, restored, max_steps)
    session.sess.run(shared.mark_joined)
    if self.is_chief:
      _wait_for(session.sess, shared.joined_value, 1, cluster.wait_secs, 'join')
    self.step = int(session.sess.run(shared.read))
    logging.info('Worker %d joined at global step %d.', cluster.task_index, self.step)
    if max_steps:
      self.end = min(self.config.train_steps, self.step + max_steps)

  def _advance(self):
    self.step = int(self.session.sess.run(self.shared.advance))

  def _checkpoint_session(self):
    return self.creator.raw

  def _finish(self, result):
    sess, shared = self.session.sess, self.shared
    sess.run(shared.mark_finished, {shared.step_placeholder: self.step})
    if not self.is_chief:
      return
    _wait_for(sess, shared.finished, self.end, self.cluster.wait_secs, 'finish')
    final = int(sess.run(shared.read))
    if final != self.step or not result.checkpoint:
      self.step = final
      result.checkpoint = self._save()


def _wait_for(sess, marks, at_least, wait_secs, what):
  """The chief waits (bounded) until every worker's mark in ``marks`` is ``at_least``.

  Before the first step: every worker has joined (else the chief may finish alone). After the
  last: every worker has finished, so the final checkpoint holds every iteration.
  """
  deadline = time.monotonic() + wait_secs
  while True:
    late = [i for i, mark in enumerate(sess.run(marks)) if mark < at_least]
    if not late:
      return
    if time.monotonic() > deadline:
      logging.warning('Workers %s did not %s within %d s (--cluster_wait_secs); going on '
                      'without them.', late, what, wait_secs)
      return
    time.sleep(0.5)
