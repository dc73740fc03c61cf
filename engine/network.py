"""Networks own their variables and remember the update ops each call creates.

Three kinds, one interface (Sonnet v1's idea): ``KerasNetwork`` wraps a Keras model,
``ScopeNetwork`` wraps a function of TF1 layers in a ``tf1.make_template`` so every call shares one
variable scope, ``VariableScopeNetwork`` runs such a function the documented TF1 way
(``variable_scope(name)``, then ``reuse=True``) and also gathers the Keras layers it tracks.
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
