"""A run directory users can trust: one process at a time, checked before it is touched.

``RunDirectory`` resolves ``--run_dir`` (relative, absolute, trailing slash, symlink: one real
path), takes an exclusive ``flock`` on ``<run_dir>/lock`` (a killed process's lock dies with it),
refuses a directory that belongs to another model or configuration (``flags.txt``), and checks
``losses.csv`` / ``metrics.jsonl`` against the checkpoint a run resumes from. Only when every check
has passed does ``begin`` change anything: stray temporary files go, the logs are cut back to the
resumed step, ``flags.txt`` is rewritten. Every file graphgan writes whole goes through
``atomic_write`` (a ``.partial`` file, then a rename), so a kill leaves either the old or the new
file, plus at most a ``.partial`` that the next run removes.
"""
import contextlib
import errno
import fcntl
import json
import os
import stat

from absl import logging

from graphgan.engine import files
from graphgan.engine.errors import UserError
from graphgan.engine.files import PARTIAL, os_error_message
from graphgan.engine.run.logs import RowLog, csv_cut, jsonl_cut, loss_row, metrics_row

LOCK = 'lock'
FLAGS = 'flags.txt'
LOSSES = 'losses.csv'
METRICS = 'metrics.jsonl'
DATA = 'data.json'
# Names graphgan writes at the top of a run directory (TensorBoard events match by prefix).
_KNOWN = {LOCK, FLAGS, FLAGS + PARTIAL, LOSSES, METRICS, DATA, DATA + PARTIAL, 'checkpoints',
          'weights', 'samples'}
# The layout (WORKSPACE.md, "Run directory"): what each entry must be where it exists.
_LAYOUT = {LOCK: 'file', FLAGS: 'file', LOSSES: 'file', METRICS: 'file', DATA: 'file',
           'checkpoints': 'directory', 'weights': 'directory', 'samples': 'directory',
           os.path.join('checkpoints', 'checkpoint'): 'file',
           os.path.join('checkpoints', 'skipped'): 'directory'}
_EVENTS_PREFIX = 'events.out.tfevents.'


def resolve(path):
  """The one real absolute path of ``path`` (``~``, relative parts and symlinks resolved)."""
  return os.path.realpath(os.path.abspath(os.path.expanduser(path)))


