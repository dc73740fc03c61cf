"""Tower replication (``--num_gpus=N``): N replicas of a model's losses, averaged gradients.

The TF1 multi-GPU recipe (``cifar10_multi_gpu_train``): the batch is split in N slices; tower i
builds the losses on slice i on device i, sharing variables through the networks (Keras models,
templates or ``variable_scope`` reuse); variables live once on the parameter device, where the
gradients are averaged; update ops (BatchNormalization statistics) come from tower 0 only, and
the other towers' copies are declared replicas so ``check_update_ops_used`` accepts them.

Devices: ``/gpu:i`` when there are at least N GPUs, otherwise N logical CPU devices. In TF 2.21
graph mode ``tf.config.set_logical_device_configuration`` only works before the runtime starts
(afterwards: "Virtual devices cannot be modified after being initialized"); a session's
``ConfigProto(device_count={'CPU': N})`` works at any time, so sessions use ``session_config``.
"""
import collections

from graphgan.engine.compat import tf, tf1, UPDATE_OPS
from graphgan.engine.errors import UserError
from graphgan.engine.graph.train_ops import apply_with_updates, mark_replica_update_ops

PARAMETER_DEVICE = '/cpu:0'
_VARIABLE_OP_TYPES = {'Variable', 'VariableV2', 'VarHandleOp'}

Towers = collections.namedtuple('Towers', 'losses grads_and_vars update_ops outputs')
Towers.__doc__ = """losses {key: mean over towers}, grads_and_vars {key: averaged}, update_ops
{key: tower 0's update ops of networks[key]}, outputs {name: towers' tensors concatenated}."""


def check_towers(model_cls, config):
  """UserError unless ``model_cls`` builds towers and ``--batch_size`` splits evenly."""
  num = config.num_gpus
  if num == 1:
    return
  if not model_cls.supports_towers:
    raise UserError(f'--num_gpus={num}: model {model_cls.name} does not build towers '
                    f'({model_cls.towers_refusal}); use --num_gpus=1')
  if config.batch_size % num:
    raise UserError(f'--batch_size={config.batch_size} must be a multiple of --num_gpus={num}')


def gpu_count():
  return len(tf.config.list_physical_devices('GPU'))


def devices(num_towers):
  """One device name per tower: GPUs when there are enough, else logical CPU devices."""
  kind = 'gpu' if gpu_count() >= num_towers else 'cpu'
  return [f'/{kind}:{i}' for i in range(num_towers)]


def session_config(num_towers, config=None):
  """``config`` (a ConfigProto) with ``num_towers`` logical CPU devices when GPUs are too few."""
  config = config if config is not None else tf1.ConfigProto()
  if num_towers > 1 and gpu_count() < num_towers:
    config.device_count['CPU'] = num_towers
  return config


def _placer(device):
  """Device function: variables on the parameter device, every other op on ``device``."""
  def place(op):
    return PARAMETER_DEVICE if op.type in _VARIABLE_OP_TYPES else device
  return place


def _new_update_ops(networks, call):
  """Run ``call``; return its result and the update ops it added, per network key and in all."""
  collection_before = set(tf1.get_collection(UPDATE_OPS))
  before = {key: set(net.update_ops) for key, net in networks.items()}
  result = call()
  per_network = {key: [u for u in net.update_ops if u not in before[key]]
                 for key, net in networks.items()}
  added = [u for u in tf1.get_collection(UPDATE_OPS) if u not in collection_before]
  added += [u for ops in per_network.values() for u in ops]
  return result, per_network, added


def build_towers(num_towers, loss_fn, inputs, networks):
  """``loss_fn(*input_slices) -> {key: loss}`` replicated; gradients of loss[key] over networks[key].

  ``loss_fn`` may return ``(losses, outputs)``: ``outputs`` ({name: per-example tensor}) come back
  concatenated over towers. Each loss must be a mean over its slice (then the average of the
  towers' gradients is the full-batch gradient). With one tower nothing is split or placed.
  """
  if num_towers == 1:
    (losses, outputs), update_ops, _ = _new_update_ops(networks, lambda: _split(loss_fn(*inputs)))
    grads = {key: _gradients(losses[key], net) for key, net in networks.items()}
    return Towers(losses, grads, update_ops, outputs)
  slices = [_split_batch(tensor, num_towers) for tensor in inputs]
  tower_losses, tower_outputs, tower_grads, update_ops = [], [], [], None
  for i, device in enumerate(devices(num_towers)):
    with tf1.device(_placer(device)), tf1.name_scope(f'tower_{i}'):
      (losses, outputs), per_network, added = _new_update_ops(
          networks, lambda i=i: _split(loss_fn(*[s[i] for s in slices])))
      tower_grads.append({key: _gradients(losses[key], net) for key, net in networks.items()})
    tower_losses.append(losses)
    tower_outputs.append(outputs)
    if i == 0:
      update_ops = per_network
    else:
      mark_replica_update_ops(added)
  with tf.device(PARAMETER_DEVICE), tf1.name_scope('average_towers'):
    losses = {key: tf.add_n([t[key] for t in tower_losses]) / num_towers for key in tower_losses[0]}
    grads = {key: average_gradients([t[key] for t in tower_grads]) for key in networks}
    outputs = {name: tf.concat([t[name] for t in tower_outputs], axis=0, name=name)
               for name in tower_outputs[0]}
  return Towers(losses, grads, update_ops, outputs)


def _split_batch(tensor, num_towers):
  """``num_towers`` slices along the batch; sizes differ by at most one (np.array_split's rule).

  Training batches split evenly (``check_towers``); uneven ones only serve outputs, e.g. samples.
  """
  with tf1.name_scope('split_batch'):
    batch = tf.shape(tensor)[0]
    sizes = batch // num_towers + tf.cast(tf.range(num_towers) < batch % num_towers, tf.int32)
    return tf.split(tensor, sizes, num=num_towers, axis=0)


def _split(result):
  return result if isinstance(result, tuple) else (result, {})


def apply_towers(towers, key, optimizer, *, counter=None, name=None):
  """The train op of ``key``'s network: its averaged gradients, after tower 0's update ops."""
  missing = [v.name for g, v in towers.grads_and_vars[key] if g is None]
  if missing:
    raise ValueError(f'loss {key!r} has no gradient for variables: {missing}')
  return apply_with_updates(optimizer, towers.grads_and_vars[key], towers.update_ops[key],
                            counter=counter, name=name or f'train_{key}')


def _gradients(loss, network):
  variables = network.trainable_variables
  return list(zip(tf1.gradients(loss, variables, colocate_gradients_with_ops=True), variables))


def average_gradients(tower_grads_and_vars):
  """Mean of each variable's gradient over towers (None stays None)."""
  averaged = []
  for pairs in zip(*tower_grads_and_vars):
    variable = pairs[0][1]
    grads = [g for g, _ in pairs]
    averaged.append((None if grads[0] is None else tf.add_n(grads) / len(grads), variable))
  return averaged


class _Variables:
  """A fixed variable list seen as a network without update ops (for ``tower_grads``)."""

  def __init__(self, variables):
    self.trainable_variables = list(variables)
    self.update_ops = []


def tower_grads(num_towers, loss_fn, variables, inputs):
  """Averaged ``(grad, var)`` of one loss over ``num_towers`` towers: the small form.

  ``loss_fn(*input_slices) -> loss``; ``variables`` are shared by every call. No update ops.
  """
  towers = build_towers(num_towers, lambda *slices: {'loss': loss_fn(*slices)}, inputs,
                        {'loss': _Variables(variables)})
  return towers.grads_and_vars['loss']
