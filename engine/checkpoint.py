"""Checkpoints (tf1 Saver + a JSON sidecar for the data position) and Keras HDF5 weights.

A checkpoint is ``checkpoints/model.ckpt-N.*`` (all global variables: weights, optimizer slots,
step counters, global step) plus ``model.ckpt-N.state.json`` (sampler epoch/offset/RNG state and
the loop's step), written after the Saver files so a checkpoint without its sidecar is never
taken as complete. HDF5 weights are written to a temporary name and renamed, so an interrupted
export never leaves a truncated file under the final name.
"""
import json
import os

from engine.compat import tf1
from engine.errors import UserError

CHECKPOINT_DIR = 'checkpoints'
PREFIX = 'model.ckpt'


def checkpoint_dir(run_dir):
  return os.path.join(run_dir, CHECKPOINT_DIR)


def _state_path(checkpoint_path):
  return checkpoint_path + '.state.json'


def latest_checkpoint(run_dir):
  """Path prefix of the newest complete checkpoint (Saver files + state sidecar), or None."""
  directory = checkpoint_dir(run_dir)
  state = tf1.train.get_checkpoint_state(directory)
  if state is None:
    return None
  for path in reversed(list(state.all_model_checkpoint_paths)):
    path = path if os.path.isabs(path) else os.path.join(directory, path)
    if os.path.exists(_state_path(path)) and tf1.train.checkpoint_exists(path):
      return path
  return None


class CheckpointManager:
  """Saves and restores the graph's variables plus the loop/data state."""

  def __init__(self, run_dir, keep):
    os.makedirs(checkpoint_dir(run_dir), exist_ok=True)
    self.run_dir = run_dir
    self.saver = tf1.train.Saver(max_to_keep=keep, save_relative_paths=True)
    # A new Saver knows no earlier checkpoints: without this, the first save after a resume (or
    # a restarted cluster chief) would drop the sidecars of every older checkpoint.
    state = tf1.train.get_checkpoint_state(checkpoint_dir(run_dir))
    if state is not None:
      directory = checkpoint_dir(run_dir)
      self.saver.recover_last_checkpoints(
          [p if os.path.isabs(p) else os.path.join(directory, p)
           for p in state.all_model_checkpoint_paths])

  def save(self, sess, step, state):
    prefix = os.path.join(checkpoint_dir(self.run_dir), PREFIX)
    path = self.saver.save(sess, prefix, global_step=step, write_meta_graph=False)
    temporary = _state_path(path) + '.tmp'
    with open(temporary, 'w') as handle:
      json.dump(state, handle)
    os.replace(temporary, _state_path(path))
    self._remove_orphan_states()
    return path

  def restore(self, sess, path):
    """Restore variables from ``path``; return the loop/data state saved with it."""
    self.saver.restore(sess, path)
    return self.read_state(path)

  def read_state(self, path):
    """The loop/data state saved with the checkpoint ``path``."""
    with open(_state_path(path)) as handle:
      return json.load(handle)

  def _remove_orphan_states(self):
    directory = checkpoint_dir(self.run_dir)
    kept = {os.path.basename(p) for p in self.saver.last_checkpoints}
    for name in os.listdir(directory):
      if name.endswith('.state.json') and name[:-len('.state.json')] not in kept:
        os.remove(os.path.join(directory, name))


def save_keras_weights(model, path):
  """``model.save_weights`` to HDF5, atomically (temporary file, then rename)."""
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  temporary = path + '.tmp.h5'
  model.save_weights(temporary, save_format='h5')
  os.replace(temporary, path)


def load_keras_weights(model, path):
  """``model.load_weights`` from HDF5 with one-line errors for missing, corrupt or mismatched files.

  Must run in a session of the graph the model was built in (Keras uses the default session).
  """
  import h5py  # pylint: disable=import-outside-toplevel
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
