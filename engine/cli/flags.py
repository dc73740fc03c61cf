"""absl flags for every registered model, parsed with one-line errors.

Every field of every model's Config becomes one absl flag whose absl default is ``None``: a flag
given (command line or ``--flagfile``, nested too) overrides the chosen model's documented
default; a flag that belongs only to other models is an error. ``--helpfull`` lists them all
with each model's default.
"""
import dataclasses
import os
import stat
import sys

from absl import flags

import graphgan.engine  # noqa: F401  (compat first)
from graphgan.engine import plugins, registry
from graphgan.engine.cluster import spec as cluster
from graphgan.engine.config import TrainConfig, as_flag_lines, config_class, make_config
from graphgan.engine.data import registry as sources
from graphgan.engine.errors import UserError

FLAGS = flags.FLAGS
_TYPES = {int: flags.DEFINE_integer, float: flags.DEFINE_float, bool: flags.DEFINE_bool,
          str: flags.DEFINE_string}
_DEFINED = {}   # flag name -> python type


def define_flags():
  """Define --model and one flag per config field of every registered model (idempotent)."""
  cluster.define_flags()
  if 'import' not in FLAGS:
    flags.DEFINE_list('import', [], 'Modules to import before the flags are read: models or '
                      'data sources defined outside graphgan (e.g. --import=my_pkg.my_gan; the '
                      'module must be importable, e.g. on PYTHONPATH).')
  if 'model' not in FLAGS:
    flags.DEFINE_string('model', None, f'Training style to run: {", ".join(registry.names())}.')
  _DEFINED.update(define_model_flags(FLAGS, registry.all_models(), sources.all_source_fields()))


def define_model_flags(flag_values, models, source_fields=None):
  """One flag in ``flag_values`` per config field of ``models`` ({name: model class}) and of
  the data sources' own settings (``source_fields``: {source name: fields}).

  A flag several models share gets each model's own help; it is an enum only when all of them
  offer the same choices (otherwise the chosen model's choices are checked by ``make_config``).
  Returns {flag name: python type} of the flags defined.
  """
  per_flag, defined = {}, {}
  for name, model_cls in models.items():
    for field in dataclasses.fields(model_cls.Config):
      per_flag.setdefault(field.name, []).append((name, field))
  for name, fields in (source_fields or {}).items():
    for field in fields:
      per_flag.setdefault(field.name, []).append((f'--data={name}', field))
  for flag_name, owners in sorted(per_flag.items()):
    if flag_name in _DEFINED or flag_name in flag_values:
      continue
    kinds = {f.type if isinstance(f.type, type) else eval(f.type) for _, f in owners}  # pylint: disable=eval-used
    if len(kinds) != 1:
      raise TypeError(f'flag --{flag_name} has different types across models: {kinds}')
    kind = kinds.pop()
    defaults = {repr(f.default) for _, f in owners}
    if len(defaults) == 1:
      default_text = f'default {defaults.pop()}'
    else:
      default_text = 'defaults: ' + ', '.join(f'{m}={f.default!r}' for m, f in owners)
    help_text = _help_text(owners, default_text)
    choices = {f.metadata.get('choices') for _, f in owners}
    if len(choices) == 1 and None not in choices:
      flags.DEFINE_enum(flag_name, None, list(choices.pop()), help_text, flag_values=flag_values)
    else:   # choices differ between models: the chosen model's own are checked (make_config)
      _TYPES[kind](flag_name, None, help_text, flag_values=flag_values)
    defined[flag_name] = kind
  return defined


def _help_text(owners, default_text):
  """One help line; where models describe a shared flag differently, each model's own words."""
  helps = {}
  for model, field in owners:
    text = field.metadata['help']
    choices = field.metadata.get('choices')
    if choices and len({f.metadata.get('choices') for _, f in owners}) > 1:
      text += f' [{"|".join(choices)}]'
    helps.setdefault(text, []).append(model)
  if len(helps) == 1:
    return f'{next(iter(helps))} ({default_text})'
  parts = [f'{", ".join(models)}: {text}' for text, models in helps.items()]
  return ' | '.join(parts) + f' ({default_text})'


def parse(argv):
  """absl's parser, but every flag error is one line on stderr and exit code 2."""
  try:
    _check_working_directory()
    check_flagfiles(argv[1:])
    plugins.import_modules(import_args(argv[1:]))
    define_flags()
    wanted = [a for a in argv[1:] if a.lstrip('-') in HELP_FLAGS and a.startswith('-')]
    if wanted:
      print(help_text(argv, full=any(w.lstrip('-') == 'helpfull' for w in wanted)))
      sys.exit(0)
    return FLAGS(argv)
  except flags.Error as error:
    fail(f'{error}'.splitlines()[0])
  except UserError as error:
    fail(str(error))


