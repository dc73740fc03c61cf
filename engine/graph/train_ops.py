"""Train-op building shared by every model: per-network update ops, step counters, clipping.

Each network's train op runs that network's update ops and nobody else's (TF-GAN's rule), and
``check_update_ops_used`` refuses a graph where some update op is run by no train op — the silent
"moving statistics never train" bug.
"""
import contextlib

from absl import logging

from graphgan.engine.compat import tf, tf1, UPDATE_OPS
from graphgan.engine.errors import UserError

_OPTIMIZER_WRAPPERS = []   # innermost last; see wrap_optimizers


@contextlib.contextmanager
def wrap_optimizers(wrap):
  """Inside, ``apply_with_updates`` passes each (optimizer, counter) through ``wrap`` first.

  The cluster uses it to put ``SyncReplicasOptimizer`` around every engine-built train op.
  """
  _OPTIMIZER_WRAPPERS.append(wrap)
  try:
    yield
  finally:
    _OPTIMIZER_WRAPPERS.remove(wrap)


def step_counter(name):
  """An int64 counter variable (saved in checkpoints) that a train op increments once per run."""
  with tf1.variable_scope('counters', reuse=tf1.AUTO_REUSE):
    return tf1.get_variable(name, shape=(), dtype=tf.int64, trainable=False,
                            initializer=tf1.zeros_initializer())


def build_train_op(loss, network, optimizer, *, counter=None, name=None):
  """``optimizer`` minimises ``loss`` over ``network``'s trainable variables.

  Gradients are applied under a control dependency on the network's own update ops; ``counter``
  (see ``step_counter``) is incremented by the same op.
  """
  variables = network.trainable_variables
  if not variables:
    raise ValueError(f'network {network.name!r} has no trainable variables')
  grads_and_vars = optimizer.compute_gradients(loss, var_list=variables)
  missing = [v.name for g, v in grads_and_vars if g is None]
  if missing:
    raise ValueError(f'loss has no gradient for {network.name} variables: {missing}')
  return apply_with_updates(optimizer, grads_and_vars, network.update_ops, counter=counter,
                            name=name or f'train_{network.name}')


def apply_with_updates(optimizer, grads_and_vars, update_ops, *, counter=None, name=None):
  """``apply_gradients`` after ``update_ops``, and counting the step in ``counter``."""
  dependencies = list(update_ops)
  if _OPTIMIZER_WRAPPERS:
    # A wrapped optimizer may apply elsewhere (SyncReplicasOptimizer's chief queue runner, which
    # feeds nothing): the update ops then gate the gradients this step pushes, not the apply.
    optimizer, counter = _OPTIMIZER_WRAPPERS[-1](optimizer, counter)
    with tf1.control_dependencies(dependencies):
      grads_and_vars = [(tf.identity(g) if g is not None else None, v) for g, v in grads_and_vars]
    dependencies = []
  with tf1.control_dependencies(dependencies):
    apply = optimizer.apply_gradients(grads_and_vars, global_step=counter, name=name)
  for op in update_ops:
    tf1.add_to_collection(USED_UPDATE_OPS, op)
  return apply


USED_UPDATE_OPS = 'graphgan_used_update_ops'
REPLICA_UPDATE_OPS = 'graphgan_replica_update_ops'


def mark_replica_update_ops(update_ops):
  """Declare ``update_ops`` deliberately unrun: a tower replica's copies of tower 0's updates."""
  for op in update_ops:
    tf1.add_to_collection(REPLICA_UPDATE_OPS, op)


def check_update_ops_used(networks, allow_unused=False):
  """Raise when an update op of the graph (collection or a network's calls) runs in no train op.

  ``allow_unused`` turns the error into a loud warning (the documented-but-buggy styles use it).
  """
  used = set(tf1.get_collection(USED_UPDATE_OPS)) | set(tf1.get_collection(REPLICA_UPDATE_OPS))
  candidates = list(tf1.get_collection(UPDATE_OPS))
  for network in networks:
    candidates += network.update_ops
  unused = sorted({op.name for op in candidates if op not in used})
  if not unused:
    return []
  message = (f'There are unused update ops: {len(unused)} update op(s) run in no train op '
             f'(e.g. {unused[0]}); their moving statistics would never train')
  if not allow_unused:
    raise UserError(message)
  logging.warning('%s. ALLOWED by --allow_unused_update_ops: this run reproduces that bug.',
                  message)
  return unused


def clip_op(variables, low, high, name='clip_weights'):
  """One grouped op assigning ``clip(v, low, high)`` to every variable (no host round trip)."""
  with tf1.name_scope(name):
    return tf.group(*[v.assign(tf.clip_by_value(v, low, high)) for v in variables])
