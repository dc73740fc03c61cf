"""absl flags for every registered model, parsed with one-line errors; the ``bin/*`` entry points.

Every field of every model's Config becomes one absl flag whose absl default is ``None``: a flag
given (command line or ``--flagfile``, nested too) overrides the chosen model's documented
default; a flag that belongs only to other models is an error. ``--helpfull`` lists them all
with each model's default.
"""
import dataclasses
import sys

from absl import app, flags, logging

import engine  # noqa: F401  (compat first)
from engine import cluster, registry
from engine.config import make_config
from engine.errors import UserError

FLAGS = flags.FLAGS
_TYPES = {int: flags.DEFINE_integer, float: flags.DEFINE_float, bool: flags.DEFINE_bool,
          str: flags.DEFINE_string}
_DEFINED = {}   # flag name -> python type


def define_flags():
  """Define --model and one flag per config field of every registered model (idempotent)."""
  cluster.define_flags()
  if 'model' not in FLAGS:
    flags.DEFINE_string('model', None, f'Training style to run: {", ".join(registry.names())}.')
  per_flag = {}
  for name, model_cls in registry.all_models().items():
    for field in dataclasses.fields(model_cls.Config):
      per_flag.setdefault(field.name, []).append((name, field))
  for flag_name, owners in sorted(per_flag.items()):
    if flag_name in _DEFINED or flag_name in FLAGS:
      continue
    field = owners[0][1]
    kinds = {f.type if isinstance(f.type, type) else eval(f.type) for _, f in owners}  # pylint: disable=eval-used
    if len(kinds) != 1:
      raise TypeError(f'flag --{flag_name} has different types across models: {kinds}')
    kind = kinds.pop()
    defaults = {repr(f.default) for _, f in owners}
    if len(defaults) == 1:
      default_text = f'default {defaults.pop()}'
    else:
      default_text = 'defaults: ' + ', '.join(f'{m}={f.default!r}' for m, f in owners)
    choices = field.metadata.get('choices')
    help_text = f'{field.metadata["help"]} ({default_text})'
    if choices:
      flags.DEFINE_enum(flag_name, None, list(choices), help_text)
    else:
      _TYPES[kind](flag_name, None, help_text)
    _DEFINED[flag_name] = kind


def parse(argv):
  """absl's parser, but every flag error is one line on stderr and exit code 2."""
  define_flags()
  try:
    return FLAGS(argv)
  except flags.Error as error:
    _fail(f'{error}'.splitlines()[0])


def config_from_flags():
  """(model class, validated config) from the parsed flags."""
  model_cls, overrides = model_overrides()
  return model_cls, make_config(model_cls.Config, overrides)


def model_overrides():
  """(model class, {flag: value} of the model flags given); a foreign flag is a UserError."""
  if not FLAGS.model:
    raise UserError(f'--model is required; choose one of: {", ".join(registry.names())}')
  model_cls = registry.get(FLAGS.model)
  fields = {f.name for f in dataclasses.fields(model_cls.Config)}
  overrides = {}
  for name in _DEFINED:
    if not FLAGS[name].present:
      continue
    if name not in fields:
      owners = [m for m, c in registry.all_models().items()
                if name in {f.name for f in dataclasses.fields(c.Config)}]
      raise UserError(f'--{name} is not a flag of model {FLAGS.model!r} '
                      f'(it belongs to: {", ".join(owners)})')
    overrides[name] = FLAGS[name].value
  return model_cls, overrides


def config_as_flags(model_cls, config):
  """The resolved config as flag-file lines (what ``run_dir/flags.txt`` holds)."""
  lines = [f'--model={model_cls.name}']
  for field in dataclasses.fields(config):
    value = getattr(config, field.name)
    if isinstance(value, bool):
      lines.append(f'--{field.name}' if value else f'--no{field.name}')
    else:
      lines.append(f'--{field.name}={value}')
  return '\n'.join(lines) + '\n'


def _fail(message, program=None):
  program = program or (sys.argv[0].rsplit('/', 1)[-1] if sys.argv else 'graphgan')
  print(f'{program}: error: {message}', file=sys.stderr)
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
  app.run(guarded, flags_parser=parse)