HELP_FLAGS = ('help', 'helpfull', 'helpshort', 'h', '?')


def _model_named(argv):
  """The --model of the command line or of its flag files (the last one wins), or None."""
  model = None
  for arg in argv[1:]:
    if arg.startswith(('--model=', '-model=')):
      model = arg.split('=', 1)[1]
  for path in _flagfile_args(argv[1:]):
    lines = [line.strip() for line in read_flagfile(path).splitlines()]
    named = _model_named([''] + [line for line in lines if line and not line.startswith('#')])
    model = named or model
  return model


def help_text(argv, full=False):
  """graphgan's own flags first: the chosen model's (with its defaults) or, without --model, the
  models and the settings every one of them has; then the tool's other flags; with --helpfull,
  absl's own after them."""
  program = os.path.basename(argv[0])
  model_name = _model_named(argv)
  data = next((a.split('=', 1)[1] for a in argv[1:] if a.startswith('--data=')), None)
  if model_name in registry.names():
    shown = [model_name]
    lines = [f'{program} --model={model_name}: its flags, each with the model\'s documented '
             'default (a flag file or the command line overrides them):']
  elif full:
    shown = registry.names()
    lines = [f'{program}: --model=NAME picks a training style. Each one\'s flags, with its '
             'documented defaults:']
  else:
    shown = []
    lines = [f'{program}: --model=NAME picks a training style: {", ".join(registry.names())}.',
             f'`{program} --model=NAME --help` lists that model\'s own flags (--helpfull: every '
             'model\'s); every model has these:']
    lines += [_flag_line(field) for field in dataclasses.fields(TrainConfig)]
  for name in shown:
    if len(shown) > 1:
      lines.append(f'--model={name}:')
    config_cls = config_class(registry.get(name).Config, data)
    lines += [_flag_line(field) for field in dataclasses.fields(config_cls)]
  tool = [name for name, flag in FLAGS._flags().items()  # pylint: disable=protected-access
          if name == flag.name and name not in _DEFINED and name not in HELP_FLAGS
          and not _absl_flag(name)]
  if tool:
    lines.append(f'{program}\'s other flags:')
    for name in sorted(set(tool)):
      lines.append(f'  --{name}: {FLAGS[name].help}')
  if full:
    lines.append("absl's own flags (logging, flag handling):")
    lines += ['  ' + line for line in _absl_help().splitlines()]
  else:
    lines.append('(--helpfull also lists absl\'s own flags: logging, flag handling.)')
  return '\n'.join(lines)


def _flag_line(field):
  return f'  --{field.name}={field.default!s}: {field.metadata["help"]}'


def _absl_modules():
  return [m for m in FLAGS.flags_by_module_dict() if m.startswith('absl')]


def _absl_flag(name):
  return any(name == f.name for m in _absl_modules()
             for f in FLAGS.flags_by_module_dict()[m])


def _absl_help():
  return '\n'.join(FLAGS.module_help(m) for m in _absl_modules())


def _check_working_directory():
  """Relative paths (run dirs, flag files, data) mean nothing in a deleted working directory."""
  try:
    os.getcwd()
  except FileNotFoundError:
    raise UserError('the working directory no longer exists (it was deleted after this shell '
                    'entered it); cd to a directory that exists and run the command again') \
        from None


def _flagfile_args(args):
  """The ``--flagfile`` values among ``args`` (``--flagfile=F``, ``-flagfile=F``, ``--flagfile F``)."""
  found, args = [], list(args)
  for i, arg in enumerate(args):
    for prefix in ('--flagfile=', '-flagfile='):
      if arg.startswith(prefix):
        found.append(arg[len(prefix):])
    if arg in ('--flagfile', '-flagfile') and i + 1 < len(args):
      found.append(args[i + 1])
  return found


def import_args(args):
  """The modules named by ``--import`` in ``args`` and the flag files they name (read before
  absl parses anything: the modules define flags)."""
  modules = []
  for arg in args:
    for prefix in ('--import=', '-import='):
      if arg.startswith(prefix):
        names = [name.strip() for name in arg[len(prefix):].split(',') if name.strip()]
        if not names:
          raise UserError(f'{prefix} names no module (an unset variable?)')
        modules += names
  for path in _flagfile_args(args):
    modules += import_args(read_flagfile(path).splitlines())
  return modules


