"""Checkpoints (tf1 Saver + a JSON state sidecar), crash-consistent (HDF5 weights: ``exports.py``).

A checkpoint is ``checkpoints/model.ckpt-N.index`` / ``.data-*`` (every global variable: weights,
optimizer slots, step counters) plus ``model.ckpt-N.state.json`` (the loop's step and the data
position: epoch, order, offset, RNG state). Saving N, in this order:

1. the journal marker ``model.ckpt-N.saving`` is created;
2. the Saver writes the variables (TensorFlow writes ``*.tempstate*`` files and renames them);
3. the sidecar is written to ``.partial``, fsynced and renamed — the commit: a checkpoint is
   complete exactly when its sidecar exists;
4. the marker is removed;
5. checkpoints beyond ``--keep_checkpoints`` are retired: ``.retiring`` marker, sidecar, Saver
   files, marker;
6. the ``checkpoint`` index is rewritten (for TensorFlow's own tools; graphgan reads only
   sidecars, and rewrites the index after recovering from a kill).

After a kill at any instant, ``recover`` finds at most one interrupted save (its marker, no
sidecar) and one interrupted retirement, removes their files, and retires what a kill between a
commit and its retirements left beyond ``--keep_checkpoints``; Saver files with neither a
sidecar nor a marker were not left by a crash: they are reported and moved to
``checkpoints/skipped/``, never deleted.
"""
import collections
import json
import os
import re

from absl import logging

from graphgan.engine.compat import tf, tf1
from graphgan.engine.errors import UserError
from graphgan.engine.files import atomic_write, first_line
from graphgan.engine.graph import scopes
from graphgan.engine.run import faults

CHECKPOINT_DIR = 'checkpoints'
SKIPPED_DIR = 'skipped'
PREFIX = 'model.ckpt'
STATE_SUFFIX = '.state.json'
SAVING, RETIRING = '.saving', '.retiring'
_NAME = re.compile(re.escape(PREFIX) + r'-(\d+)\.')
_OLD_TEMPORARIES = re.compile(r'^checkpoint\.tmp|\.state\.json\.tmp$')   # graphgan <= 0.1

Restored = collections.namedtuple('Restored', 'path step state skipped')
Restored.__doc__ = """The checkpoint a run resumes from, its sidecar state, and the newer ones
skipped as [(path, reason)]."""


def checkpoint_dir(run_dir):
  return os.path.join(run_dir, CHECKPOINT_DIR)


def _state_path(checkpoint_path):
  return checkpoint_path + STATE_SUFFIX


class Scan:
  """What ``checkpoints/`` holds, by step: committed, journal markers, orphaned Saver files."""

  def __init__(self, directory):
    self.directory = directory
    self.files = collections.defaultdict(list)     # step -> file names
    self.temporaries = []                          # leftovers of graphgan <= 0.1
    names = os.listdir(directory) if os.path.isdir(directory) else []
    for name in names:
      match = _NAME.match(name)
      if match:
        self.files[int(match.group(1))].append(name)
      elif _OLD_TEMPORARIES.search(name):
        self.temporaries.append(name)

  def _has(self, step, suffix):
    return f'{PREFIX}-{step}{suffix}' in self.files.get(step, ())

  @property
  def committed(self):
    """Steps with a sidecar, oldest first (retiring ones excluded)."""
    return sorted(s for s in self.files if self._has(s, STATE_SUFFIX) and
                  not self._has(s, RETIRING))

  @property
  def interrupted(self):
    """Steps whose files a kill left behind: a save before its commit, or a retirement."""
    return sorted(s for s in self.files
                  if self._has(s, RETIRING) or (self._has(s, SAVING) and
                                                not self._has(s, STATE_SUFFIX)))

  @property
  def orphans(self):
    """Steps with Saver files but no sidecar and no journal marker (deleted or foreign)."""
    return sorted(s for s in self.files
                  if s not in self.interrupted and not self._has(s, STATE_SUFFIX) and
                  any(n.endswith('.index') or '.data-' in n for n in self.files[s]))

  def path(self, step):
    return os.path.join(self.directory, f'{PREFIX}-{step}')


