"""absl flags for every registered model, parsed with one-line errors; the ``bin/*`` entry points.

Every field of every model's Config becomes one absl flag whose absl default is ``None``: a flag
given (command line or ``--flagfile``, nested too) overrides the chosen model's documented
default; a flag that belongs only to other models is an error. ``--helpfull`` lists them all
with each model's default.
"""
import dataclasses
import os
import signal
import stat
import sys

from absl import app, flags, logging

import graphgan.engine  # noqa: F401  (compat first)
from graphgan.engine import cluster, plugins, registry
from graphgan.engine.config import TrainConfig, as_flag_lines, config_class, make_config
from graphgan.engine.data import registry as sources
from graphgan.engine.errors import Stopped, UserError

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
    _fail(f'{error}'.splitlines()[0])
  except UserError as error:
    _fail(str(error))


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
    lines.append(f'(--helpfull also lists absl\'s own flags: logging, flag handling.)')
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


def _program_line(message, program=None):
  program = program or (sys.argv[0].rsplit('/', 1)[-1] if sys.argv else 'graphgan')
  print(f'{program}: {message}', file=sys.stderr)


def _fail(message, program=None):
  _program_line(f'error: {message}', program)
  sys.exit(2)


def run(main):
  """``app.run(main)`` with our parser; a UserError anywhere becomes one line + exit 2."""
  def guarded(argv):
    try:
      if len(argv) > 1:
        raise UserError(f'unexpected arguments: {" ".join(argv[1:])}')
      return main()
    except UserError as error:
      _fail(str(error))
    except Stopped as stopped:
      _program_line(str(stopped))
      sys.exit(128 + stopped.signum)
    except KeyboardInterrupt:
      _program_line('interrupted; a training run continues from its newest checkpoint when the '
                    'same command is run again')
      sys.exit(128 + signal.SIGINT)
  app.run(guarded, flags_parser=parse)


def _train_main():
  from graphgan.engine import loop  # pylint: disable=import-outside-toplevel
  logging.set_verbosity(logging.INFO)
  node = cluster.from_flags()
  model_cls, config = config_from_flags()
  if node:
    from graphgan.engine import cluster_train  # pylint: disable=import-outside-toplevel
    result = cluster_train.train(model_cls, config, node)
    if not node.is_chief:   # a ps task or a non-chief worker: it writes nothing
      return
  else:
    result = loop.train(model_cls, config)
  if result.first_step > result.last_step:
    logging.info('Nothing to do: %s is at step %d of --train_steps=%d (checkpoint %s)',
                 result.run_dir, result.last_step, config.train_steps, result.restored)
    return
  logging.info('Done: steps %d..%d in %s (checkpoint %s)', result.first_step, result.last_step,
               result.run_dir, result.checkpoint)


def train_entry_point():
  run(_train_main)


def _sample_main():
  from graphgan.engine import checkpoint, images, loop, rundir  # pylint: disable=import-outside-toplevel
  if FLAGS['run_dir'].present:
    model_cls, config = _config_from_run_dir(FLAGS.run_dir)
  else:
    model_cls, config = config_from_flags()
    if not FLAGS.weights:
      raise UserError('--weights is required (or --run_dir=DIR: sample a run\'s newest export '
                      'with the settings in its flags.txt)')
  out = output_path(FLAGS.out, '--out')
  session = loop.Session(model_cls, config)
  try:
    model = session.model
    network = FLAGS.network or model.sample_export
    exports = model.keras_exports()
    if network not in exports:
      raise UserError(f'--network={network!r}: model {model_cls.name} exports '
                      f'{", ".join(exports) or "no Keras networks"}')
    if network != model.sample_export:
      raise UserError(f'--network={network}: model {model_cls.name} draws its samples with '
                      f'its {model.sample_export!r} network; weights of {network!r} '
                      'would leave it untrained (the picture would be noise)')
    weights = FLAGS.weights or _newest_export(FLAGS.run_dir, network)
    session.prepare()
    with session.graph.as_default():
      checkpoint.load_keras_weights(exports[network], weights)
      samples = model.sample(session.sess, FLAGS.num_samples)
    sample_kind = model.sample_kind
  finally:
    session.close()
  data, _ = images.sample_png(samples, sample_kind, os.path.basename(weights))
  try:
    rundir.atomic_write(out, data)
  except OSError as error:
    raise UserError(f'--out={FLAGS.out}: {rundir.os_error_message(error, out)}') from None
  print(f'wrote {FLAGS.out}: {len(samples)} samples from {weights}')


