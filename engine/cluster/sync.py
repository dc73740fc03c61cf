"""Synchronized replicas in the cluster: SyncReplicasOptimizer wrapping, per-train-op round
barriers, and the shared global step with each worker's iteration count and finish mark."""
from graphgan.engine.compat import tf, tf1
from graphgan.engine.errors import UserError
from graphgan.engine.graph import train_ops


def check_sync(model_cls, cluster, replication):
  """--sync_replicas needs engine train ops to wrap (Keras ``train_on_batch`` has none)."""
  if cluster.sync_replicas and not replication.train_ops:
    raise UserError(f'--sync_replicas: model {model_cls.name} builds no engine train op (it '
                    'trains through Keras); run it without --sync_replicas')


class Replication:
  """Wraps every engine train op's optimizer in SyncReplicasOptimizer under --sync_replicas."""

  def __init__(self, cluster):
    self.cluster = cluster
    self.optimizers = []    # every SyncReplicasOptimizer (each needs its session hook)
    self.train_ops = 0      # engine train ops wrapped

  def wrap(self, optimizer, counter):
    if not self.cluster.sync_replicas:
      return optimizer, counter
    if counter is None:
      counter = train_ops.step_counter(f'sync_updates_{len(self.optimizers)}')
    synced = _LockstepSync(optimizer, self)
    self.train_ops += 1
    return synced, counter

  def sync(self, optimizer):
    """A SyncReplicasOptimizer over all workers with its own token queue (see _OwnQueueSync)."""
    workers = self.cluster.num_workers
    synced = _OwnQueueSync(optimizer, replicas_to_aggregate=workers, total_num_replicas=workers,
                           container=f'sync{len(self.optimizers)}')
    self.optimizers.append(synced)
    return synced


class _LockstepSync:
  """A synchronized train op followed, in the same run, by a round barrier of its own.

  TF's token queue is shared by all workers and a round closes on the first N gradients from
  anyone: a worker running the same train op twice in a row (5 critic steps) can take the token
  another worker was due and feed two gradients to one round; the workers then drift apart across
  train ops and deadlock (measured on wgan with TF's defaults — two initial tokens, no barrier:
  chief blocked in a critic step, worker 1 in the generator step, in iteration 2). The barrier round closes only when every
  worker has its token, so nobody can start the next round early.
  """

  def __init__(self, optimizer, replication):
    self.replication = replication
    self.synced = replication.sync(optimizer)
    self.barrier = replication.sync(tf1.train.GradientDescentOptimizer(0.0))

  def apply_gradients(self, grads_and_vars, global_step=None, name=None):
    train = self.synced.apply_gradients(grads_and_vars, global_step, name)
    index = len(self.replication.optimizers)
    with tf1.variable_scope('sync_barriers'):
      target = tf1.get_variable(f'barrier{index}', (), tf.float32, tf1.zeros_initializer(),
                                trainable=False)
    rounds = train_ops.step_counter(f'sync_barrier_rounds{index}')
    return self.barrier.apply_gradients([(_zero_after(train), target)], global_step=rounds)


class _OwnQueueSync(tf1.train.SyncReplicasOptimizer):
  """SyncReplicasOptimizer whose token queue and accumulators live in their own container.

  TF names the token queue ``shared_name='sync_token_q'`` on the global step's device, so two
  of them on one ps would share one queue; a model with a critic and a generator has two.
  """

  def __init__(self, optimizer, container, **kwargs):
    super().__init__(optimizer, **kwargs)
    self._container = container

  def apply_gradients(self, grads_and_vars, global_step=None, name=None):
    with tf1.get_default_graph().container(self._container):
      return super().apply_gradients(grads_and_vars, global_step, name)


def _zero_after(op):
  """A zero gradient that this worker pushes only after ``op`` ran.

  Control dependencies go on the pushed gradient, never around ``apply_gradients``: the chief's
  queue runner runs the aggregated update without feeds and must not rerun ``op``.
  """
  with tf1.control_dependencies([op]):
    return tf.zeros(())


class SharedSteps:
  """The shared global step, per-worker iteration counts and finish marks (on the ps)."""

  def __init__(self, cluster, replication):
    workers, task = cluster.num_workers, cluster.task_index
    self.global_step = tf1.train.get_or_create_global_step()
    with tf1.variable_scope('cluster'):
      self.iterations_by_worker = tf1.get_variable(
          'iterations_by_worker', (workers,), tf.int64, tf1.zeros_initializer(), trainable=False)
      self.finished_at_step = tf1.get_variable(
          'finished_at_step', (workers,), tf.int64, tf1.zeros_initializer(), trainable=False)
      self.joined = tf1.get_variable('joined', (workers,), tf.int64, tf1.zeros_initializer(),
                                     trainable=False)
    one = tf.constant([1], tf.int64)
    count = tf1.scatter_add(self.iterations_by_worker, [task], one)
    if cluster.sync_replicas:
      # A synchronized round: the chief applies it once all workers have reached it, so every
      # worker reads the same step afterwards and all stop after the same round.
      barrier_var = tf1.get_variable('cluster/round_barrier', (), tf.float32,
                                     tf1.zeros_initializer(), trainable=False)
      synced = replication.sync(tf1.train.GradientDescentOptimizer(0.0))
      barrier = synced.apply_gradients([(_zero_after(count), barrier_var)],
                                       global_step=self.global_step)
      with tf1.control_dependencies([barrier]):
        self.advance = tf.identity(self.global_step.read_value())
    else:
      with tf1.control_dependencies([count]):
        self.advance = self.global_step.assign_add(1)
    self.read = self.global_step.read_value()
    self.step_placeholder = tf1.placeholder(tf.int64, ())
    self.mark_finished = tf1.scatter_update(self.finished_at_step, [task],
                                            tf.reshape(self.step_placeholder, (1,)))
    self.finished = self.finished_at_step.read_value()
    self.mark_joined = tf1.scatter_update(self.joined, [task], one)
    self.joined_value = self.joined.read_value()
