"""Keras HDF5 weights of a run (``weights/``): written atomically, older epochs retired, and read
back with one-line errors (what ``bin/sample`` and the tests load)."""
import os

from graphgan.engine.errors import UserError
from graphgan.engine.files import PARTIAL


def save_keras_weights(model, path):
  """``model.save_weights`` to HDF5, atomically (``.partial`` file, then rename)."""
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  partial = path + PARTIAL
  model.save_weights(partial, save_format='h5')
  os.replace(partial, path)


def remove_old_exports(directory, prefix, keep):
  """Delete ``{prefix}_{e}epoch.h5`` files but the ``keep`` newest epochs."""
  epochs = []
  for name in os.listdir(directory):
    stem = name[len(prefix) + 1:-len('epoch.h5')]
    if name.startswith(prefix + '_') and name.endswith('epoch.h5') and stem.isdigit():
      epochs.append((int(stem), name))
  for _, name in sorted(epochs)[:-keep]:
    os.remove(os.path.join(directory, name))


def load_keras_weights(model, path):
  """``model.load_weights`` from HDF5 with one-line errors for missing, corrupt or mismatched files.

  Must run in a session of the graph the model was built in (Keras uses the default session).
  """
  import h5py  # pylint: disable=import-outside-toplevel
  if os.path.isdir(path):
    raise UserError(f'{path} is a directory; name a weights file (weights/g_final.h5, say)')
  if os.path.exists(path) and not os.path.isfile(path):
    raise UserError(f'{path}: not a regular file (a FIFO or a device), not weights')
  if not os.path.isfile(path):
    raise UserError(f'{path}: no such weights file')
  expected = {layer.name: [tuple(w.shape) for w in layer.weights]
              for layer in model.layers if layer.weights}
  try:
    with h5py.File(path, 'r') as handle:
      group = handle['model_weights'] if 'model_weights' in handle else handle
      found = {}
      for layer in _names(group.attrs.get('layer_names', [])):
        shapes = [tuple(group[layer][name].shape)
                  for name in _names(group[layer].attrs.get('weight_names', []))]
        if shapes:
          found[layer] = shapes
  except (OSError, KeyError, ValueError, RuntimeError) as error:
    raise UserError(f'{path}: not a readable Keras HDF5 weights file '
                    f'(corrupt or truncated?): {error}') from None
  if found != expected:
    raise UserError(f'{path}: weights do not fit model {model.name!r} (the file has layers '
                    f'{sorted(found)[:4]}..., the model {sorted(expected)[:4]}..., or shapes differ)')
  try:
    model.load_weights(path)
  except (OSError, ValueError) as error:
    raise UserError(f'{path}: could not load weights: {error}') from None


def _names(values):
  return [v.decode() if isinstance(v, bytes) else str(v) for v in values]