def _config_from_run_dir(run_dir):
  """(model class, config) from ``<run_dir>/flags.txt``; model flags given here override it."""
  from graphgan.engine import rundir  # pylint: disable=import-outside-toplevel
  path = os.path.join(run_dir, rundir.FLAGS)
  try:
    with open(path, encoding='utf-8') as handle:
      recorded = rundir.parse_flag_lines(handle.read(), path)
  except OSError as error:
    raise UserError(f'--run_dir={run_dir}: cannot read {path} ({error.strerror})') from None
  name = recorded.pop('model', None)
  if FLAGS.model and FLAGS.model != name:
    raise UserError(f'--model={FLAGS.model}, but {path} says --model={name}')
  model_cls = registry.get(name)
  fields = {f.name: f for f in dataclasses.fields(config_class(model_cls.Config,
                                                               recorded.get('data')))}
  overrides = {}
  for flag, text in recorded.items():
    if flag in fields:
      overrides[flag] = _typed(fields[flag], text, path)
  _, given = model_overrides(model_cls.name)
  overrides.update(given)
  return model_cls, make_config(model_cls.Config, overrides)


def _typed(field, text, source):
  kind = field.type if isinstance(field.type, type) else eval(field.type)  # pylint: disable=eval-used
  try:
    if kind is bool:
      return {'true': True, 'false': False}[text.lower()]
    return kind(text)
  except (KeyError, ValueError):
    raise UserError(f'{source}: --{field.name}={text} is not a {kind.__name__}') from None


def _newest_export(run_dir, network):
  """``weights/<network>_final.h5`` if there, else the highest ``<network>_<e>epoch.h5``."""
  directory = os.path.join(run_dir, 'weights')
  final = os.path.join(directory, f'{network}_final.h5')
  if os.path.isfile(final):
    return final
  epochs = []
  for name in os.listdir(directory) if os.path.isdir(directory) else []:
    stem = name[len(network) + 1:-len('epoch.h5')]
    if name.startswith(network + '_') and name.endswith('epoch.h5') and stem.isdigit():
      epochs.append((int(stem), name))
  if not epochs:
    raise UserError(f'--run_dir={run_dir}: no exported weights of network {network!r} in '
                    f'{directory}; pass --weights')
  return os.path.join(directory, max(epochs)[1])


def output_path(path, flag):
  """``path`` as a file to write: its directory is created; UserError when it cannot be."""
  if not path:
    raise UserError(f'{flag} must name a file')
  if os.path.isdir(path):
    raise UserError(f'{flag}={path} is a directory; name a file')
  parent = os.path.dirname(os.path.abspath(path))
  try:
    os.makedirs(parent, exist_ok=True)
  except (FileExistsError, NotADirectoryError):
    raise UserError(f'{flag}={path}: a part of {parent} is a file, not a directory') from None
  except OSError as error:
    raise UserError(f'{flag}={path}: cannot create {parent} ({error.strerror})') from None
  if not os.access(parent, os.W_OK):
    raise UserError(f'{flag}={path}: {parent} is not writable')
  return path


def sample_entry_point():
  flags.DEFINE_string('weights', None, 'HDF5 weights written by a run (weights/g_<e>epoch.h5); '
                      'with --run_dir, default: the run\'s newest export.')
  flags.DEFINE_string('network', '', 'Which exported network the weights belong to (default: '
                      'the one the model draws samples with: g, or g_ema with '
                      '--generator_ema_decay).')
  flags.DEFINE_string('out', 'samples.png', 'PNG to write.')
  flags.DEFINE_integer('num_samples', 64, 'Samples in the grid.', lower_bound=1)
  run(_sample_main)


def _bench_main():
  from graphgan.engine import bench  # pylint: disable=import-outside-toplevel
  if not FLAGS.bench_log:
    logging.set_verbosity(logging.WARNING)   # the table, not the training runs' progress lines
  model_cls, overrides = model_overrides()
  bench.run(model_cls.name, iterations=FLAGS.bench_iterations, rounds=FLAGS.bench_rounds,
            **overrides)


def bench_entry_point():
  flags.DEFINE_integer('bench_iterations', 20, 'Timed iterations per round.', lower_bound=1)
  flags.DEFINE_integer('bench_rounds', 3, 'Interleaved rounds.', lower_bound=1)
  flags.DEFINE_bool('bench_log', False, 'Also print the progress lines of the runs it times.')
  run(_bench_main)


def _record_main():
  from graphgan.engine import recorded  # pylint: disable=import-outside-toplevel
  if FLAGS.all:
    _record_all(recorded)
    return
  if FLAGS.isa_spread:
    out = output_path(FLAGS.out or os.path.join(
        'recorded', 'spread', f'{recorded.device_kind()}.json'), '--out')
    command = ' '.join(['bin/record_losses'] + sys.argv[1:])
    recorded.measure_spread(out, command, log=lambda line: print(line, flush=True))
    print(f'wrote {out}')
    return
  model_cls, overrides = model_overrides()
  make_config(model_cls.Config, overrides)          # validate before a long recording
  if FLAGS.out:
    output_path(FLAGS.out, '--out')
  for name in ('run_dir', 'train_steps', 'resume'):
    overrides.pop(name, None)
  command = ' '.join(['bin/record_losses'] + [a for a in sys.argv[1:]])
  recording = recorded.record(model_cls.name, overrides, FLAGS.record_steps, FLAGS.variant,
                              command)
  path = output_path(FLAGS.out or recorded.default_path(model_cls.name, FLAGS.variant), '--out')
  recorded.write(recording, path)
  print(f'wrote {path}: {FLAGS.record_steps} steps of {", ".join(recording["losses"])} '
        f'on {recording["device_kind"]}')