def _train_main():
  import os  # pylint: disable=import-outside-toplevel
  from engine import loop  # pylint: disable=import-outside-toplevel
  logging.set_verbosity(logging.INFO)
  node = cluster.from_flags()
  model_cls, config = config_from_flags()
  if node and not node.is_chief:   # a ps or non-chief worker writes nothing
    from engine import cluster_train  # pylint: disable=import-outside-toplevel
    cluster_train.train(model_cls, config, node)
    return
  run_dir = loop.run_dir_of(model_cls, config)
  os.makedirs(run_dir, exist_ok=True)
  with open(os.path.join(run_dir, 'flags.txt'), 'w') as handle:
    handle.write(config_as_flags(model_cls, config))
  if node:
    from engine import cluster_train  # pylint: disable=import-outside-toplevel
    result = cluster_train.train(model_cls, config, node)
  else:
    result = loop.train(model_cls, config)
  logging.info('Done: steps %d..%d in %s (checkpoint %s)', result.first_step, result.last_step,
               run_dir, result.checkpoint)


def train_entry_point():
  run(_train_main)


def _sample_main():
  from engine import checkpoint, images, loop  # pylint: disable=import-outside-toplevel
  model_cls, config = config_from_flags()
  session = loop.Session(model_cls, config)
  try:
    session.prepare()
    exports = session.model.keras_exports()
    if FLAGS.network not in exports:
      raise UserError(f'--network={FLAGS.network!r}: model {model_cls.name} exports '
                      f'{", ".join(exports) or "no Keras networks"}')
    with session.graph.as_default():
      checkpoint.load_keras_weights(exports[FLAGS.network], FLAGS.weights)
      samples = session.model.sample(session.sess, FLAGS.num_samples)
  finally:
    session.close()
  data, _ = images.sample_png(samples, model_cls.sample_kind, FLAGS.weights)
  with open(FLAGS.out, 'wb') as handle:
    handle.write(data)
  print(f'wrote {FLAGS.out}: {len(samples)} samples from {FLAGS.weights}')


def sample_entry_point():
  flags.DEFINE_string('weights', None, 'HDF5 weights written by a run (weights/g_<e>epoch.h5).')
  flags.DEFINE_string('network', 'g', 'Which exported network the weights belong to.')
  flags.DEFINE_string('out', 'samples.png', 'PNG to write.')
  flags.DEFINE_integer('num_samples', 64, 'Samples in the grid.', lower_bound=1)
  flags.mark_flag_as_required('weights')
  run(_sample_main)


def _bench_main():
  from engine import bench  # pylint: disable=import-outside-toplevel
  model_cls, overrides = model_overrides()
  bench.run(model_cls.name, iterations=FLAGS.bench_iterations, rounds=FLAGS.bench_rounds,
            **overrides)


def bench_entry_point():
  flags.DEFINE_integer('bench_iterations', 20, 'Timed iterations per round.', lower_bound=1)
  flags.DEFINE_integer('bench_rounds', 3, 'Interleaved rounds.', lower_bound=1)
  run(_bench_main)


def _record_main():
  from engine import recorded  # pylint: disable=import-outside-toplevel
  model_cls, overrides = model_overrides()
  make_config(model_cls.Config, overrides)          # validate before a long recording
  for name in ('run_dir', 'train_steps', 'resume'):
    overrides.pop(name, None)
  command = ' '.join(['bin/record_losses'] + [a for a in sys.argv[1:]])
  recording = recorded.record(model_cls.name, overrides, FLAGS.record_steps, FLAGS.variant,
                              command)
  path = FLAGS.out or recorded.default_path(model_cls.name, FLAGS.variant)
  recorded.write(recording, path)
  print(f'wrote {path}: {FLAGS.record_steps} steps of {", ".join(recording["losses"])} '
        f'on {recording["device_kind"]}')


def record_entry_point():
  flags.DEFINE_string('variant', 'default', 'Name of this recording (file name part).')
  flags.DEFINE_integer('record_steps', 20, 'Iterations to record.', lower_bound=1)
  flags.DEFINE_string('out', '', 'Output path (default recorded/<model>-<variant>-<device>.json).')
  run(_record_main)
