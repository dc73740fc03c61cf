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

from graphgan.engine.errors import UserError

LOCK = 'lock'
FLAGS = 'flags.txt'
LOSSES = 'losses.csv'
METRICS = 'metrics.jsonl'
DATA = 'data.json'
PARTIAL = '.partial'
# Names graphgan writes at the top of a run directory (TensorBoard events match by prefix).
_KNOWN = {LOCK, FLAGS, FLAGS + PARTIAL, LOSSES, METRICS, DATA, DATA + PARTIAL, 'checkpoints',
          'weights', 'samples'}
# The layout (WORKSPACE.md, "Run directory"): what each entry must be where it exists.
_LAYOUT = {LOCK: 'file', FLAGS: 'file', LOSSES: 'file', METRICS: 'file', DATA: 'file',
           'checkpoints': 'directory', 'weights': 'directory', 'samples': 'directory',
           os.path.join('checkpoints', 'checkpoint'): 'file',
           os.path.join('checkpoints', 'skipped'): 'directory'}
_EVENTS_PREFIX = 'events.out.tfevents.'
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def resolve(path):
  """The one real absolute path of ``path`` (``~``, relative parts and symlinks resolved)."""
  return os.path.realpath(os.path.abspath(os.path.expanduser(path)))


def atomic_write(path, data, sync=False):
  """Write ``data`` (str or bytes) to ``path`` through ``path.partial`` and a rename."""
  partial = path + PARTIAL
  with open(partial, 'wb') as handle:
    handle.write(data.encode() if isinstance(data, str) else data)
    handle.flush()
    if sync:
      os.fsync(handle.fileno())
  os.replace(partial, path)


def os_error_message(error, what):
  """One line for an OSError met while writing ``what``."""
  if error.errno in DISK_FULL:
    return f'disk full while writing {what} ({os.strerror(error.errno)})'
  detail = ' '.join(str(error.strerror or error).split())
  return f'cannot write {what}: {detail[:200]}'


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
    return {self.join(LOSSES): _csv_cut(self.join(LOSSES), resumed_step, require_last_row),
            self.join(METRICS): _jsonl_cut(self.join(METRICS), resumed_step)}

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
      atomic_write(self.join(FLAGS), config_lines)
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
      atomic_write(self.join(DATA), json.dumps(fingerprint, indent=1) + '\n', sync=True)
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


def _rows(path):
  """(byte offset of each line's end, line text) for a text file; a torn last line included."""
  with open(path, 'rb') as handle:
    data = handle.read()
  rows, start = [], 0
  while start < len(data):
    end = data.find(b'\n', start)
    complete = end >= 0
    end = end + 1 if complete else len(data)
    rows.append((end, data[start:end].decode('utf-8', errors='replace').rstrip('\n'), complete))
    start = end
  return rows


def _csv_cut(path, resumed_step, require_last_row):
  if not os.path.exists(path):
    if resumed_step and require_last_row:
      raise UserError(f'{path} is missing, but the run resumes at step {resumed_step}; restore '
                      'it or choose another --run_dir')
    return 0
  if not resumed_step:
    return 0
  rows = _rows(path)
  if not rows or not rows[0][2] or not rows[0][1].startswith('step,'):
    raise UserError(f'{path} line 1: not a losses.csv header; restore it or choose another '
                    '--run_dir')
  width, cut, last = rows[0][1].count(','), rows[0][0], 0
  for number, (end, text, complete) in enumerate(rows[1:], 2):
    if not complete:
      break                        # a torn last line: the kill came mid-write
    step = _csv_step(text, width)
    if step is not None and step > resumed_step or last == resumed_step:
      break                        # rows of the iterations being redone (a torn one included)
    if step is None or step <= last:
      raise UserError(f'{path} line {number}: not a loss row after step {last} '
                      f'({text[:40]!r}); the run resumes at step {resumed_step}')
    last, cut = step, end
  if require_last_row and last != resumed_step:
    raise UserError(f'{path}: rows end at step {last}, the checkpoint is at step '
                    f'{resumed_step}; restore the file or choose another --run_dir')
  return cut


def _csv_step(text, width):
  parts = text.split(',')
  if len(parts) != width + 1:
    return None
  try:
    [float(p) for p in parts[1:]]
    return int(parts[0])
  except ValueError:
    return None


def _jsonl_cut(path, resumed_step):
  if not os.path.exists(path) or not resumed_step:
    return 0
  cut, last = 0, 0
  for number, (end, text, complete) in enumerate(_rows(path), 1):
    if not complete:
      break
    try:
      step = int(json.loads(text)['step'])
    except (ValueError, KeyError, TypeError):
      step = None
    if step is not None and step > resumed_step or last == resumed_step:
      break
    if step is None or step <= last:
      raise UserError(f'{path} line {number}: not a metrics row after step {last}; the run '
                      f'resumes at step {resumed_step}')
    last, cut = step, end
  return cut


class RowLog:
  """An append-only log (``losses.csv`` or ``metrics.jsonl``), flushed before each checkpoint."""

  def __init__(self, path, format_row, header=None):
    self.path = path
    self._format = format_row
    self._handle = None          # opened by the first row: no empty files
    self.header = header

  def append(self, step, values):
    if self._handle is None:
      self._handle = open(self.path, 'a', encoding='utf-8')
    self._handle.write(self._format(self, step, values))

  def flush(self, sync=False):
    if self._handle is not None:
      self._handle.flush()
      if sync:
        os.fsync(self._handle.fileno())

  def close(self):
    """Close; rows a full disk kept from the file come after the last checkpoint, so they are
    redone by the next run anyway, and the error that stopped the run is the one to report."""
    if self._handle is not None:
      try:
        self._handle.close()
      except OSError:
        pass


def _loss_row(log, step, losses):
  header = ','.join(['step'] + list(losses))
  text = ''
  if log.header is None:
    log.header = header
    text = header + '\n'
  if header != log.header:
    raise ValueError(f'loss names changed at step {step}: {list(losses)} vs {log.header}')
  return text + ','.join([str(step)] + [repr(float(v)) for v in losses.values()]) + '\n'


def _metrics_row(log, step, metrics):
  del log
  return json.dumps(dict(step=step, **{k: float(v) for k, v in metrics.items()})) + '\n'


def open_logs(run):
  """(losses.csv, metrics.jsonl) opened for appending after ``begin`` cut them back."""
  losses_path = run.join(LOSSES)
  header = None
  if os.path.exists(losses_path) and os.path.getsize(losses_path):
    with open(losses_path, encoding='utf-8') as handle:
      header = handle.readline().rstrip('\n')
  return (RowLog(losses_path, _loss_row, header), RowLog(run.join(METRICS), _metrics_row))


def warn_missing_flags(run, missing):
  if missing:
    logging.warning('%s: flags.txt lacks %s (added since this run started); continuing with '
                    'the current values', run.flag, ', '.join(f'--{n}' for n in missing))
