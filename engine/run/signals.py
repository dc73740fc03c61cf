"""Stop requests while training: SIGINT/SIGTERM honoured between iterations, a second one at once."""
import os
import signal
import sys
import threading

from absl import logging


class StopRequests:
  """SIGINT/SIGTERM while training: remembered, and honoured between iterations (``TrainLoop._stop``);
  a second one stops at once. A signal the process was started with ignored (SIGINT of a
  background job) stays ignored.

  Python runs a signal handler only between bytecodes, so two signals that arrive during one long
  ``sess.run`` (a documented-width iteration takes ~30 s on a CPU) would reach it as one. Every
  delivery is also written to a wakeup pipe (``signal.set_wakeup_fd``) that a thread reads: at the
  second one it gives the main thread ``GRACE_SECONDS`` to stop the usual way, then ends the
  process itself (exit 130, one line; the newest checkpoint is intact, as after kill -9).
  """

  SIGNALS = (signal.SIGINT, signal.SIGTERM)
  GRACE_SECONDS = 0.5

  def __init__(self):
    self.signum = None
    self._previous = {}
    self._stopping = threading.Event()
    self._pipe = None
    self._old_wakeup = -1

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      for signum in self.SIGNALS:
        previous = signal.getsignal(signum)
        if previous is not signal.SIG_IGN:
          self._previous[signum] = previous
          signal.signal(signum, self._request)
      if self._previous:
        self._pipe = os.pipe()
        os.set_blocking(self._pipe[1], False)
        self._old_wakeup = signal.set_wakeup_fd(self._pipe[1], warn_on_full_buffer=False)
        threading.Thread(target=self._watch, args=(self._pipe[0],), daemon=True,
                         name='graphgan-stop-requests').start()
    return self

  def _request(self, signum, frame):
    del frame
    if self.signum is not None:
      self._stopping.set()
      raise KeyboardInterrupt
    self.signum = signum
    logging.warning('%s: stopping after this iteration, with a checkpoint (again: stop at once)',
                    signal.Signals(signum).name)

  def _watch(self, read_fd):
    """Count deliveries; at the second, stop at once if the main thread cannot."""
    watched, seen = {int(s) for s in self._previous}, 0
    try:
      while True:
        try:
          data = os.read(read_fd, 64)
        except OSError:
          return
        if not data:
          return
        seen += sum(1 for number in data if number in watched)
        if seen >= 2:
          if self._stopping.wait(self.GRACE_SECONDS):
            return                       # the main thread is stopping the usual way
          program = sys.argv[0].rsplit('/', 1)[-1] if sys.argv else 'graphgan'
          os.write(2, f'{program}: interrupted (a second stop request during one long step); '
                      'a training run continues from its newest checkpoint when the same command '
                      'is run again\n'.encode())
          os._exit(128 + signal.SIGINT)  # pylint: disable=protected-access
    finally:
      os.close(read_fd)

  def __exit__(self, *exc_info):
    for signum, previous in self._previous.items():
      signal.signal(signum, previous)
    if self._pipe is not None:
      signal.set_wakeup_fd(self._old_wakeup)
      os.close(self._pipe[1])          # the watcher reads the end of the pipe and returns
      self._pipe = None
