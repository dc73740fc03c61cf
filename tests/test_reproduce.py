"""bin/reproduce: runs are ordinary run directories trained by bin/train; a re-run resumes the
unfinished ones and skips the finished ones; results, tables and pages come from the run dirs."""
import dataclasses
import json
import os
import re
import subprocess
import sys

import pytest

from graphgan.engine import cli
from graphgan.experiments import catalog, estimate, flagfiles, plots, report, runner

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAG_FILES = sorted(f for f in os.listdir(os.path.join(ROOT, 'flags')) if f.endswith('.cfg'))


def _reproduce(tmp_path, *extra):
  command = [sys.executable, os.path.join(ROOT, 'bin', 'reproduce'), '--experiment=smoke',
             f'--runs_dir={tmp_path / "runs"}', f'--results_dir={tmp_path / "results"}',
             f'--docs_dir={tmp_path / "docs"}', '--processes=2', *extra]
  done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=None,
                        check=False)
  assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
  with open(tmp_path / 'results' / 'smoke.json') as handle:
    return done.stdout, json.load(handle)


def _ledger(tmp_path):
  with open(tmp_path / 'runs' / 'smoke' / 'ledger.json') as handle:
    return json.load(handle)


@pytest.mark.slow
def test_reproduce_trains_then_resumes_then_skips(tmp_path):
  out, first = _reproduce(tmp_path, '--max_iterations=10')
  assert [(r['name'], r['iterations'], r['finished']) for r in first['runs']] == \
      [('ring-tiny-seed0', 10, False), ('ring-tiny-seed1', 10, False)]

  out, second = _reproduce(tmp_path)
  assert 'ring-tiny-seed0: resuming from checkpoint 10 -> 20 iterations' in out
  for run in second['runs']:
    run_dir = tmp_path / 'runs' / 'smoke' / run['name']
    log = (tmp_path / 'runs' / 'smoke' / 'logs' / f'{run["name"]}.log').read_text()
    assert f'Resumed {run_dir} at step 10' in log
    steps = [int(line.split(',')[0]) for line in (run_dir / 'losses.csv').read_text().split()[1:]]
    assert steps == list(range(1, 21))
    assert run['iterations'] == 20 and run['finished'] and run['dataset'] == 'ring'
    assert run['model'] == 'unrolled_gan' and run['flags']['seed'] == run['seed']
    assert run['flags']['generator_hidden_units'] == 16 and run['flags']['train_steps'] == 20
    assert [row['step'] for row in run['metrics']['over_training']] == [10, 20]
    assert set(run['metrics']['final']) >= {'modes', 'high_quality', 'reverse_kl'}
    assert run['wall_seconds'] > 0
  attempts = {name: len(entry['attempts']) for name, entry in _ledger(tmp_path).items()}
  for name, entry in _ledger(tmp_path).items():       # each attempt's start, as its log header
    log = (tmp_path / 'runs' / 'smoke' / 'logs' / f'{name}.log').read_text()
    headers = [line.split()[1] for line in log.splitlines() if line.startswith('=== ')]
    assert [attempt['started'] for attempt in entry['attempts']] == headers

  out, third = _reproduce(tmp_path)
  assert out.count('finished (20 iterations), skipped') == 2
  assert {name: len(e['attempts']) for name, e in _ledger(tmp_path).items()} == attempts
  assert third['runs'] == second['runs']
  table = (tmp_path / 'results' / 'smoke.md').read_text()
  assert '| ring k=5 tiny | 2/2 | 20 |' in table
  assert all((tmp_path / 'docs' / 'img' / f'smoke_{kind}.png').exists()
             for kind in ('scatter_ring', 'metrics', 'losses'))


def test_list_and_a_wrong_experiment_from_the_command_line(tmp_path):
  def run(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, 'bin', 'reproduce'), *args,
                           f'--runs_dir={tmp_path}'], cwd=tmp_path, capture_output=True, text=True,
                          timeout=None, check=False)
  listed = run('--list', '--experiment=smoke')
  assert listed.returncode == 0, listed.stderr[-2000:]
  assert re.search(r'^smoke +2 +\d+\.\d h$', listed.stdout, re.M), listed.stdout
  wrong = run('--experiment=nope')
  assert wrong.returncode == 2
  errors = [line for line in wrong.stderr.splitlines() if line.startswith('reproduce:')]
  assert errors == ["reproduce: error: --experiment='nope' is not an experiment; choose one of: "
                    + ', '.join(catalog.EXPERIMENTS)] and 'Traceback' not in wrong.stderr


