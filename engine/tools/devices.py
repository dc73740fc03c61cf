"""What a GPU would make of a training graph, checked without a GPU.

TensorFlow's CUDA build registers its GPU kernels whether or not a GPU is present, so the kernel
registry answers, on a CPU-only machine, whether every op of a graph (and of the functions its
conditionals call) has a kernel a GPU can run for the dtypes it uses. An op without one would be
soft-placed on the host on a GPU machine, with a copy each way per step (a ``numpy_function``,
say, or an op some dtype has no GPU kernel for).
"""
import collections

from tensorflow.python.framework import kernels

_GPU_KERNELS = {}


def _gpu_kernels(op_type):
  """The op's kernels a GPU can run: ``GPU`` and device-independent ``DEFAULT`` ones."""
  if op_type not in _GPU_KERNELS:
    _GPU_KERNELS[op_type] = [k for k in kernels.get_registered_kernels_for_op(op_type).kernel
                             if k.device_type in ('GPU', 'DEFAULT')]
  return _GPU_KERNELS[op_type]


def _fits(kernel, node):
  """Whether the node's type attributes are among the kernel's allowed types."""
  for constraint in kernel.constraint:
    attr = node.attr.get(constraint.name)
    allowed = set(constraint.allowed_values.list.type)
    if attr is None or not allowed:
      continue
    if attr.HasField('type') and attr.type not in allowed:
      return False
    if attr.HasField('list') and any(t not in allowed for t in attr.list.type):
      return False
  return True


def ops_without_gpu_kernel(graph):
  """{op type: count} of the nodes of ``graph`` and of its function library that no GPU kernel
  registered in this TensorFlow build can run with their dtypes (empty: all of them can)."""
  graph_def = graph.as_graph_def()
  nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
  missing = collections.Counter()
  for node in nodes:
    if not any(_fits(kernel, node) for kernel in _gpu_kernels(node.op)):
      missing[node.op] += 1
  return dict(missing)
