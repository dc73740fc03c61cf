"""Sizes checked against what this machine can hold, before anything is allocated.

A mistyped ``--batch_size=1000000000000`` or ``--z_dim=3000000000`` would otherwise reach numpy or
TensorFlow as an allocation of terabytes and end in a MemoryError traceback or the OOM killer.
Checks use static shapes (a built graph allocates nothing until its session runs) and the
machine's physical memory; they refuse only what cannot fit, so they are deliberately coarse.
"""
import os

import numpy as np

from graphgan.engine.errors import UserError


def physical_memory_bytes():
  try:
    return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
  except (ValueError, OSError):
    return 1 << 62


def _gib(nbytes):
  return f'{nbytes / 2 ** 30:,.1f} GiB'


def check_fits(what, nbytes, hint=''):
  """UserError when ``nbytes`` exceed this machine's physical memory."""
  total = physical_memory_bytes()
  if nbytes > total:
    raise UserError(f'{what}: {_gib(nbytes)} needed, more than this machine\'s {_gib(total)} '
                    f'of memory{hint}')


def check_array(what, shape, dtype=np.float32, hint=''):
  """``check_fits`` for an array of ``shape`` (ints, possibly huge) and ``dtype``."""
  check_fits(what, int(np.prod([int(d) for d in shape], dtype=object)) *
             np.dtype(dtype).itemsize, hint)


def check_graph_fits(graph, batch_size):
  """Variables (with room for two optimizer slots each) and one batch of every placeholder."""
  from graphgan.engine.compat import tf1  # pylint: disable=import-outside-toplevel
  with graph.as_default():
    variables = tf1.global_variables()
    placeholders = [op.outputs[0] for op in graph.get_operations() if op.type == 'Placeholder']
  variable_bytes = sum(_static_bytes(v.shape, v.dtype.base_dtype.size) for v in variables)
  check_fits('the model\'s variables and optimizer slots', 3 * variable_bytes,
             ' (check the widths and --z_dim)')
  batch_bytes = 0
  for tensor in placeholders:
    shape = tensor.shape
    if shape.rank and shape[0] is None:
      batch_bytes += batch_size * _static_bytes(shape[1:], tensor.dtype.size)
  check_fits(f'one batch of --batch_size={batch_size}', batch_bytes)


def _static_bytes(shape, itemsize):
  dims = [d if d is not None else 1 for d in shape.as_list()] if shape.rank is not None else []
  return int(np.prod(dims, dtype=object)) * itemsize
