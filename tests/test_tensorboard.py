"""What TensorBoard shows of a run, read by TensorBoard itself (issue 14).

Runs are read with TensorBoard's event-processing reader (``EventAccumulator``, which also applies
its ``SessionLog.START`` purge), and a campaign's HParams table is asked of a real ``tensorboard``
server on 127.0.0.1, through the JSON API its dashboard uses.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata

from graphgan.engine.run import rundir

from conftest import TINY_WGAN_FLAGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRID_SIDE = 8 * 64          # 64 samples of 64x64 in an 8x8 grid
ALL = {event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0, event_accumulator.TENSORS: 0}


def _read(run_dir):
  """TensorBoard's own view of a run directory."""
  accumulator = event_accumulator.EventAccumulator(str(run_dir), size_guidance=ALL)
  accumulator.Reload()
  return accumulator


def _losses_csv(run_dir):
  header, *rows = (run_dir / 'losses.csv').read_text().splitlines()
  names = header.split(',')[1:]
  return names, {int(r.split(',')[0]): [float(v) for v in r.split(',')[1:]] for r in rows}


def _train(entry_points, run_dir, *flags, env=None):
  result = entry_points.run('train', TINY_WGAN_FLAGS + [f'--run_dir={run_dir}', *flags], env=env)
  return result


@pytest.fixture(scope='module')
def short_run(entry_points, tmp_path_factory):
  """bin/train: a tiny WGAN, 5 steps, scalars and samples every 2 steps (and at the end)."""
  run_dir = tmp_path_factory.mktemp('tensorboard') / 'wgan'
  result = _train(entry_points, run_dir, '--train_steps=5', '--summary_every_steps=2',
                  '--sample_every_steps=2')
  assert result.returncode == 0, result.stderr[-3000:]
  return run_dir


def test_tensorboard_reads_the_losses_of_losses_csv(short_run):
  names, rows = _losses_csv(short_run)
  board = _read(short_run)
  assert {'d_loss', 'g_loss'} <= set(board.Tags()['scalars'])
  assert {t for t in board.Tags()['scalars'] if not t.startswith('eval/')} == set(names)
  for column, name in enumerate(names):
    events = board.Scalars(name)
    assert [e.step for e in events] == [2, 4, 5]          # every 2 steps, and the final step
    assert [e.value for e in events] == [np.float32(rows[e.step][column]) for e in events]


def test_tensorboard_reads_the_final_report_as_eval_scalars(short_run):
  report = json.loads((short_run / 'metrics.jsonl').read_text().splitlines()[-1])
  board = _read(short_run)
  evaluated = {t[len('eval/'):] for t in board.Tags()['scalars'] if t.startswith('eval/')}
  assert evaluated == set(report) - {'step'} and evaluated
  for name in evaluated:
    events = board.Scalars(f'eval/{name}')
    assert [(e.step, e.value) for e in events] == [(5, np.float32(report[name]))]


def test_tensorboard_images_are_the_sample_grids_at_their_size(short_run):
  board = _read(short_run)
  assert board.Tags()['images'] == ['samples']
  images = board.Images('samples')
  assert [i.step for i in images] == [2, 4, 5]
  for image in images:
    assert (image.width, image.height) == (GRID_SIDE, GRID_SIDE)
    png = (short_run / 'samples' / f'samples_step{image.step:07d}.png').read_bytes()
    assert image.encoded_image_string == png


def test_tensorboard_reads_the_resolved_flags_as_hparams_and_the_end_of_the_run(short_run):
  board = _read(short_run)
  start = hparams_metadata.parse_session_start_info_plugin_data(
      board.SummaryMetadata(hparams_metadata.SESSION_START_INFO_TAG).plugin_data.content)
  shown = {name: _hparam(value) for name, value in start.hparams.items()}
  assert shown == _flags_txt(short_run)
  end = hparams_metadata.parse_session_end_info_plugin_data(
      board.SummaryMetadata(hparams_metadata.SESSION_END_INFO_TAG).plugin_data.content)
  assert end.status == api_pb2.STATUS_SUCCESS
  assert [e.step for e in board.Tensors(hparams_metadata.SESSION_END_INFO_TAG)] == [5]


def _typed(text):
  """A flags.txt value as the HParams dashboard types it (bool, number or string)."""
  if text in ('true', 'false'):
    return text == 'true'
  try:
    return float(text)
  except ValueError:
    return text


def _flags_txt(run_dir):
  flags = rundir.parse_flag_lines((run_dir / 'flags.txt').read_text(), 'flags.txt')
  return {name: _typed(text) for name, text in dict(flags, run_dir=str(run_dir)).items()}


def _hparam(value):
  """A session-start HParams value (google.protobuf.Value) as a Python value."""
  return getattr(value, value.WhichOneof('kind'))