def latest_checkpoint(run_dir):
  """Path prefix of the newest committed checkpoint whose sidecar parses, or None."""
  scan = Scan(checkpoint_dir(run_dir))
  for step in reversed(scan.committed):
    try:
      read_state(scan.path(step), step)
      return scan.path(step)
    except ValueError:
      continue
  return None


def read_state(path, step=None):
  """The sidecar of checkpoint ``path``; ValueError when it is not a valid sidecar."""
  try:
    with open(_state_path(path), encoding='utf-8') as handle:
      state = json.load(handle)
  except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
    raise ValueError(f'unreadable state sidecar ({error})') from None
  if not isinstance(state, dict) or not isinstance(state.get('data'), dict) or \
      not isinstance(state.get('step'), int):
    raise ValueError('state sidecar lacks its step or data position')
  if step is not None and state['step'] != step:
    raise ValueError(f'state sidecar says step {state["step"]}, its name step {step}')
  return state


class CheckpointManager:
  """Saves, retires and restores checkpoints in ``<run_dir>/checkpoints`` (see module docstring)."""

  def __init__(self, run_dir, keep, legacy_keys=None):
    """``legacy_keys()``: [(name, shape)] of this graph's variables as graphgan built them
    before networks had their own scopes (``graph/scopes.py``), to read a checkpoint written
    then; None: such a checkpoint is not restorable (its keys are missing)."""
    self.directory = checkpoint_dir(run_dir)
    self.keep = keep
    # Keep-all: retention is ours (step 5 above), so no Saver deletes files before a commit.
    self.saver = tf1.train.Saver(max_to_keep=None, save_relative_paths=True)
    self._variables = tf1.global_variables()       # creation order, what legacy keys pair with
    self._legacy_keys = legacy_keys
    self._legacy_saver = None

  def saver_for(self, path):
    """The Saver that reads checkpoint ``path``: ours, or for a checkpoint written before
    networks had scopes, one reading the same variables under their old keys (made once, before
    the graph is finalized: ``restore_newest`` and a cluster's chief call this first). Every save
    writes the scoped keys, so an older run dir is converted by its first checkpoint."""
    stored = scopes.stored_keys(path) if self._legacy_keys else None
    if not stored or all(v.op.name in stored for v in self._variables):
      return self.saver           # ours, or unreadable: the restore says why
    if self._legacy_saver is None:
      self._legacy_saver = scopes.legacy_saver(self._variables, self._legacy_keys(), stored)
      if self._legacy_saver is None:
        return self.saver         # not this model's keys either: the restore names a missing one
      logging.info('%s holds the variable names of graphgan before the evening of 2026-12-07 (networks '
                   'without their own scopes); restoring them by creation order, and writing '
                   'the scoped names from the next checkpoint on.', _relative(path))
    return self._legacy_saver

  def scan(self):
    return Scan(self.directory)

  def has_checkpoints(self):
    scan = self.scan()
    return bool(scan.committed or scan.orphans)

  # -- resume ------------------------------------------------------------------------------
  def restore_newest(self, sess, check_state, check_variables):
    """Restore the newest complete checkpoint; skip (and say why) the ones that are not.

    ``check_state(state)`` and ``check_variables(sess)`` raise ValueError for a checkpoint that
    does not fit this run. Returns ``Restored``, or None when there are no checkpoints;
    UserError naming the newest file when none is complete.
    """
    scan = self.scan()
    skipped = [(scan.path(s), 'Saver files without a state sidecar (the sidecar was deleted, '
                'or they were not written by graphgan)') for s in scan.orphans]
    for step in reversed(scan.committed):
      path = scan.path(step)
      try:
        state = read_state(path, step)
        check_state(state)
        try:
          self.saver_for(path).restore(sess, path)
        except (tf.errors.OpError, ValueError) as error:
          raise ValueError(f'variables not restorable: {first_line(error)}') from None
        check_variables(sess)
      except ValueError as error:
        skipped.append((path, str(error)))
        continue
      return Restored(path, step, state, sorted(skipped, key=lambda item: item[0]))
    if skipped:
      newest = max(skipped, key=lambda item: _step_of(item[0]))
      raise UserError(f'{_relative(newest[0])}: {newest[1]}; no complete checkpoint to resume '
                      f'from ({len(skipped)} checked) — repair the run directory or choose '
                      'another --run_dir (nothing was changed)')
    return None

  def recover(self, skipped=()):
    """Finish what a kill interrupted and move ``skipped`` checkpoints aside; log what was done."""
    scan = self.scan()
    for step in scan.interrupted:
      for name in scan.files[step]:
        os.remove(os.path.join(self.directory, name))
      logging.info('Removed the files of checkpoint %d, whose save or removal was interrupted.',
                   step)
    for step in scan.committed:
      marker = os.path.join(self.directory, f'{PREFIX}-{step}{SAVING}')
      if os.path.exists(marker):
        os.remove(marker)     # killed after the commit, before the marker went
    for name in scan.temporaries:
      os.remove(os.path.join(self.directory, name))
    for path, reason in skipped:
      step = _step_of(path)
      aside = os.path.join(self.directory, SKIPPED_DIR)
      os.makedirs(aside, exist_ok=True)
      for name in scan.files.get(step, ()):
        os.replace(os.path.join(self.directory, name), os.path.join(aside, name))
      logging.warning('Skipped checkpoint %s (%s); its files are now in %s.', _relative(path),
                      reason, _relative(aside))
    # A kill after a commit and before its retirements (or a smaller --keep_checkpoints) leaves
    # more than ``keep``: retire them now, not only at the next save (a finished run has none).
    for step in self._retire_beyond_keep():
      logging.info('Retired checkpoint %d (beyond --keep_checkpoints=%d).', step, self.keep)
    self._write_index()

  # -- save --------------------------------------------------------------------------------
  def save(self, sess, step, state, sync=True):
    """Write checkpoint ``step`` in the documented order; return its path prefix."""
    path = os.path.join(self.directory, f'{PREFIX}-{step}')
    os.makedirs(self.directory, exist_ok=True)
    _touch(path + SAVING)
    faults.point('checkpoint:marked')
    self.saver.save(sess, path, write_meta_graph=False, write_state=False)
    faults.point('checkpoint:variables_written')
    atomic_write(_state_path(path), json.dumps(state), sync=sync)     # the commit
    faults.point('checkpoint:committed')
    os.remove(path + SAVING)
    self._retire_beyond_keep()
    self._write_index()
    return path

  def _retire_beyond_keep(self):
    """Retire the oldest committed checkpoints beyond ``keep``; return their steps."""
    old = self.scan().committed[:-self.keep]
    for step in old:
      self._retire(step)
    return old

  def _retire(self, step):
    scan = self.scan()
    marker = os.path.join(self.directory, f'{PREFIX}-{step}{RETIRING}')
    _touch(marker)
    faults.point('checkpoint:retiring')
    names = sorted(scan.files[step], key=lambda n: not n.endswith(STATE_SUFFIX))
    for name in names:                 # the sidecar first: the checkpoint is then incomplete
      os.remove(os.path.join(self.directory, name))
    os.remove(marker)

  def _write_index(self):
    """TensorFlow's ``checkpoint`` file, listing the committed checkpoints (relative paths)."""
    committed = self.scan().committed
    if not committed:
      if os.path.exists(os.path.join(self.directory, 'checkpoint')):
        os.remove(os.path.join(self.directory, 'checkpoint'))
      return
    names = [f'{PREFIX}-{s}' for s in committed]
    lines = [f'model_checkpoint_path: "{names[-1]}"'] + \
        [f'all_model_checkpoint_paths: "{n}"' for n in names]
    atomic_write(os.path.join(self.directory, 'checkpoint'), '\n'.join(lines) + '\n')

  def read_state(self, path):
    """The loop/data state saved with the checkpoint ``path``."""
    return read_state(path)

  def restore(self, sess, path):
    """Restore checkpoint ``path`` as it is (no checks, no skipping); return its state."""
    self.saver_for(path).restore(sess, path)
    return read_state(path)


def read_variables(path):
  """{name: numpy array} of every variable in checkpoint ``path`` (arrays only, nothing run)."""
  reader = tf1.train.NewCheckpointReader(path)
  return {name: reader.get_tensor(name) for name in sorted(reader.get_variable_to_shape_map())}


def _touch(path):
  with open(path, 'wb'):
    pass


def _step_of(path):
  return int(_NAME.match(os.path.basename(path) + '.').group(1))


def _relative(path):
  parts = path.split(os.sep)
  return os.sep.join(parts[-2:]) if len(parts) > 2 else path
