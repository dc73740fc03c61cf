"""Differentiable optimizer steps: a network's parameters after k updates, as tensors of the graph.

Metz et al.'s unrolled surrogate needs the discriminator's parameters after k optimizer steps as
a differentiable function of the generator. ``VariableSubstitution`` is a ``variable_scope`` custom
getter that, inside ``substitute(...)``, hands a network the given tensors instead of its stored
variables; ``adam_unroll`` writes k ``tf1.train.AdamOptimizer`` updates (same formula as its kernel,
starting from the optimizer's current moments and beta powers) with ``tf.gradients``, so a later
gradient through them includes the second-order terms.
"""
import contextlib

from graphgan.engine.compat import tf, tf1

# Keeps sqrt differentiable where a second moment is exactly zero (a unit whose gradient was
# always 0); 1e-30 changes sqrt(v) by at most 1e-15, far below Adam's epsilon.
_SQRT_FLOOR = 1e-30


class VariableSubstitution:
  """A custom getter that returns substitute tensors for chosen variables while active."""

  def __init__(self):
    self._substitutes = {}

  def __call__(self, getter, name, *args, **kwargs):
    variable = getter(name, *args, **kwargs)
    return self._substitutes.get(variable.op.name, variable)

  @contextlib.contextmanager
  def substitute(self, variables, tensors):
    """While active, network calls read ``tensors[i]`` wherever they would read ``variables[i]``."""
    if self._substitutes:
      raise RuntimeError('substitutions do not nest')
    if len(variables) != len(tensors):
      raise ValueError(f'{len(variables)} variables but {len(tensors)} substitutes')
    for variable, tensor in zip(variables, tensors):
      if not variable.shape.is_compatible_with(tensor.shape):
        raise ValueError(f'substitute for {variable.name} has shape {tensor.shape}')
    self._substitutes = {v.op.name: t for v, t in zip(variables, tensors)}
    try:
      yield
    finally:
      self._substitutes = {}


def adam_unroll(loss_at, variables, optimizer, steps, name='unroll'):
  """Parameters after ``steps`` Adam steps on ``loss_at(params)`` from the current state.

  ``loss_at`` maps a list of tensors (one per variable) to a scalar loss. The optimizer's slots
  must exist (build its train op first). Returns the list of unrolled parameter tensors.
  """
  if not isinstance(optimizer, tf1.train.AdamOptimizer):
    raise TypeError(f'adam_unroll needs a tf1.train.AdamOptimizer; got {type(optimizer).__name__}')
  # pylint: disable=protected-access
  lr, beta1, beta2, epsilon = (optimizer._lr, optimizer._beta1, optimizer._beta2,
                               optimizer._epsilon)
  firsts = [optimizer.get_slot(v, 'm') for v in variables]
  seconds = [optimizer.get_slot(v, 'v') for v in variables]
  if any(s is None for s in firsts + seconds):
    raise ValueError('adam_unroll: optimizer has no slots for these variables yet; '
                     'build its train op first')
  beta1_power, beta2_power = optimizer._get_beta_accumulators()  # pylint: disable=protected-access
  with tf1.name_scope(name):
    params = [tf.identity(v) for v in variables]
    firsts = [tf.identity(m) for m in firsts]
    seconds = [tf.identity(s) for s in seconds]
    beta1_power, beta2_power = tf.identity(beta1_power), tf.identity(beta2_power)
    for step in range(steps):
      with tf1.name_scope(f'step_{step + 1}'):
        grads = tf.gradients(loss_at(params), params)
        lr_t = lr * tf.sqrt(1.0 - beta2_power) / (1.0 - beta1_power)
        firsts = [beta1 * m + (1.0 - beta1) * g for m, g in zip(firsts, grads)]
        seconds = [beta2 * s + (1.0 - beta2) * tf.square(g) for s, g in zip(seconds, grads)]
        params = [p - lr_t * m / (tf.sqrt(tf.maximum(s, _SQRT_FLOOR)) + epsilon)
                  for p, m, s in zip(params, firsts, seconds)]
        beta1_power, beta2_power = beta1_power * beta1, beta2_power * beta2
  return params
