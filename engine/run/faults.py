"""Fault injection for the crash tests: ``GRAPHGAN_FAULT=name[@n]`` kills this process (SIGKILL)
the n-th time (default: the first) it passes ``point(name)``. Unset, a point is a dict lookup.

Points, in the order one iteration passes them: ``step:done`` (iteration run, its row not yet
written), ``log:row`` (row written, not flushed), ``samples:written``, ``export:written``,
``checkpoint:marked`` (journal marker created), ``checkpoint:variables_written`` (Saver files
written, not committed), ``checkpoint:committed`` (sidecar renamed, marker still there),
``checkpoint:retiring`` (an old checkpoint's retirement begun).
"""
import os
import signal

_REMAINING = {}


def configure(spec):
  """Arm the fault ``name[@n]`` ('' disarms)."""
  _REMAINING.clear()
  name, _, count = spec.partition('@')
  if name:
    _REMAINING[name] = int(count or 1)


def point(name):
  if name in _REMAINING:
    _REMAINING[name] -= 1
    if _REMAINING[name] == 0:
      os.kill(os.getpid(), signal.SIGKILL)


configure(os.environ.get('GRAPHGAN_FAULT', ''))
