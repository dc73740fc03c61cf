"""Progress lines while training: step/total, losses, steps/s over the last interval, ETA, and a
heartbeat while one step runs long (no silent minutes, issue 29)."""
import math
import threading
import time

from absl import logging


def crossed(previous, step, every):
  """True when a multiple of ``every`` lies in (previous, step] (a cluster's step may jump).

  ``every`` 0 means never.
  """
  return bool(every) and step // every > previous // every


def format_values(values):
  return ' '.join(f'{name} {value:.6g}' for name, value in values.items())


PROGRESS_SECONDS = 10   # no silence longer than this while training (issue 29)


class Progress:
  """Progress lines: step/total, losses, steps/s over the last interval, ETA. A line is due at the
  first step of a process, every ``--log_every_steps``, at the end, and whenever
  ``PROGRESS_SECONDS`` passed since the last one; while one step runs longer than that (a
  documented-width iteration on a CPU), a heartbeat thread says it is still running."""

  def __init__(self, start, end, log_every):
    self.start, self.end, self.log_every = start, end, log_every
    self.last_step, self.last_time = start, time.perf_counter()
    self.last_heard = self.last_time   # last line or heartbeat: when the next heartbeat is due
    self.doing = f'running step {start + 1}/{end}'    # what the heartbeat says is going on
    self._stop = threading.Event()
    self._heart = None

  def due(self, previous, step):
    return (previous == self.start or crossed(previous, step, self.log_every) or
            step >= self.end or time.perf_counter() - self.last_time >= PROGRESS_SECONDS)

  def line(self, step, losses, epoch):
    now = time.perf_counter()
    rate = (step - self.last_step) / max(now - self.last_time, 1e-9)
    self.last_step, self.last_time, self.last_heard = step, now, now
    eta = (self.end - step) / rate if rate > 0 else float('inf')
    return (f'step {step}/{self.end} epoch {epoch} | {format_values(losses)} | '
            f'{rate:.2f} steps/s | ETA {duration(eta)}')

  def __enter__(self):
    self._heart = threading.Thread(target=self._beat, daemon=True, name='graphgan-progress')
    self._heart.start()
    return self

  def _beat(self):
    while not self._stop.wait(1.0):
      now = time.perf_counter()
      if now - self.last_heard >= PROGRESS_SECONDS:
        logging.info('still %s (%s since the last line)', self.doing,
                     duration(now - self.last_time))
        self.last_heard = now   # next beat in another PROGRESS_SECONDS; the rate keeps last_time

  def __exit__(self, *exc_info):
    self._stop.set()


def duration(seconds):
  if not math.isfinite(seconds):
    return '?'
  minutes, seconds = divmod(int(seconds), 60)
  hours, minutes = divmod(minutes, 60)
  return f'{hours}h{minutes:02d}m{seconds:02d}s' if hours else f'{minutes}m{seconds:02d}s'
