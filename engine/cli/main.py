"""The ``bin/*`` entry points: train, bench, record_losses, crashtest, device_report (``bin/sample``
is ``cli/sample.py``). Each runs under ``run()``: a UserError anywhere is one line and exit 2."""
import os
import signal
import sys

from absl import app, flags, logging

from graphgan.engine.cli.flags import (FLAGS, config_from_flags, fail, model_flag_names,
                                       model_overrides, parse, program_line)
from graphgan.engine.cluster import spec as cluster
from graphgan.engine.config import make_config
from graphgan.engine.errors import Stopped, UserError


def run(main):
  """``app.run(main)`` with our parser; a UserError anywhere becomes one line + exit 2."""
  def guarded(argv):
    try:
      if len(argv) > 1:
        raise UserError(f'unexpected arguments: {" ".join(argv[1:])}')
      return main()
    except UserError as error:
      fail(str(error))
    except Stopped as stopped:
      program_line(str(stopped))
      sys.exit(128 + stopped.signum)
    except KeyboardInterrupt:
      program_line('interrupted; a training run continues from its newest checkpoint when the '
                    'same command is run again')
      sys.exit(128 + signal.SIGINT)
  app.run(guarded, flags_parser=parse)


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


def _train_main():
  from graphgan.engine.run import loop  # pylint: disable=import-outside-toplevel
  logging.set_verbosity(logging.INFO)
  node = cluster.from_flags()
  model_cls, config = config_from_flags()
  if node:
    # pylint: disable-next=import-outside-toplevel
    from graphgan.engine.cluster import train as cluster_train
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


def _bench_main():
  from graphgan.engine.tools import bench  # pylint: disable=import-outside-toplevel
  if not FLAGS.bench_log:
    logging.set_verbosity(logging.WARNING)   # the table, not the training runs' progress lines
  model_cls, overrides = model_overrides()
  if overrides.get('data') in ('folder', 'npz', 'hdf5'):
    from graphgan.engine.tools import data_bench  # pylint: disable=import-outside-toplevel
    make_config(model_cls.Config, overrides)          # one line for bad flags, before children
    sizes = [int(s) for s in FLAGS.bench_chunk_sizes.split(',') if s.strip()] or \
        list(dict.fromkeys([overrides.get('data_chunk_size', 0), 1000, 0]))
    data_bench.bench_data(model_cls.name, dict(overrides, run_dir=os.devnull),
                          FLAGS.bench_iterations, sizes)
    return
  bench.run(model_cls.name, iterations=FLAGS.bench_iterations, rounds=FLAGS.bench_rounds,
            **overrides)


def bench_entry_point():
  flags.DEFINE_integer('bench_iterations', 20, 'Timed iterations per round.', lower_bound=1)
  flags.DEFINE_integer('bench_rounds', 3, 'Interleaved rounds.', lower_bound=1)
  flags.DEFINE_bool('bench_log', False, 'Also print the progress lines of the runs it times.')
  flags.DEFINE_string('bench_chunk_sizes', '', 'With --data=folder|npz|hdf5: the --data_chunk_size '
                      'values to measure, comma separated (0 = the whole set; default: '
                      '--data_chunk_size, 1000, 0).')
  run(_bench_main)


def _record_main():
  from graphgan.engine.tools import recorded  # pylint: disable=import-outside-toplevel
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
  given = [name for name in ['model', 'variant', 'record_steps', 'isa_spread'] + model_flag_names()
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
  from graphgan.engine.tools import crashtest  # pylint: disable=import-outside-toplevel
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
  from graphgan.engine.tools import device_report  # pylint: disable=import-outside-toplevel
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