class RunDirectory:
  """``--run_dir`` as graphgan uses it; see the module docstring for the order of things."""

  def __init__(self, path, flag_name='--run_dir'):
    self.given = path
    self.path = resolve(path)
    self.flag = f'{flag_name}={path}'
    self._lock_fd = None

  def join(self, *parts):
    return os.path.join(self.path, *parts)

  # -- before anything is touched ----------------------------------------------------------
  def check_location(self):
    """UserError unless the run dir is a directory or can be created as one."""
    if os.path.lexists(self.path) and not os.path.isdir(self.path):
      raise UserError(f'{self.flag}: exists and is not a directory')
    parent = self.path
    while not os.path.exists(parent):
      parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
      raise UserError(f'{self.flag}: {parent} is a file, not a directory')
    if not os.access(parent, os.W_OK | os.X_OK):
      read_only = os.statvfs(parent).f_flag & os.ST_RDONLY
      raise UserError(f'{self.flag}: {parent} is not writable'
                      f'{" (read-only file system)" if read_only else ""}')
    if os.path.isdir(self.path):
      self._check_not_foreign(set(os.listdir(self.path)))
      self.check_layout()

  def check_layout(self):
    """UserError for an entry of the layout that is there but is not what graphgan wrote: a
    directory for a file, a file for a directory, a symlink to nothing (followed, a lock or a
    log there would be created somewhere else). Nothing is changed."""
    entries = dict(_LAYOUT)
    if os.path.isdir(self.join('checkpoints')):
      entries.update((os.path.join('checkpoints', n), 'file')
                     for n in os.listdir(self.join('checkpoints')) if n.endswith('.state.json'))
    for relative, kind in sorted(entries.items()):
      path = self.join(relative)
      if not os.path.lexists(path):
        continue
      if os.path.islink(path) and not os.path.exists(path):
        raise UserError(f'{path}: a symlink to nothing ({os.readlink(path)}), where the run '
                        f'directory keeps a {kind}; restore it or remove the link (nothing was '
                        'changed)')
      wrong = not os.path.isfile(path) if kind == 'file' else not os.path.isdir(path)
      if wrong:
        what = 'not a regular file' if kind == 'file' else 'not a directory'
        raise UserError(f'{path}: {what} ({_kind_of(path)}), where the run directory keeps a '
                        f'{kind}; move it away or choose another --run_dir (nothing was changed)')

  def _check_not_foreign(self, names):
    """UserError for a directory graphgan did not make (checked before the lock is taken)."""
    if FLAGS in names:
      return
    ours = {n for n in names if n in _KNOWN or n.startswith(_EVENTS_PREFIX)}
    if names - ours:
      raise UserError(f'{self.flag}: not a graphgan run directory (no {FLAGS}; it holds '
                      f'{", ".join(sorted(names - ours)[:3])}); choose an empty or new '
                      '--run_dir')

  @contextlib.contextmanager
  def locked(self):
    """Hold the run dir's lock (creating the directory if needed) for the ``with`` body."""
    self._lock()
    try:
      yield self
    finally:
      self._unlock()

  def _lock(self):
    try:
      os.makedirs(self.path, exist_ok=True)
    except OSError as error:
      raise UserError(f'{self.flag}: cannot create the directory ({error.strerror})') from None
    try:
      fd = os.open(self.join(LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
      raise UserError(f'{self.flag}: {os_error_message(error, self.join(LOCK))}') from None
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
      os.close(fd)
      if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
        raise UserError(f'{self.flag}: cannot lock {self.join(LOCK)}: {error.strerror}') from None
      owner = _read_text(self.join(LOCK)).strip() or 'unknown'
      raise UserError(f'{self.flag} is in use by another graphgan process (pid {owner}); one '
                      'process per run directory — wait for it or choose another --run_dir '
                      '(nothing was changed)') from None
    self._lock_fd = fd

  def _unlock(self):
    if self._lock_fd is not None:
      os.close(self._lock_fd)      # releases the flock
      self._lock_fd = None

  def check_contents(self, model_name, config_lines, fixed):
    """UserError for a foreign directory or one started with other fixed settings.

    ``config_lines``: this run's resolved config as flag lines; ``fixed``: names that must
    match ``flags.txt``. Returns the fixed names flags.txt lacks (a run from an older version).
    """
    names = set(os.listdir(self.path))
    flags_path = self.join(FLAGS)
    if FLAGS not in names:
      self._check_not_foreign(names)
      if 'checkpoints' in names and any(os.listdir(self.join('checkpoints'))):
        raise UserError(f'{self.flag}: has checkpoints but no {FLAGS}, so they cannot be '
                        'matched to this configuration; restore flags.txt or choose another '
                        '--run_dir')
      return []
    recorded = parse_flag_lines(_read_text(flags_path), flags_path)
    wanted = parse_flag_lines(config_lines, 'this run')
    if recorded.get('model') != wanted['model']:
      raise UserError(f'{self.flag} belongs to --model={recorded.get("model")} ({flags_path}); '
                      f'this is --model={wanted["model"]}: choose another --run_dir')
    differing = [name for name in fixed
                 if name in recorded and recorded[name] != wanted.get(name)]
    if differing:
      shown = ', '.join(f'--{n}={recorded[n]} there, {wanted[n]} here' for n in differing[:3])
      more = f' (and {len(differing) - 3} more)' if len(differing) > 3 else ''
      raise UserError(f'{self.flag} was started with other settings: {shown}{more}; a run '
                      'directory continues one configuration (only schedule flags such as '
                      '--train_steps may change): choose another --run_dir')
    return [name for name in fixed if name not in recorded]

  def check_logs(self, resumed_step, require_last_row=True):
    """Where ``losses.csv`` and ``metrics.jsonl`` are cut back to: {path: byte offset}.

    Rows up to ``resumed_step`` must be intact (they were flushed before that checkpoint was
    committed); later rows — a torn last line included — belong to iterations being redone.
    """
    return {self.join(LOSSES): csv_cut(self.join(LOSSES), resumed_step, require_last_row),
            self.join(METRICS): jsonl_cut(self.join(METRICS), resumed_step)}

  # -- every check passed: change things ---------------------------------------------------
  def begin(self, config_lines, log_cuts):
    """Own the run dir: record our pid, remove stray partial files, cut logs, write flags.txt."""
    try:
      os.ftruncate(self._lock_fd, 0)
      os.pwrite(self._lock_fd, f'{os.getpid()}\n'.encode(), 0)
      for path in self.stray_files():
        os.remove(path)
      for path, offset in log_cuts.items():
        if os.path.exists(path):
          os.truncate(path, offset)
      files.atomic_write(self.join(FLAGS), config_lines)
    except OSError as error:
      raise UserError(f'{self.flag}: {os_error_message(error, error.filename or self.path)}') \
          from None

  def recorded_data(self):
    """The data set's fingerprint the run recorded (``data.json``), or None (a new run, or
    one from before fingerprints)."""
    path = self.join(DATA)
    if not os.path.exists(path):
      return None
    try:
      with open(path, encoding='utf-8') as handle:
        value = json.load(handle)
    except (OSError, ValueError) as error:
      raise UserError(f'{path}: not the data fingerprint graphgan wrote ({error}); remove it to '
                      'record the data set as it is now') from None
    if not isinstance(value, dict):
      raise UserError(f'{path}: not the data fingerprint graphgan wrote; remove it to record the '
                      'data set as it is now')
    return value

  def record_data(self, fingerprint):
    """Write the data set's fingerprint (after ``begin``: every check has passed)."""
    if fingerprint is None:
      return
    try:
      files.atomic_write(self.join(DATA), json.dumps(fingerprint, indent=1) + '\n', sync=True)
    except OSError as error:
      raise UserError(f'{self.flag}: {os_error_message(error, self.join(DATA))}') from None

  def stray_files(self):
    """``.partial`` files anywhere in the run dir (left by a kill mid-write)."""
    found = []
    for root, _, names in os.walk(self.path):
      found += [os.path.join(root, n) for n in names if n.endswith(PARTIAL)]
    return found


def _kind_of(path):
  if os.path.isdir(path):
    return 'a directory'
  if os.path.isfile(path):
    return 'a file'
  mode = os.stat(path).st_mode
  return 'a FIFO' if stat.S_ISFIFO(mode) else 'a special file'


def _read_text(path):
  try:
    with open(path, encoding='utf-8', errors='replace') as handle:
      return handle.read()
  except OSError:
    return ''


def parse_flag_lines(text, source):
  """``--name=value`` / ``--name`` / ``--noname`` lines -> {name: value text}."""
  values = {}
  for number, line in enumerate(text.splitlines(), 1):
    line = line.strip()
    if not line or line.startswith('#'):
      continue
    if not line.startswith('--'):
      raise UserError(f'{source} line {number} is not a flag: {line[:60]!r}')
    name, sep, value = line[2:].partition('=')
    if not sep:
      name, value = (name[2:], 'false') if name.startswith('no') and name[2:] else (name, 'true')
    values[name] = value
  return values


def open_logs(run):
  """(losses.csv, metrics.jsonl) opened for appending after ``begin`` cut them back."""
  losses_path = run.join(LOSSES)
  header = None
  if os.path.exists(losses_path) and os.path.getsize(losses_path):
    with open(losses_path, encoding='utf-8') as handle:
      header = handle.readline().rstrip('\n')
  return (RowLog(losses_path, loss_row, header), RowLog(run.join(METRICS), metrics_row))


def warn_missing_flags(run, missing):
  if missing:
    logging.warning('%s: flags.txt lacks %s (added since this run started); continuing with '
                    'the current values', run.flag, ', '.join(f'--{n}' for n in missing))
