"""The run's append-only logs, ``losses.csv`` and ``metrics.jsonl``: rows written, and cut back to
the step a resumed run restarts from (a torn last line, rows of iterations being redone)."""
import json
import os

from graphgan.engine.errors import UserError


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


def csv_cut(path, resumed_step, require_last_row):
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


def jsonl_cut(path, resumed_step):
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


def loss_row(log, step, losses):
  header = ','.join(['step'] + list(losses))
  text = ''
  if log.header is None:
    log.header = header
    text = header + '\n'
  if header != log.header:
    raise ValueError(f'loss names changed at step {step}: {list(losses)} vs {log.header}')
  return text + ','.join([str(step)] + [repr(float(v)) for v in losses.values()]) + '\n'


def metrics_row(log, step, metrics):
  del log
  return json.dumps(dict(step=step, **{k: float(v) for k, v in metrics.items()})) + '\n'


class NoLog:
  """A non-chief worker's logs: it writes nothing."""

  def append(self, step, values):
    pass

  def flush(self, sync=False):
    pass

  def close(self):
    pass
