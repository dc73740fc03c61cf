"""Networks own their variables and remember the update ops each call creates.

Three kinds, one interface (Sonnet v1's idea): ``KerasNetwork`` wraps a Keras model,
``ScopeNetwork`` wraps a function of TF1 layers in a ``tf1.make_template`` so every call shares one
variable scope, ``VariableScopeNetwork`` runs such a function the documented TF1 way
(``variable_scope(name)``, then ``reuse=True``) and also gathers the Keras layers it tracks.
Variables come from what the network created, never from name matching; update ops are the ones
a call added (Keras ``layer.updates`` or the ``UPDATE_OPS`` collection), so a train op can run
exactly its own network's updates.
"""
from tensorflow.core.framework import attr_value_pb2

from graphgan.engine.compat import tf, tf1, UPDATE_OPS


class Network:
  """Common interface: ``__call__``, ``trainable_variables``, ``variables``, ``update_ops``."""

  def __init__(self, name):
    self.name = name
    self._update_ops = []

  @property
  def update_ops(self):
    """Update ops (e.g. BatchNormalization moving statistics) created by this network's calls."""
    return list(self._update_ops)

  def _record_updates(self, new_ops):
    earlier = list(self._update_ops)
    added = [op for op in new_ops if op not in earlier]
    order_updates(added, earlier)
    self._update_ops += [op for i, op in enumerate(added) if op not in added[:i]]


def _as_op(update):
  return update if isinstance(update, tf.Operation) else update.op


def _assign_op(update):
  """The op that writes the variable (an update may be the assign or a read made after it)."""
  op = _as_op(update)
  if 'Assign' in op.type:
    return op
  for candidate in list(op.control_inputs) + [t.op for t in op.inputs]:
    if 'Assign' in candidate.type:
      return candidate
  return op


def order_updates(later, earlier):
  """Run each update in ``later`` only after the ``earlier`` updates of the same variable.

  A network called twice in one train op (a critic on real, then on fake images) creates two
  moving-average updates per BatchNormalization statistic. Unordered, each reads the variable
  whenever the executor gets to it, so the final statistic depends on thread timing (different
  bits run to run). The later update — its own read of the variable included, never the forward
  pass — is made to wait for the earlier ones: call order, every run.
  """
  writes = {}
  for update in earlier:
    op, targets = _writes(update)
    for target in targets:
      writes.setdefault(target, []).append(op)
  for update in later:
    op, targets = _writes(update)
    for target in [t for t in targets if t in writes]:
      before = writes[target]
      readers = [op]
      if 'Assign' in op.type:
        readers += _scope_readers(op, target, op.name.rsplit('/', 1)[0] + '/')
      else:
        _keep_whole([op] + before)
      for reader in readers:
        reader._add_control_inputs([b for b in before if b not in reader.control_inputs])  # pylint: disable=protected-access
    for target in targets:
      writes.setdefault(target, []).append(op)


def _keep_whole(conditionals):
  """Run conditional updates as one kernel each (not lowered to Switch/Merge), so a control input
  on one holds back the read inside its branch: measured, a lowered ``If`` honours its control
  inputs only at its output, and two lowered updates of one variable raced (2-3 different results
  in 200 runs of 20 steps); kept whole and ordered, they agreed in 200 of 200."""
  for op in conditionals:
    if op.type in ('If', 'StatelessIf'):
      op._set_attr('_lower_using_switch_merge', attr_value_pb2.AttrValue(b=False))  # pylint: disable=protected-access


def _writes(update):
  """(the op to order, the variable ops it writes) of one update.

  A plain update is an assign op (or a read made after one); one taken under a ``training``
  placeholder (``tf1.layers`` BatchNormalization called with it) is a conditional (``If``) whose
  branch reads and writes the variable, so the conditional itself is ordered, by the resource
  handles it takes.
  """
  op = _assign_op(update)
  if 'Assign' in op.type:
    return op, ([op.inputs[0].op] if op.inputs else [])
  for candidate in [op] + [t.op for t in op.inputs]:
    handles = [t.op for t in candidate.inputs if t.dtype == tf.resource]
    if candidate.type in ('If', 'StatelessIf') and handles:
      return candidate, handles
  return op, []