def _smoke_plan(tmp_path):
  return runner.plan(catalog.SMOKE, str(tmp_path / 'smoke'))


def test_run_dir_with_other_flags_is_not_run_but_schedule_changes_are_fine(tmp_path):
  planned = _smoke_plan(tmp_path)[0]
  os.makedirs(planned.run_dir)

  def write(config):
    with open(os.path.join(planned.run_dir, 'flags.txt'), 'w') as handle:
      handle.write(cli.config_as_flags(planned.model_cls, config))
  write(planned.config.replace(eval_every_steps=3, train_steps=7, save_every_steps=2))
  assert runner.flag_mismatch(planned) == ''
  write(planned.config.replace(batch_size=32))
  assert '--batch_size=32' in runner.flag_mismatch(planned)
  assert '--batch_size=64' in runner.flag_mismatch(planned)


def test_every_experiment_resolves_to_its_documented_lengths(tmp_path):
  lengths = {}
  for experiment in catalog.EXPERIMENTS.values():
    for planned in runner.plan(experiment, str(tmp_path / experiment.name)):
      lengths.setdefault((experiment.name, planned.run.group), set()).add(
          planned.config.train_steps)
  assert lengths[('unrolled_gan', 'grid k=0')] == {25000}          # flags/unrolled_gan.cfg
  assert lengths[('unrolled_gan_differentiable', 'ring k=5 differentiable')] == {25000}
  assert lengths[('wgan_gp_toy', 'grid')] == {100000}                # gan_toy.py ITERS
  assert lengths[('wgan_gp_toy_gdpp', 'ring')] == {25000}           # GDPP's protocol
  assert lengths[('dcgan', 'v1')] == {20000} and lengths[('dcgan', 'v2')] == {2000}
  assert lengths[('wgan_shapes', 'wgan_gp')] == {10000}


def test_wgan_one_knob_group_differs_from_documented_only_in_generator_rate(tmp_path):
  configs = {planned.run.name: dataclasses.asdict(planned.config)
             for planned in runner.plan(catalog.EXPERIMENTS['wgan_shapes'], str(tmp_path))}
  documented, one_knob, paper = (configs[f'{name}-seed0'] for name in
                                 ('wgan', 'wgan-g5e-5', 'wgan-paper'))
  differ = {k for k in documented if k != 'run_dir' and documented[k] != one_knob[k]}
  assert differ == {'learning_rate_g'}
  assert one_knob['learning_rate_g'] == paper['learning_rate_g'] == 5 * documented['learning_rate_g']


def test_runs_of_a_group_differ_only_in_seed_and_run_dir(tmp_path):
  for experiment in catalog.EXPERIMENTS.values():
    configs = {}
    for planned in runner.plan(experiment, str(tmp_path / experiment.name)):
      settings = dataclasses.asdict(planned.config)
      configs.setdefault(planned.run.group, []).append(
          {k: v for k, v in settings.items() if k not in ('seed', 'run_dir')})
    for group, settings in configs.items():
      assert all(s == settings[0] for s in settings), (experiment.name, group)
      assert len(settings) == len({r.seed for r in experiment.runs if r.group == group})


@pytest.mark.parametrize('name', FLAG_FILES)
def test_flag_file_reader_agrees_with_absl(name):
  """The harness resolves flag files with the engine's own parser semantics."""
  cli.define_flags()
  path = os.path.join('flags', name)
  model_cls, values = flagfiles.values([f'--flagfile={path}'], path)
  args = flagfiles.expand([f'--flagfile={path}'])
  expected = {}
  for arg in args:
    flag, _, text = arg[2:].partition('=')
    if flag not in cli.FLAGS and flag.startswith('no'):
      flag, text = flag[2:], 'false'
    if flag != 'model':
      expected[flag] = cli.FLAGS[flag].parser.parse(text or 'true')
  assert values == expected and model_cls.name in name


@pytest.mark.parametrize('run', [r for e in catalog.EXPERIMENTS.values() for r in e.runs
                                 if r.seed == 0 and e.name != 'smoke'], ids=lambda r: r.name)
