"""Flag files as ``bin/train`` reads them: absl expands them (nested ``--flagfile`` included), the
chosen model's Config types the values. Used to resolve a run's config without training it and
to read a run directory's ``flags.txt``."""
import dataclasses
import os

from absl import flags as absl_flags

from graphgan.engine import registry
from graphgan.engine.config import config_class, make_config
from graphgan.engine.errors import UserError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TYPES = {'int': int, 'float': float, 'bool': bool, 'str': str}
_TRUE, _FALSE = ('true', 't', '1', 'yes'), ('false', 'f', '0', 'no')


def expand(argv):
  """``argv`` with every ``--flagfile=`` expanded, paths relative to the repository root."""
  cwd = os.getcwd()
  os.chdir(ROOT)
  try:
    return absl_flags.FLAGS.read_flags_from_files(list(argv), force_gnu=False)
  except absl_flags.Error as error:
    raise UserError(str(error).splitlines()[0]) from None
  finally:
    os.chdir(cwd)


def _field_types(model_cls, data):
  """Each flag's type: the model's Config and the settings its data source ``data`` owns."""
  return {f.name: f.type if isinstance(f.type, type) else _TYPES[f.type]
          for f in dataclasses.fields(config_class(model_cls.Config, data))}


def _parse(arg, types, origin):
  """(name, typed value) of one ``--name=value`` / ``--name`` / ``--noname`` argument."""
  name, has_value, text = arg.lstrip('-').partition('=')
  if not has_value and name not in types and name.startswith('no') and name[2:] in types:
    return name[2:], False
  if name not in types:
    raise UserError(f'{origin}: --{name} is not a flag of this model')
  kind = types[name]
  if kind is bool:
    if not has_value or text.lower() in _TRUE:
      return name, True
    if text.lower() in _FALSE:
      return name, False
    raise UserError(f'{origin}: --{name}={text} is not a boolean')
  try:
    return name, kind(text)
  except ValueError:
    raise UserError(f'{origin}: --{name}={text} is not a {kind.__name__}') from None


def values(argv, origin):
  """(model class, {flag: typed value}) of command-line arguments (flag files expanded)."""
  args = expand(argv)
  models = [a.partition('=')[2] for a in args if a.startswith('--model=')]
  if not models:
    raise UserError(f'{origin}: names no --model')
  model_cls = registry.get(models[-1])
  data = [a.partition('=')[2] for a in args if a.startswith('--data=')]
  types = _field_types(model_cls, data[-1] if data else None)
  parsed = dict(_parse(a, types, origin) for a in args if not a.startswith('--model='))
  return model_cls, parsed


def resolve(argv, origin):
  """(model class, validated config) that ``bin/train argv`` would train."""
  model_cls, parsed = values(argv, origin)
  return model_cls, make_config(model_cls.Config, parsed)


def read_flags_txt(path):
  """(model name, {flag: typed value}) of a run directory's ``flags.txt``."""
  model_cls, parsed = values([f'--flagfile={os.path.abspath(path)}'], path)
  return model_cls.name, parsed