def _scope_readers(op, variable_op, scope):
  """Ops inside ``scope`` that ``op`` depends on and that read ``variable_op``."""
  readers, seen, stack = [], set(), [op]
  while stack:
    for tensor in stack.pop().inputs:
      source = tensor.op
      if source in seen or not source.name.startswith(scope):
        continue
      seen.add(source)
      stack.append(source)
      if any(t.op is variable_op for t in source.inputs):
        readers.append(source)
  return readers


class KerasNetwork(Network):
  """A Keras model called on graph tensors; per-call updates recorded, learning phase honoured."""

  def __init__(self, model, name=None):
    super().__init__(name or model.name)
    self.model = model

  def __call__(self, inputs, **kwargs):
    before = set(self.model.updates)
    collection_before = set(tf1.get_collection(UPDATE_OPS))
    outputs = self.model(inputs, **kwargs)
    self._record_updates([u for u in self.model.updates if u not in before])
    self._record_updates([u for u in tf1.get_collection(UPDATE_OPS) if u not in collection_before])
    return outputs

  @property
  def trainable_variables(self):
    return list(self.model.trainable_weights)

  @property
  def variables(self):
    return list(self.model.weights)


class ScopeNetwork(Network):
  """A function of TF1 layers made into a template: one variable scope, shared on every call.

  ``custom_getter`` (a ``variable_scope`` custom getter) may hand back something else than the
  stored variable, e.g. a tensor of unrolled values (see ``engine.unroll``).
  """

  def __init__(self, name, build_fn, custom_getter=None):
    super().__init__(name)
    self._graph = tf1.get_default_graph()
    self._template = tf1.make_template(name, build_fn, custom_getter_=custom_getter)

  def __call__(self, *args, **kwargs):
    before = set(tf1.get_collection(UPDATE_OPS))
    outputs = self._template(*args, **kwargs)
    self._record_updates([u for u in tf1.get_collection(UPDATE_OPS) if u not in before])
    return outputs

  @property
  def variable_scope(self):
    return self._template.variable_scope

  @property
  def trainable_variables(self):
    with self._graph.as_default():     # the template reads its graph's collections
      return list(self._template.trainable_variables)

  @property
  def variables(self):
    with self._graph.as_default():
      return list(self._template.variables)


class VariableScopeNetwork(Network):
  """TF1 code in its documented form: ``build_fn`` in ``variable_scope(name)``, then ``reuse=True``.

  The first call creates the variables, every later call enters the same scope with ``reuse=True``.
  Keras layers ignore variable-scope reuse (a later call creates new variables) and keep their
  updates off ``UPDATE_OPS``, so ``build_fn`` hands each layer it makes to ``track``: the network
  then gathers those layers' updates too, and ``variables`` shows what every call really created.
  """

  def __init__(self, name, build_fn):
    super().__init__(name)
    self._build_fn = build_fn
    self._calls = 0
    self._variables = []
    self._layers = []

  def track(self, layer):
    """Register a layer made by ``build_fn`` (its ``updates`` become this network's); returns it."""
    self._layers.append(layer)
    return layer

  def __call__(self, *args, **kwargs):
    variables_before = set(tf1.global_variables())
    collection_before = set(tf1.get_collection(UPDATE_OPS))
    layer_updates_before = {u for layer in self._layers for u in layer.updates}
    with tf1.variable_scope(self.name, reuse=True if self._calls else None):
      outputs = self._build_fn(*args, **kwargs)
    self._calls += 1
    self._variables += [v for v in tf1.global_variables() if v not in variables_before]
    self._record_updates([u for u in tf1.get_collection(UPDATE_OPS) if u not in collection_before])
    self._record_updates([u for layer in self._layers for u in layer.updates
                          if u not in layer_updates_before])
    return outputs

  @property
  def trainable_variables(self):
    trainable = set(tf1.trainable_variables())
    return [v for v in self._variables if v in trainable]

  @property
  def variables(self):
    return list(self._variables)
