"""``bin/sample``: draw samples from a run directory's newest export (or a named HDF5 file)."""
import dataclasses
import os

from absl import flags

from graphgan.engine import files, registry
from graphgan.engine.cli.flags import FLAGS, config_from_flags, model_overrides
from graphgan.engine.cli.main import output_path, run
from graphgan.engine.config import config_class, make_config
from graphgan.engine.errors import UserError


def _sample_main():
  from graphgan.engine.run import exports, images, loop  # pylint: disable=import-outside-toplevel
  if FLAGS['run_dir'].present:
    model_cls, config = config_from_run_dir(FLAGS.run_dir)
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
    networks = model.keras_exports()
    if network not in networks:
      raise UserError(f'--network={network!r}: model {model_cls.name} exports '
                      f'{", ".join(networks) or "no Keras networks"}')
    if network != model.sample_export:
      raise UserError(f'--network={network}: model {model_cls.name} draws its samples with '
                      f'its {model.sample_export!r} network; weights of {network!r} '
                      'would leave it untrained (the picture would be noise)')
    weights = FLAGS.weights or _newest_export(FLAGS.run_dir, network)
    session.prepare()
    with session.graph.as_default():
      exports.load_keras_weights(networks[network], weights)
      samples = model.sample(session.sess, FLAGS.num_samples)
    sample_kind = model.sample_kind
  finally:
    session.close()
  data, _ = images.sample_png(samples, sample_kind, os.path.basename(weights))
  try:
    files.atomic_write(out, data)
  except OSError as error:
    raise UserError(f'--out={FLAGS.out}: {files.os_error_message(error, out)}') from None
  print(f'wrote {FLAGS.out}: {len(samples)} samples from {weights}')


def config_from_run_dir(run_dir):
  """(model class, config) from ``<run_dir>/flags.txt``; model flags given here override it."""
  from graphgan.engine.run import rundir  # pylint: disable=import-outside-toplevel
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


def sample_entry_point():
  flags.DEFINE_string('weights', None, 'HDF5 weights written by a run (weights/g_<e>epoch.h5); '
                      'with --run_dir, default: the run\'s newest export.')
  flags.DEFINE_string('network', '', 'Which exported network the weights belong to (default: '
                      'the one the model draws samples with: g, or g_ema with '
                      '--generator_ema_decay).')
  flags.DEFINE_string('out', 'samples.png', 'PNG to write.')
  flags.DEFINE_integer('num_samples', 64, 'Samples in the grid.', lower_bound=1)
  run(_sample_main)