def _record_all(recorded):
  """Every configuration of recorded/ on this machine, into --out (a directory)."""
  given = [name for name in ['model', 'variant', 'record_steps', 'isa_spread'] + list(_DEFINED)
           if FLAGS[name].present]
  if given:
    raise UserError(f'--all records the stored configurations as they are; --{given[0]} '
                    'cannot change them')
  out_dir = FLAGS.out or recorded.REPOSITORY_DIR
  if os.path.exists(out_dir) and not os.path.isdir(out_dir):
    raise UserError(f'--out={out_dir}: with --all, a directory (it is a file)')
  kind = recorded.device_kind()
  print(f'recording {len(recorded.configurations())} configurations on {kind} into {out_dir}',
        flush=True)
  recorded.record_all(out_dir, log=lambda line: print(line, flush=True))
  if os.path.abspath(out_dir) != os.path.abspath(recorded.REPOSITORY_DIR):
    print(f'replay them with: {recorded.BASELINE_VARIABLE}={os.path.abspath(out_dir)} '
          'python -m pytest tests/test_recorded_losses.py')


def record_entry_point():
  flags.DEFINE_string('variant', 'default', 'Name of this recording (file name part).')
  flags.DEFINE_integer('record_steps', 20, 'Iterations to record.', lower_bound=1)
  flags.DEFINE_string('out', '', 'Output path (default recorded/<model>-<variant>-<device>.json; '
                      'with --all a directory, default recorded/).')
  flags.DEFINE_bool('all', False, 'Record every configuration recorded/ holds (its stored '
                    'overrides and steps) on this machine: a baseline for a device kind the '
                    'repository has no files for (a GPU, an ARM or AVX-only CPU).')
  flags.DEFINE_bool('isa_spread', False, 'Replay every stored configuration with oneDNN capped at '
                    'each instruction set (native, AVX2, AVX) and write their relative spread per '
                    'step (default recorded/spread/<kind>.json): the tolerance of the '
                    'GPU-vs-CPU agreement test.')
  run(_record_main)


_CRASHTEST_FLAGS = ('--kills=', '--crash_seed=', '--work_dir=')


def _crashtest_main():
  import tempfile  # pylint: disable=import-outside-toplevel
  from graphgan.engine import crashtest  # pylint: disable=import-outside-toplevel
  model_cls, overrides = model_overrides()
  make_config(model_cls.Config, overrides)
  if 'run_dir' in overrides:
    raise UserError('--run_dir: bin/crashtest makes its own run directories (see --work_dir)')
  train_flags = [a for a in sys.argv[1:] if not a.startswith(_CRASHTEST_FLAGS)]
  work_dir = FLAGS.work_dir or tempfile.mkdtemp(prefix=f'crashtest-{model_cls.name}-')
  print(f'bin/crashtest: {model_cls.name}, {FLAGS.kills} kills, work dir {work_dir}', flush=True)
  cycles = crashtest.main(train_flags, FLAGS.kills, FLAGS.crash_seed, work_dir,
                          log=lambda line: print(line, flush=True))
  kills = sum(c[0] for c in cycles)
  identical = sum(c[0] for c in cycles if not c[2])
  print(f'{model_cls.name}: {kills} kills in {len(cycles)} run(s); runs bit-identical to the '
        f'uninterrupted one: {sum(1 for c in cycles if not c[2])}/{len(cycles)} '
        f'(covering {identical}/{kills} kills)')
  if identical != kills:
    sys.exit(1)


def crashtest_entry_point():
  flags.DEFINE_integer('kills', 20, 'SIGKILLs to land in all.', lower_bound=1)
  flags.DEFINE_integer('crash_seed', 0, 'Seed of the kill instants and fault points.')
  flags.DEFINE_string('work_dir', '', 'Where the reference and subject run dirs go (default: '
                      'a new temporary directory).')
  run(_crashtest_main)


def _device_report_main():
  from graphgan.engine import device_report  # pylint: disable=import-outside-toplevel
  out = FLAGS.out
  try:
    os.makedirs(out, exist_ok=True)
  except OSError as error:
    raise UserError(f'--out={out}: cannot create this directory ({error.strerror})') from None
  text = device_report.run(out, FLAGS.bench_iterations, FLAGS.dry_run,
                           log=lambda line: print(line, flush=True))
  print(text, end='')
  print(f'written to {os.path.join(out, "report.md")}')


def device_report_entry_point():
  flags.DEFINE_string('out', 'runs/device_report', 'Directory of the report and its logs.')
  flags.DEFINE_integer('bench_iterations', 4, 'Timed iterations per bench round.', lower_bound=1)
  flags.DEFINE_bool('dry_run', False, 'Print the machine and the steps, run none of them.')
  run(_device_report_main)
