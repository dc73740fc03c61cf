"""Discovery of what lives outside the engine: models and benchmarks register as entry points.

The engine never imports a model or an experiment by name. ``setup.cfg`` declares them under the
entry-point groups below; the engine loads a group the first time it is asked for its members.
"""
import importlib.metadata

from engine.errors import UserError

MODELS = 'graphgan.models'           # name -> module that registers the model on import
BENCHMARKS = 'graphgan.benchmarks'   # model name -> 'module:function' benchmark

_LOADED = set()


def entry_points(group):
  """{name: EntryPoint} of ``group``; a missing group is a UserError saying how to install it."""
  found = {point.name: point for point in importlib.metadata.entry_points(group=group)}
  if not found:
    raise UserError(f'no {group!r} entry points are installed; install the package '
                    "(pip install -e .) so that setup.cfg's entry points are registered")
  return found


def load_all(group):
  """Import every entry point of ``group`` once (modules register themselves on import)."""
  if group in _LOADED:
    return
  for point in entry_points(group).values():
    point.load()
  _LOADED.add(group)
