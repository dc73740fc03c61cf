"""``bin/reproduce``: train an experiment's runs (resuming and skipping), then write its results.

bin/reproduce --experiment=NAME [--processes=N] [--max_iterations=N] [--notrain] [--compare_with=FILE]
bin/reproduce --experiment=NAME --from_results
bin/reproduce --list [--experiment=NAME] [--retime]
"""
import os
import signal
import sys

from absl import app, flags

from graphgan.engine.compat import thread_variables
from graphgan.engine.errors import UserError
from graphgan.experiments import catalog

flags.DEFINE_string('experiment', None, f'Experiment to run: {", ".join(catalog.EXPERIMENTS)}.')
flags.DEFINE_bool('list', False, 'List the experiments with their runs and estimated CPU time '
                  '(times a few iterations of each configuration; cached in --runs_dir).')
flags.DEFINE_bool('retime', False, 'With --list: time again instead of using cached timings.')
flags.DEFINE_integer('processes', 1, 'Runs trained at once (one bin/train process each).',
                     lower_bound=1)
flags.DEFINE_integer('threads_per_run', 1, 'TensorFlow threads of each run (0 = TensorFlow '
                     'decides: all cores).', lower_bound=0)
flags.DEFINE_integer('max_iterations', 0, 'Train each run to at most N iterations this time '
                     '(a campaign in slices; 0 = to its full length).', lower_bound=0)
flags.DEFINE_bool('train', True, 'Train (start, resume) unfinished runs; --notrain only writes the '
                  'results from the run directories as they are.')
flags.DEFINE_bool('from_results', False, 'Trains nothing, reads no run dir: writes the results, '
                  'Markdown and page sections again from the recorded <results_dir>/NAME.json '
                  '(after a change to the report or an experiment\'s texts, when the run dirs are '
                  'gone with a machine).')
flags.DEFINE_string('runs_dir', 'runs/experiments', 'Run directories: <runs_dir>/<experiment>/<run>.')
flags.DEFINE_string('results_dir', 'docs/results', 'Where <experiment>.json and .md are written.')
flags.DEFINE_string('docs_dir', 'docs', 'Model pages (generated sections) and img/ for the plots.')
flags.DEFINE_string('compare_with', None, 'A results file (or a directory holding <experiment>.json), '
                    'e.g. the committed docs/results: say, per run, whether the evaluations both '
                    'hold agree (exit 1 if one differs). For a rebuild into another --results_dir.')
FLAGS = flags.FLAGS


def _thread_environment(threads):
  """This process's own timing and reference runs use the runs' thread count too."""
  os.environ.update(thread_variables(threads))


def list_experiments(names, runs_dir, retime):
  """One row per experiment, printed as soon as it is known: from the cached timings at once, a
  configuration not timed yet is timed first (a line says so)."""
  from graphgan.experiments import estimate  # pylint: disable=import-outside-toplevel
  rows = []
  print(f'{"experiment":<30} {"runs":>5} {"estimated CPU time":>20}', flush=True)
  for name in names:
    runs, seconds, _ = estimate.estimate(catalog.get(name), runs_dir, retime,
                                         log=lambda line: print(line, flush=True))
    rows.append((name, runs, seconds))
    print(f'{name:<30} {runs:>5} {seconds / 3600:>18.1f} h', flush=True)
  print(f'{"total":<30} {sum(r[1] for r in rows):>5} '
        f'{sum(r[2] for r in rows) / 3600:>18.1f} h')


def reproduce(name, runs_dir, results_dir, docs_dir):
  """Train (unless --notrain) and report one experiment; returns the failed runs' errors."""
  from graphgan.experiments import report, runner  # pylint: disable=import-outside-toplevel
  experiment = catalog.get(name)
  if FLAGS.from_results:
    report.rewrite(experiment, results_dir, docs_dir,
                   planned_runs=runner.plan(experiment, os.path.join(runs_dir, name)))
    return {}
  experiment_dir = os.path.join(runs_dir, name)
  holder = runner.lock(experiment_dir)
  try:
    planned = runner.plan(experiment, experiment_dir)
    errors = {}
    if FLAGS.train:
      errors = runner.train(experiment, planned, experiment_dir, FLAGS.processes,
                            FLAGS.threads_per_run, FLAGS.max_iterations)
    report.write(experiment, planned, runner.Ledger(experiment_dir), results_dir, docs_dir)
    return errors
  finally:
    holder.close()


def compare(results_path, recorded_path):
  """Print whether ``results_path`` agrees with the recorded results; True if all of it does."""
  from graphgan.experiments import agreement  # pylint: disable=import-outside-toplevel
  try:
    lines, agree = agreement.compare_files(results_path, recorded_path)
  except (OSError, ValueError) as error:
    raise UserError(f'--compare_with: cannot read {recorded_path}: {error}') from None
  print(f'compared with {recorded_path}:')
  for line in lines:
    print(f'  {line}')
  return agree


def _interrupt(signum, frame):
  """SIGTERM stops the runs like Ctrl-C does (they resume when the command is run again)."""
  del signum, frame
  raise KeyboardInterrupt


def main(argv):
  signal.signal(signal.SIGTERM, _interrupt)
  if len(argv) > 1:
    sys.exit(f'reproduce: error: unexpected arguments: {" ".join(argv[1:])}')
  _thread_environment(FLAGS.threads_per_run)
  runs_dir, results_dir, docs_dir = (os.path.abspath(p) for p in
                                     (FLAGS.runs_dir, FLAGS.results_dir, FLAGS.docs_dir))
  try:
    if FLAGS.list:
      list_experiments([FLAGS.experiment] if FLAGS.experiment else list(catalog.EXPERIMENTS),
                       runs_dir, FLAGS.retime)
      return
    if not FLAGS.experiment:
      raise UserError('--experiment is required (or --list); choose one of: '
                      f'{", ".join(catalog.EXPERIMENTS)}')
    errors = reproduce(FLAGS.experiment, runs_dir, results_dir, docs_dir)
    differ = False
    if FLAGS.compare_with:
      differ = not compare(os.path.join(results_dir, FLAGS.experiment + '.json'),
                           FLAGS.compare_with)
  except UserError as error:
    print(f'reproduce: error: {error}', file=sys.stderr)
    sys.exit(2)
  except KeyboardInterrupt:
    if FLAGS.list:
      print('reproduce: interrupted; the configurations timed so far are cached in '
            f'{os.path.join(runs_dir, "timings.json")} and not timed again', file=sys.stderr)
    else:
      print('reproduce: interrupted; the same command resumes the unfinished runs',
            file=sys.stderr)
    sys.exit(130)
  if errors:
    print(f'reproduce: {len(errors)} run(s) did not finish: {", ".join(sorted(errors))} '
          '(see the logs; re-run the same command to resume)', file=sys.stderr)
  if differ:
    print(f'reproduce: the results differ from {FLAGS.compare_with}', file=sys.stderr)
  if errors or differ:
    sys.exit(1)


def entry_point():
  app.run(main)
