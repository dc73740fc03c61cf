"""Discovery of what lives outside the engine: models, data sources and benchmarks.

The engine never imports a model or an experiment by name. ``setup.cfg`` (this package's, or any
installed package's) declares them under the entry-point groups below; the engine loads a group
the first time it is asked for its members. A module that is not installed is loaded with
``--import=my_pkg.my_gan`` (any ``bin/*`` tool; it must be importable, e.g. on ``PYTHONPATH``):
importing it runs its ``@register``/``@register_source`` decorators before the flags are defined.
"""
import importlib
import importlib.metadata

from graphgan.engine.errors import UserError

MODELS = 'graphgan.models'           # name -> module that registers the model on import
DATA = 'graphgan.data'               # name -> module that registers a data source on import
BENCHMARKS = 'graphgan.benchmarks'   # model name -> 'module:function' benchmark

_LOADED = set()


def entry_points(group):
  """{name: EntryPoint} of ``group``; a missing group is a UserError saying how to install it."""
  found = {point.name: point for point in importlib.metadata.entry_points(group=group)}
  if not found:
    raise UserError(f'no {group!r} entry points are installed; install the package '
                    "(pip install -e .) so that setup.cfg's entry points are registered")
  return found


def load_all(group, required=True):
  """Import every entry point of ``group`` once (modules register themselves on import).

  ``required=False``: a group nobody declares is fine (data sources beyond the built-in ones).
  """
  if group in _LOADED:
    return
  points = entry_points(group) if required else {
      point.name: point for point in importlib.metadata.entry_points(group=group)}
  for point in points.values():
    point.load()
  _LOADED.add(group)


def import_modules(names):
  """Import each module of ``--import`` (a model or data source outside this package).

  The installed models and sources are loaded first, so a module that registers a name already
  taken is the one reported. Whatever its import raises is one line naming it.
  """
  if names:
    load_all(MODELS)
    load_all(DATA, required=False)
  for name in names:
    try:
      importlib.import_module(name)
    except ModuleNotFoundError as error:
      raise UserError(f'--import={name}: cannot import it ({error}); is its directory on '
                      'PYTHONPATH or its package installed?') from None
    except SyntaxError as error:
      raise UserError(f'--import={name}: {error.filename} line {error.lineno}: syntax error '
                      f'({error.msg})') from None
    except Exception as error:  # pylint: disable=broad-except
      where = _raised_in(error.__traceback__, name)
      raise UserError(f'--import={name}: importing it raised {type(error).__name__}: '
                      f'{str(error).splitlines()[0] if str(error) else ""}{where}') from None


def _raised_in(traceback, name):
  """`` (file:line)`` of the deepest frame of the import, where the error was raised."""
  frame = traceback
  while frame is not None and frame.tb_next is not None:
    frame = frame.tb_next
  if frame is None:
    return ''
  return f' ({frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}, importing {name})'
