"""Errors a user can cause: the entry points print them as one line and exit non-zero."""


class UserError(Exception):
  """Bad flags, data or files: reported as one line, never with a traceback."""


class NonFiniteError(UserError):
  """Training produced NaN/Inf (a loss or a variable); no checkpoint holds it."""


NonFiniteLossError = NonFiniteError   # the name before variables were checked too
