"""Files written whole: through a ``.partial`` file and a rename, with one-line OS errors."""
import errno
import os
import re

PARTIAL = '.partial'
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


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


def error_filename(error):
  """The file an OSError is about (h5py reports it only inside its message)."""
  if error.filename:
    return str(error.filename).removesuffix(PARTIAL)
  found = re.search(r"filename = '([^']+)'", str(error))
  return found.group(1).removesuffix(PARTIAL) if found else None


def first_line(error):
  """An exception's message, first line only (TensorFlow's run on for pages)."""
  text = getattr(error, 'message', None) or str(error)
  return text.strip().splitlines()[0] if text.strip() else type(error).__name__
