"""Networks own their variables and remember the update ops each call creates.

Two kinds, one interface (Sonnet v1's idea): ``KerasNetwork`` wraps a Keras model, ``ScopeNetwork``
wraps a function of TF1 layers in a ``tf1.make_template`` so every call shares one variable scope.
Variables come from what the network created, never from name matching; update ops are the ones
a call added (Keras ``layer.updates`` or the ``UPDATE_OPS`` collection), so a train op can run
exactly its own network's updates.
"""
from engine.compat import tf1, UPDATE_OPS


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
    for op in new_ops:
      if op not in self._update_ops:
        self._update_ops.append(op)


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
    return list(self._template.trainable_variables)

  @property
  def variables(self):
    return list(self._template.variables)
