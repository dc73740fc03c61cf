"""bin/reproduce --compare_with: a re-run's evaluations against a recorded results file."""
import copy
import json
import os
import subprocess
import sys

from graphgan.experiments import agreement
from graphgan.engine.compat import module_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _results():
  rows = [dict(step=500, coverage=1.0, frechet=1986.2105325778064),
          dict(step=1000, coverage=1.0, frechet=2883.653292569947)]
  return dict(references={'floor': dict(coverage=4, frechet=4.713941844741839)},
              runs=[dict(name='wgan-seed0', metrics=dict(over_training=rows)),
                    dict(name='wgan-seed1', metrics=dict(over_training=rows[:1]))])


def test_a_rebuild_within_the_measured_noise_agrees():
  """The differences measured between two machines (rows 4.4e-10 relative, the floor 6.1e-6
  absolute) agree; each run says which iterations were compared."""
  recorded, rebuilt = _results(), _results()
  rebuilt['references']['floor']['frechet'] = 4.713947959742654
  rebuilt['runs'][0]['metrics']['over_training'][1]['frechet'] = 2883.6532918830926
  lines, agree = agreement.compare(rebuilt, recorded)
  assert agree, lines
  assert lines == ['references: agrees (2 values; largest difference 6.1e-06)',
                   'wgan-seed0 at iterations 500..1000: agrees (4 values; largest difference '
                   '6.9e-07)',
                   'wgan-seed1 at iteration 500: agrees (2 values; largest difference '
                   '0.0e+00)']


def test_a_diverged_value_is_named_with_run_iteration_and_metric():
  recorded = _results()
  rebuilt = copy.deepcopy(recorded)
  rebuilt['runs'][0]['metrics']['over_training'][1]['frechet'] = 2883.66   # 0.006 off
  lines, agree = agreement.compare(rebuilt, recorded)
  assert not agree
  assert lines[1].startswith('wgan-seed0 at iterations 500..1000: DIFFERS at iteration 1000: '
                             'frechet 2883.66 now, 2883.653292569947 recorded')
  rebuilt = copy.deepcopy(recorded)
  rebuilt['references']['floor']['frechet'] = 5.9263789502892905   # another classifier's floor
  lines, agree = agreement.compare(rebuilt, recorded)
  assert not agree and lines[0].startswith('references: DIFFERS at floor: frechet 5.926')


def test_runs_or_rows_the_record_lacks_are_said_not_compared():
  recorded, rebuilt = _results(), _results()
  recorded['runs'] = recorded['runs'][:1]
  rebuilt['runs'][1]['metrics']['over_training'] = [dict(step=1500, frechet=1.0)]
  rebuilt['runs'].append(dict(name='wgan-seed9', metrics=dict(over_training=[])))
  recorded['runs'].append(dict(name='wgan-seed9', metrics=dict(over_training=[dict(step=5)])))
  lines, agree = agreement.compare(rebuilt, recorded)
  assert agree
  assert lines[2:] == ['wgan-seed1: not in the recorded results',
                       'wgan-seed9: nothing in common to compare']


def _reproduce(tmp_path, runs, *extra):
  command = [sys.executable, os.path.join(ROOT, 'bin', 'reproduce'), '--experiment=smoke',
             f'--runs_dir={tmp_path / runs}', f'--results_dir={tmp_path / runs / "results"}',
             f'--docs_dir={tmp_path / runs / "docs"}', '--processes=2', *extra]
  return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=None,
                        check=False)


def test_a_campaign_rebuilt_from_scratch_agrees_with_the_one_trained_in_slices(tmp_path):
  """Run A trained in two slices (10, then 20 iterations), run B straight to 20 in other run dirs,
  compared from the command line; then A's record tampered at one value: exit 1, one line."""
  for extra in (['--max_iterations=10'], []):
    assert _reproduce(tmp_path, 'a', *extra).returncode == 0
  recorded = tmp_path / 'a' / 'results' / 'smoke.json'
  done = _reproduce(tmp_path, 'b', f'--compare_with={recorded}')
  assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
  for seed in (0, 1):
    assert f'ring-tiny-seed{seed} at iterations 10..20: agrees' in done.stdout

  results = json.loads(recorded.read_text())
  row = results['runs'][1]['metrics']['over_training'][-1]
  row['modes'] += 1
  recorded.write_text(json.dumps(results))
  done = _reproduce(tmp_path, 'b', '--notrain', f'--compare_with={tmp_path / "a" / "results"}')
  assert done.returncode == 1
  assert 'ring-tiny-seed1 at iterations 10..20: DIFFERS at iteration 20: modes' in done.stdout
  assert done.stderr.strip().splitlines()[-1] == \
      f'reproduce: the results differ from {tmp_path / "a" / "results"}'
  assert 'Traceback' not in done.stderr
  done = _reproduce(tmp_path, 'b', '--notrain', f'--compare_with={tmp_path / "nowhere.json"}')
  assert done.returncode == 2 and 'Traceback' not in done.stderr
  assert done.stderr.strip().splitlines()[-1].startswith(
      f'reproduce: error: --compare_with: cannot read {tmp_path / "nowhere.json"}: ')


def test_the_module_compares_two_files_alone(tmp_path):
  recorded, rebuilt = _results(), _results()
  rebuilt['runs'][1]['metrics']['over_training'][0]['coverage'] = 2.0
  (tmp_path / 'recorded').mkdir()
  (tmp_path / 'recorded' / 'w.json').write_text(json.dumps(recorded))
  (tmp_path / 'w.json').write_text(json.dumps(rebuilt))

  def compare(new):
    return subprocess.run(module_command('graphgan.experiments.agreement', str(new),
                                         str(tmp_path / 'recorded')), capture_output=True, text=True,
                          cwd=ROOT, check=False)
  same = compare(tmp_path / 'recorded' / 'w.json')
  assert same.returncode == 0 and 'wgan-seed1 at iteration 500: agrees' in same.stdout
  differ = compare(tmp_path / 'w.json')
  assert differ.returncode == 1
  assert 'wgan-seed1 at iteration 500: DIFFERS at iteration 500: coverage 2.0 now' in differ.stdout
