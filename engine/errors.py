"""Errors a user can cause: the entry points print them as one line and exit non-zero."""


class UserError(Exception):
  """Bad flags, data or files: reported as one line, never with a traceback."""


class NonFiniteError(UserError):
  """Training produced NaN/Inf (a loss or a variable); no checkpoint holds it."""


NonFiniteLossError = NonFiniteError   # the name before variables were checked too


STOPPED_BY_SIGNAL = 'stopped by signal'   # how bin/train and bin/reproduce word a stop by a signal


class Stopped(Exception):
  """SIGINT/SIGTERM honoured at an iteration boundary, after checkpointing that step: one line,
  exit 128 + the signal's number."""

  def __init__(self, signum, message):
    super().__init__(message)
    self.signum = signum