def test_a_resumed_run_shows_each_step_once_in_tensorboard(entry_points, tmp_path):
  """Killed after checkpoint 4 with step 5's events on disk; the resumed run's START drops them.

  TensorBoard discards every earlier event at or after a ``SessionLog.START``'s step, so the
  START goes at the first step the resumed process writes (5), not at the checkpoint's (4).
  """
  run_dir = tmp_path / 'run'
  flags = ['--train_steps=6', '--save_every_steps=4', '--sample_every_steps=1',
           '--summary_every_steps=1']
  killed = _train(entry_points, run_dir, *flags, env={'GRAPHGAN_FAULT': 'samples:written@6'})
  assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
  before = _read(run_dir)
  assert [e.step for e in before.Scalars('d_loss')] == [1, 2, 3, 4, 5]   # 5: after checkpoint 4
  resumed = _train(entry_points, run_dir, *flags)
  assert resumed.returncode == 0 and 'at step 4' in resumed.stderr, resumed.stderr[-2000:]
  names, rows = _losses_csv(run_dir)
  board = _read(run_dir)
  for column, name in enumerate(names):
    events = board.Scalars(name)
    assert [e.step for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e.value for e in events] == [np.float32(rows[e.step][column]) for e in events]
  assert [i.step for i in board.Images('samples')] == [1, 2, 3, 4, 5, 6]


# -- the HParams table of a campaign, asked of a real TensorBoard ---------------------------------

class _TensorBoard:
  """``tensorboard --logdir=... --host=127.0.0.1 --port=0`` and its JSON API."""

  def __init__(self, logdir, log_path):
    self.log_path = log_path
    with open(log_path, 'w') as log:
      self.process = subprocess.Popen(
          ['timeout', '-s', 'KILL', '300', sys.executable, '-m', 'tensorboard.main',
           f'--logdir={logdir}', '--host=127.0.0.1', '--port=0', '--reload_interval=1'],
          stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'),
          start_new_session=True)
    self.url = self._wait_for_url()

  def _wait_for_url(self, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
      with open(self.log_path) as log:
        found = re.search(r'at (http://127\.0\.0\.1:\d+)/', log.read())
      if found:
        return found.group(1)
      assert self.process.poll() is None, open(self.log_path).read()[-3000:]
      time.sleep(0.5)
    raise AssertionError(f'tensorboard did not start: {open(self.log_path).read()[-3000:]}')

  def post(self, path, body):
    request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=60) as response:
      return json.loads(response.read())

  def session_groups(self, expected, seconds=60):
    """The HParams table's rows, once ``expected`` of them are loaded."""
    deadline = time.monotonic() + seconds
    while True:
      groups = self.post('/data/plugin/hparams/session_groups', dict(
          experimentName='', startIndex=0, sliceSize=100,
          allowedStatuses=api_pb2.Status.keys()))['sessionGroups']
      if len(groups) >= expected or time.monotonic() > deadline:
        return groups
      time.sleep(1)

  def stop(self):
    os.killpg(self.process.pid, signal.SIGKILL)
    self.process.wait(timeout=30)


@pytest.mark.slow
def test_the_runs_of_a_campaign_line_up_in_the_hparams_table(tmp_path):
  """bin/reproduce --experiment=smoke (2 seeds): one row each, its flags and final metrics."""
  done = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'reproduce'), '--experiment=smoke',
       f'--runs_dir={tmp_path / "runs"}', f'--results_dir={tmp_path / "results"}',
       f'--docs_dir={tmp_path / "docs"}', '--processes=2'],
      cwd=tmp_path, capture_output=True, text=True, timeout=None, check=False)
  assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
  campaign = tmp_path / 'runs' / 'smoke'
  board = _TensorBoard(campaign, tmp_path / 'tensorboard.log')
  try:
    groups = board.session_groups(expected=2)
    experiment = board.post('/data/plugin/hparams/experiment', dict(experimentName=''))
  finally:
    board.stop()
  differs = {info['name'] for info in experiment['hparamInfos'] if info.get('differs')}
  assert differs == {'seed', 'run_dir'}
  rows = {session['name']: group for group in groups for session in group['sessions']}
  assert sorted(rows) == ['ring-tiny-seed0', 'ring-tiny-seed1']
  for name, group in rows.items():
    run_dir = campaign / name
    assert group['hparams'] == _flags_txt(run_dir)
    assert group['sessions'][0]['status'] == 'STATUS_SUCCESS'
    metrics = {m['name']['tag']: (m['trainingStep'], m['value']) for m in group['metricValues']}
    losses, csv_rows = _losses_csv(run_dir)
    report = json.loads((run_dir / 'metrics.jsonl').read_text().splitlines()[-1])
    expected = {n: (20, float(np.float32(v))) for n, v in zip(losses, csv_rows[20])}
    expected.update({f'eval/{k}': (20, float(np.float32(v))) for k, v in report.items()
                     if k != 'step'})
    assert metrics == expected