def test_a_runs_flags_txt_reads_back_as_the_config_it_trained(run, tmp_path):
  """What ``bin/train`` writes to ``flags.txt`` (model Config plus the data source's settings,
  e.g. ``--ring_modes`` of a wgan_gp run with ``--data=ring``) reads back whole: the report of
  the wgan_gp_toy slice to 5,000 failed on exactly that after its six runs had trained."""
  args = [f'--flagfile={run.flagfile}', f'--seed={run.seed}'] + [f'--{k}={v}' for k, v in run.flags]
  model_cls, config = flagfiles.resolve(args, run.name)
  path = tmp_path / 'flags.txt'
  path.write_text(cli.config_as_flags(model_cls, config))
  name, values = flagfiles.read_flags_txt(str(path))
  assert name == model_cls.name and values == dataclasses.asdict(config)


def test_list_estimate_is_timed_once_then_cached(tmp_path, monkeypatch):
  runs, seconds, timings = estimate.estimate(catalog.SMOKE, str(tmp_path))
  assert runs == 2 and seconds > 0 and set(timings) == {'ring k=5 tiny'}
  assert timings['ring k=5 tiny']['iteration'] > 0
  monkeypatch.setattr(estimate, 'time_run', lambda planned: pytest.fail('timed again'))
  assert estimate.estimate(catalog.SMOKE, str(tmp_path))[1] == seconds


def _record(group, seed, iterations, target, modes, wall=60.0):
  return dict(name=f'{group}-{seed}', group=group, seed=seed, iterations=iterations,
              target_iterations=target, finished=iterations >= target, wall_seconds=wall,
              threads=1, error='', metrics=dict(final=dict(modes=modes, high_quality=0.5,
                                                           reverse_kl='inf'), at={}, window={}))


def test_group_rows_average_finished_seeds_and_mark_unfinished_groups():
  experiment = dataclasses.replace(catalog.SMOKE, runs=catalog.SMOKE.runs + (
      dataclasses.replace(catalog.SMOKE.runs[0], name='other', group='other'),))
  records = [_record('ring k=5 tiny', 0, 20, 20, 6), _record('ring k=5 tiny', 1, 20, 20, 8),
             _record('other', 0, 12, 20, 3)]
  rows = report.group_rows(experiment, records)
  assert rows[2] == '| ring k=5 tiny | 2/2 | 20 | 7 ± 1 | 50 ± 0 | – (2 inf) | 1.0 min |'
  assert rows[3] == '| other | 0/1 | 12 of 20 (unfinished) | 3 | 50 | – (1 inf) | – |'


def test_progress_table_gives_each_group_at_each_reached_iteration():
  """Steps no run reached are left out; a seed not yet evaluated at a step is counted apart; a
  step evaluated twice (a resumed run) counts its last row."""
  experiment = dataclasses.replace(
      catalog.SMOKE, progress=('modes',), progress_steps=(10, 20, 30))
  seed0, seed1 = _record('ring k=5 tiny', 0, 20, 20, 6), _record('ring k=5 tiny', 1, 10, 20, 4)
  seed0['metrics']['over_training'] = [dict(step=10, modes=2.0), dict(step=20, modes=3.0),
                                       dict(step=20, modes=5.0)]
  seed1['metrics']['over_training'] = [dict(step=10, modes=4.0)]
  assert report.progress_rows(experiment, [seed0, seed1]) == [
      'modes captured over training (mean ± std over seeds, at iteration):', '',
      '| group | 10 | 20 |', '|---|---|---|',
      '| ring k=5 tiny | 3 ± 1 | 5 (1 of 2 seeds) |', '']


def test_a_progress_metric_needs_its_final_column():
  """A progress table borrows label, scale and digits from the metric's ``final.<key>`` column."""
  with pytest.raises(ValueError, match='progress frechet has no final.<key> column'):
    dataclasses.replace(catalog.SMOKE, progress=('modes', 'frechet'))


def test_large_numbers_are_written_whole_not_in_exponent_form():
  assert report._summary([6530.4, 3686.0, 9374.8], 3) == '6,530 ± 2,322'  # pylint: disable=protected-access
  assert report._summary([0.000512], 3) == '0.000512'  # pylint: disable=protected-access
  assert report._summary([227.0, 177.0], 3) == '202 ± 25'  # pylint: disable=protected-access


