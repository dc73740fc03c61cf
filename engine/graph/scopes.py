"""Each network's variables under its own scope, so checkpoint keys say whose they are.

``network_scope('generator')`` around building a network and around its optimizer's
``apply_gradients`` names its variables ``generator/project/kernel``,
``generator/project/kernel/RMSProp`` and ``generator/beta1_power``. (A name scope re-entered
absolutely: Keras layers and ``tf1.train`` optimizers name variables after the name scope, and a
``variable_scope`` would nest the optimizers' slots a second time.)

Run dirs written before the evening of 2026-12-07 hold the keys creation order gave (``project/kernel``,
``hidden0_1/kernel`` for a discriminator layer named like a generator one, ``beta1_power_1``).
``unscoped_variables(build)`` builds a model again, in a scratch graph, the way that code did;
its variables pair with this graph's in creation order (the build order did not change), which is
how the checkpoint manager restores such a checkpoint once (``CheckpointManager(legacy_keys=)``);
every checkpoint after it is written with the scoped keys.
"""
import contextlib
import threading

from graphgan.engine.compat import tf, tf1

_state = threading.local()


@contextlib.contextmanager
def network_scope(name):
  """Variables made inside are named ``<name>/...`` (nothing changes under ``unscoped()``)."""
  if is_unscoped():
    yield
    return
  with tf1.name_scope(f'{name}/'):
    yield


@contextlib.contextmanager
def unscoped():
  """Build as graphgan did before networks had scopes (to read the keys of older run dirs)."""
  before = getattr(_state, 'unscoped', False)
  _state.unscoped = True
  try:
    yield
  finally:
    _state.unscoped = before


def is_unscoped():
  return getattr(_state, 'unscoped', False)


def unscoped_variables(build):
  """[(name, shape)] of the global variables ``build()`` makes without network scopes, in
  creation order, in a scratch graph."""
  with tf.Graph().as_default(), unscoped():
    build()
    return [(v.op.name, tuple(v.shape.as_list())) for v in tf1.global_variables()]


def unscoped_build(model_cls, config, data):
  """``legacy_keys`` of ``CheckpointManager``: the model built again the old way, on the same
  config and data source, in a scratch graph."""
  return lambda: unscoped_variables(lambda: model_cls(config, data).build())


def stored_keys(path):
  """The variable names in checkpoint ``path``, or None when it cannot be read."""
  try:
    return {name for name, _ in tf.train.list_variables(path)}
  except (tf.errors.OpError, ValueError):
    return None


def legacy_saver(variables, old, stored):
  """A Saver reading ``variables`` under their old keys, or None when ``old`` does not pair with
  them or ``stored`` (a checkpoint's keys) lacks one."""
  pairs = legacy_key_map(variables, old)
  if pairs is None or not set(pairs) <= stored:
    return None
  return tf1.train.Saver(var_list=pairs)


def legacy_key_map(variables, old):
  """{old checkpoint key: variable}: ``variables`` (this graph's, in creation order) paired with
  ``old`` ([(name, shape)] from ``unscoped_variables``); None when the two do not pair up (a
  different count or shape: not the same model)."""
  if len(variables) != len(old):
    return None
  pairs = {}
  for variable, (name, shape) in zip(variables, old):
    if tuple(variable.shape.as_list()) != shape:
      return None
    pairs[name] = variable
  return pairs
