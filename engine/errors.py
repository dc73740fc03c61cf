"""Errors a user can cause: the entry points print them as one line and exit non-zero."""


class UserError(Exception):
  """Bad flags, data or files: reported as one line, never with a traceback."""


class NonFiniteLossError(UserError):
  """Training produced NaN/Inf; the last good checkpoint is left intact."""