@pytest.mark.parametrize('name', sorted(n for n, e in catalog.EXPERIMENTS.items() if e.pages))
def test_committed_pages_show_what_their_results_file_generates(name):
  """Each model page's generated section is what ``report.markdown`` makes of the committed
  ``docs/results/<name>.json``: no table or number in it is edited by hand or left stale."""
  experiment = catalog.EXPERIMENTS[name]
  with open(os.path.join(ROOT, 'docs', 'results', f'{name}.json')) as handle:
    result = json.load(handle)
  begin, end = report.markers(name)
  for page in experiment.pages:
    with open(os.path.join(ROOT, 'docs', page)) as handle:
      section = handle.read().split(begin + '\n')[1].split(end)[0]
    pictures = report.pictures_shown(section)
    expected = f'#### {experiment.title}\n\n' + report.markdown(
        experiment, result['runs'], result['references'], pictures, 'img/')
    undated = lambda text: re.sub(r'\(\d{4}-\d\d-\d\d\); do not edit', '(date); do not edit', text)
    assert undated(section) == undated(expected), f'docs/{page}: regenerate with ' \
        f'bin/reproduce --experiment={name} --notrain'


def test_page_section_between_markers_is_replaced_and_the_rest_kept(tmp_path):
  page = tmp_path / 'model.md'
  mark = report.MARK.format(name='smoke')
  page.write_text(f'# intro\n<!-- begin {mark} -->\nold\n<!-- end {mark} -->\nafter\n')
  report._update_page(str(page), catalog.SMOKE, 'new table\n', print)  # pylint: disable=protected-access
  assert page.read_text() == f'# intro\n<!-- begin {mark} -->\nnew table\n<!-- end {mark} -->\nafter\n'



def test_training_time_counts_every_process_of_a_run_also_a_killed_one(tmp_path):
  """A campaign killed with its runs never books their attempts; the event files still hold them."""
  from graphgan.engine.compat import tf, tf1   # pylint: disable=import-outside-toplevel
  from graphgan.experiments import collect   # pylint: disable=import-outside-toplevel
  for index, (start, end) in enumerate([(100.0, 130.0), (500.0, 510.5)]):
    # One event file per bin/train process (TFRecords of Event protos, as a FileWriter writes).
    with tf.io.TFRecordWriter(str(tmp_path / f'events.out.tfevents.{index}.vm')) as writer:
      for wall_time in (start, (start + end) / 2, end):
        writer.write(tf1.Event(wall_time=wall_time, step=1).SerializeToString())
  data = (tmp_path / 'events.out.tfevents.0.vm').read_bytes()
  (tmp_path / 'events.out.tfevents.2.vm').write_bytes(data + data[-20:-3])   # torn by a kill
  assert collect.training_seconds(str(tmp_path)) == pytest.approx(30.0 + 10.5 + 30.0)


def test_a_run_stopped_from_outside_reads_unfinished_and_a_failed_one_its_error():
  """Stopping a campaign (or a restart) is no failure: the same command resumes those runs."""
  base = dict(finished=False, iterations=7000)
  stopped = report._status(dict(base, error='exit -15: stopped by signal 15'))  # pylint: disable=protected-access
  assert stopped == 'unfinished (exit -15: stopped by signal 15; resumes)'
  failed = report._status(dict(base, error='train: error: --data_path: no such file'))  # pylint: disable=protected-access
  assert failed == 'train: error: --data_path: no such file'
  assert report._status(dict(base, error=None)) == 'unfinished'  # pylint: disable=protected-access


def test_coinciding_reference_lines_are_labelled_once():
  ceiling = 'untrained generator, seed 0 (ceiling)'
  references = {'real images (floor)': {'frechet': 4.71},
                f'wgan: {ceiling}': {'frechet': 2100.0}, f'wgan_gp: {ceiling}': {'frechet': 2110.0},
                'other': {'coverage': 1.0}}
  lines = plots._reference_lines(references, 'frechet')
  assert [label for _, label in lines] == ['real images (floor)', f'{ceiling} (2 groups)']
  assert lines[1][0] == pytest.approx(2105.0)


@pytest.mark.parametrize('name', sorted(n for n, e in catalog.EXPERIMENTS.items() if e.pages))
def test_a_campaign_short_of_its_length_says_why(name):
  """Acceptance of issue 12: a committed results file whose runs stop short of their length gives
  the reason (with the length reached in its table); the catalog's text is what the file records."""
  with open(os.path.join(ROOT, 'docs', 'results', f'{name}.json')) as handle:
    result = json.load(handle)
  experiment = catalog.EXPERIMENTS[name]
  if all(run['finished'] for run in result['runs']):
    assert result['shortfall'] == ''
    return
  assert len(experiment.shortfall) > 40, f'catalog: {name} stops short and does not say why'
  assert result['shortfall'] == experiment.shortfall, \
      f'regenerate with bin/reproduce --experiment={name} --from_results (or --notrain)'