MAX_FLAGFILE_BYTES = 1 << 20


def read_flagfile(path):
  """The text of flag file ``path``, or a UserError that says why it is not one: a missing or
  unnamed file, a FIFO, device or directory (reading it would hang or never end), more than
  1 MiB, a NUL byte, bytes that are not UTF-8."""
  if not path:
    raise UserError('--flagfile= names no file (an unset variable?)')
  try:
    mode, size = os.stat(path).st_mode, os.stat(path).st_size
  except FileNotFoundError:
    raise UserError(f'--flagfile={path}: no such file') from None
  except OSError as error:
    raise UserError(f'--flagfile={path}: cannot read it ({error.strerror})') from None
  if not stat.S_ISREG(mode):
    raise UserError(f'--flagfile={path}: not a regular file ({_file_kind(mode)})')
  if size > MAX_FLAGFILE_BYTES:
    raise UserError(f'--flagfile={path}: {size} bytes; a flag file is a few lines of text')
  try:
    with open(path, 'rb') as handle:
      data = handle.read(MAX_FLAGFILE_BYTES + 1)
  except OSError as error:
    raise UserError(f'--flagfile={path}: cannot read it ({error.strerror})') from None
  if b'\0' in data:
    line = data[:data.index(b'\0')].count(b'\n') + 1
    raise UserError(f'--flagfile={path} line {line}: a NUL byte (not a text file?)')
  try:
    return data.decode('utf-8')
  except UnicodeDecodeError as error:
    raise UserError(f'--flagfile={path}: not UTF-8 text (byte 0x{data[error.start]:02x} at '
                    f'offset {error.start})') from None


def _file_kind(mode):
  for test, kind in ((stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a FIFO'),
                     (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'),
                     (stat.S_ISSOCK, 'a socket')):
    if test(mode):
      return kind
  return 'not a regular file'


def check_flagfiles(args, chain=()):
  """UserError for a flag file that is not one (``read_flagfile``) or for flag files that
  include themselves, directly or through others (absl only warns about such a circle)."""
  for path in _flagfile_args(args):
    real = os.path.realpath(path) if path else path
    if real in chain:
      names = [os.path.relpath(p) for p in chain[chain.index(real):]] + [os.path.relpath(real)]
      raise UserError(f'--flagfile: flag files include each other in a circle: '
                      f'{" -> ".join(names)}')
    lines = [line.strip() for line in read_flagfile(path).splitlines()]
    check_flagfiles(lines, chain + (real,))


def config_from_flags():
  """(model class, validated config) from the parsed flags."""
  model_cls, overrides = model_overrides()
  return model_cls, make_config(model_cls.Config, overrides)


def model_overrides(model_name=None):
  """(model class, {flag: value} of the model flags given); a foreign flag is a UserError."""
  model_name = model_name or FLAGS.model
  if not model_name:
    raise UserError(f'--model is required; choose one of: {", ".join(registry.names())}')
  model_cls = registry.get(model_name)
  data = FLAGS['data'].value if FLAGS['data'].present else None
  fields = {f.name for f in dataclasses.fields(config_class(model_cls.Config, data))}
  overrides = {}
  for name in _DEFINED:
    if not FLAGS[name].present:
      continue
    if name not in fields:
      owners = [m for m, c in registry.all_models().items()
                if name in {f.name for f in dataclasses.fields(c.Config)}]
      owners += [f'--data={s}' for s, f in sources.all_source_fields().items()
                 if name in {field.name for field in f}]
      raise UserError(f'--{name} is not a flag of model {model_name!r}'
                      f'{f" with --data={data}" if data else ""} '
                      f'(it belongs to: {", ".join(owners)})')
    overrides[name] = FLAGS[name].value
  return model_cls, overrides


def config_as_flags(model_cls, config):
  """The resolved config as flag-file lines (what ``run_dir/flags.txt`` holds)."""
  return as_flag_lines(model_cls.name, config)


def model_flag_names():
  """Every model flag defined so far (the fields of the registered models' Configs)."""
  return list(_DEFINED)


def program_line(message, program=None):
  """``program: message`` on stderr (the program is the running bin/* script)."""
  program = program or (sys.argv[0].rsplit('/', 1)[-1] if sys.argv else 'graphgan')
  print(f'{program}: {message}', file=sys.stderr)


def fail(message, program=None):
  """One error line, exit 2."""
  program_line(f'error: {message}', program)
  sys.exit(2)