def test_results_are_rewritten_from_the_recorded_file_with_the_catalogs_texts(tmp_path):
  """--from_results: the run dirs are gone; runs, references and pictures come from the recorded
  JSON and Markdown, the texts (here a new shortfall) from the catalog."""
  records = [_record('ring k=5 tiny', 0, 20, 20, 6), _record('ring k=5 tiny', 1, 10, 20, 4)]
  references = {'real ring samples (floor)': dict(modes=8.0, high_quality=1.0)}
  pictures = [('samples over training', 'smoke_scatter_ring.png')]
  results, docs = str(tmp_path / 'results'), str(tmp_path / 'docs')
  report._emit(catalog.SMOKE, records, references, pictures, results, docs, print)  # pylint: disable=protected-access
  experiment = dataclasses.replace(catalog.SMOKE, shortfall='Stopped at 10 of 20: a test.')
  report.rewrite(experiment, results, docs, print)
  with open(tmp_path / 'results' / 'smoke.json') as handle:
    result = json.load(handle)
  assert result['runs'] == records and result['references'] == references
  assert result['shortfall'] == 'Stopped at 10 of 20: a test.'
  table = (tmp_path / 'results' / 'smoke.md').read_text()
  assert table == '# ' + experiment.title + '\n\n' + report.markdown(
      experiment, records, references, pictures, '../docs/img/')
  assert '**Why short of the full length:** Stopped at 10 of 20: a test.' in table
  records[1].update(iterations=20, finished=True)
  report._emit(experiment, records, references, pictures, results, docs, print)  # pylint: disable=protected-access
  assert 'Why short' not in (tmp_path / 'results' / 'smoke.md').read_text()


def test_from_results_shows_a_group_the_catalog_gained_since_as_not_started(tmp_path):
  """A recorded file older than its experiment's catalog entry (here: a group added since) is
  rewritten with the new runs not started, not an IndexError traceback; no run dir is read."""
  results, docs = str(tmp_path / 'results'), str(tmp_path / 'docs')
  records = [dict(_record('ring k=5 tiny', seed, 20, 20, 6), name=f'ring-tiny-seed{seed}')
             for seed in (0, 1)]
  report._emit(catalog.SMOKE, records, {}, [], results, docs, print)  # pylint: disable=protected-access
  extra = dataclasses.replace(catalog.SMOKE.runs[0], name='wider-seed0', group='wider')
  experiment = dataclasses.replace(catalog.SMOKE, runs=catalog.SMOKE.runs + (extra,))
  (tmp_path / 'runs' / 'smoke' / 'wider-seed0').mkdir(parents=True)   # never read
  planned = runner.plan(experiment, str(tmp_path / 'runs' / 'smoke'))
  report.rewrite(experiment, results, docs, print, planned_runs=planned)
  with open(tmp_path / 'results' / 'smoke.json') as handle:
    result = json.load(handle)
  assert [r['name'] for r in result['runs']] == ['ring-tiny-seed0', 'ring-tiny-seed1',
                                                 'wider-seed0']
  assert result['runs'][:2] == records
  assert result['runs'][2]['iterations'] == 0 and result['runs'][2]['group'] == 'wider'
  assert '| wider | 0/1 | 0 of 20 |' in (tmp_path / 'results' / 'smoke.md').read_text()


def test_from_results_without_a_recorded_file_is_one_line(tmp_path):
  command = [sys.executable, os.path.join(ROOT, 'bin', 'reproduce'), '--experiment=smoke',
             '--from_results', f'--results_dir={tmp_path / "none"}', f'--docs_dir={tmp_path}']
  done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=None,
                        check=False)
  assert done.returncode == 2, done.stderr[-2000:]
  assert done.stderr.strip().splitlines() == [
      f'reproduce: error: --from_results: cannot read the recorded smoke results in '
      f'{tmp_path / "none"}: [Errno 2] No such file or directory: '
      f"'{tmp_path / 'none' / 'smoke.json'}'"]
