"""Every user-facing tool runs here as a user runs it (a subprocess from the repository root):
bin/record_losses, bin/bench, bin/train --helpfull, re-running a run's flags.txt, a TF_CONFIG
cluster, and --generator_loss=non_saturating. Settings are tiny: these prove the tools work, the
algorithms are tested elsewhere."""
import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest
from absl import flags

from graphgan.engine import cli, registry
from graphgan.engine.compat import tf1
from graphgan.engine.config import make_config
from graphgan.engine.tools import recorded
from tests.unrolled_helpers import build_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_UNROLLED = ['--model=unrolled_gan', '--batch_size=16', '--z_dim=4',
                 '--generator_hidden_units=8', '--discriminator_hidden_units=8',
                 '--eval_every_steps=0']
TINY_WGAN = ['--model=wgan', '--g_base_channels=4', '--d_base_channels=4', '--batch_size=4',
             '--embedded_size=16']


def run_tool(tool, *args, env=None):
  """(return code, stdout, stderr) of ``bin/<tool> args`` run from the repository root."""
  completed = subprocess.run([sys.executable, os.path.join(ROOT, 'bin', tool), *args],
                             capture_output=True, text=True, cwd=ROOT, timeout=None,
                             env=dict(os.environ, **(env or {})))
  return completed.returncode, completed.stdout, completed.stderr


def _csv(path):
  header, *rows = open(path).read().splitlines()
  columns = zip(*[[float(v) for v in row.split(',')] for row in rows])
  return dict(zip(header.split(','), map(np.array, columns)))


# -- bin/record_losses --------------------------------------------------------------------------
def test_record_losses_writes_a_file_that_replays(tmp_path):
  out = tmp_path / 'unrolled_gan-tiny-cpu.json'
  args = TINY_UNROLLED + ['--variant=tiny', '--record_steps=3', f'--out={out}']
  code, stdout, stderr = run_tool('record_losses', *args)
  assert code == 0, stderr[-3000:]
  assert stdout.strip() == f'wrote {out}: 3 steps of d_loss, g_loss on {recorded.device_kind()}'
  recording = recorded.load(out)
  assert recording['command'] == ' '.join(['bin/record_losses'] + args)
  assert recording['overrides'] == dict(batch_size=16, z_dim=4, generator_hidden_units=8,
                                        discriminator_hidden_units=8, eval_every_steps=0)
  assert (recording['model'], recording['variant'], recording['steps']) == ('unrolled_gan',
                                                                            'tiny', 3)
  assert recording['rtol'] == recorded.DEFAULT_RTOL
  assert recording['atol'] == recorded.absolute_tolerances(recording['losses'])
  assert [len(v) for v in recording['losses'].values()] == [3, 3]
  replayed = recorded.replay(recording)
  assert recorded.compare(recording['losses'], replayed, recording['rtol'],
                          recording['atol']) == []


# -- bin/bench ----------------------------------------------------------------------------------
def test_bench_prints_the_three_loops_and_their_ratios():
  code, stdout, stderr = run_tool('bench', *TINY_WGAN, '--bench_iterations=2',
                                  '--bench_rounds=1')
  assert code == 0, stderr[-3000:]
  for row in ('engine', r'documented \(numpy clip\)', 'minimal sess.run loop'):
    assert re.search(rf'^  {row} +median +\d+\.\d\d ms +mean +\d+\.\d\d ms +x +\d+\.\d{{3}} '
                     r'of engine$', stdout, re.M), stdout
  assert re.search(r'^documented / engine = \d+\.\d{3} ', stdout, re.M), stdout
  assert re.search(r'^engine / minimal    = \d+\.\d{3} ', stdout, re.M), stdout
  assert ' | ETA ' not in stderr and 'Training wgan' not in stderr, stderr[-2000:]   # no run log
  # then what a checkpoint costs next to a step, and the remapper off (ours) vs on (TF's default)
  assert re.search(r'^checkpoint vs step \(wgan, \d+\.\d MiB per checkpoint\): step \d+\.\d ms, '
                   r'checkpoint \d+\.\d ms = \d+\.\d\d steps$', stdout, re.M), stdout
  for row in (r'remapper off \(graphgan\)', r'remapper on \(TF default\)'):
    assert re.search(rf'^  {row} +median +\d+\.\d\d ms .* of remapper on \(TF default\)$',
                     stdout, re.M), stdout


# -- bin/train --helpfull -----------------------------------------------------------------------
@pytest.fixture(scope='module')
def helpfull():
  """``bin/train --helpfull``: {model: its section's lines}; graphgan's flags first, exit 0."""
  code, stdout, _ = run_tool('train', '--helpfull')
  assert code == 0
  sections, model = {}, None
  for line in stdout.splitlines():
    if line.startswith('--model=') and line.endswith(':'):
      model = line[len('--model='):-1]
      sections[model] = []
    elif line.startswith('train\'s other flags:'):
      break
    elif model:
      sections[model].append(line)
  return sections


def _model_fields():
  return [(name, field) for name, cls in registry.all_models().items()
          for field in dataclasses.fields(cls.Config)]


def test_helpfull_lists_every_models_flags_with_that_models_default(helpfull):
  assert sorted(helpfull) == registry.names()
  for name, field in _model_fields():
    assert any(line.startswith(f'  --{field.name}={field.default!s}: ')
               for line in helpfull[name]), f'--{field.name} ({name}) is not listed'


def test_helpfull_shows_each_models_own_help_text(helpfull):
  missing = [(name, field.name) for name, field in _model_fields()
             if f'  --{field.name}={field.default!s}: {field.metadata["help"]}'
             not in helpfull[name]]
  assert not missing, missing


# -- flags.txt and --generator_loss=non_saturating -------------------------------------------
@pytest.fixture(scope='module')
def non_saturating_run(tmp_path_factory):
  """``bin/train`` of a tiny unrolled_gan with --generator_loss=non_saturating: its run dir."""
  run_dir = tmp_path_factory.mktemp('non_saturating') / 'run'
  code, _, stderr = run_tool('train', *TINY_UNROLLED, '--generator_loss=non_saturating',
                             '--unroll_steps=2', '--train_steps=3', f'--run_dir={run_dir}')
  assert code == 0, stderr[-3000:]
  return run_dir


def test_generator_loss_non_saturating_trains_from_the_command_line(non_saturating_run):
  """-log D(G(z)) is positive; the minimax loss would be -d_loss (negative)."""
  losses = _csv(non_saturating_run / 'losses.csv')
  assert list(losses['step']) == [1, 2, 3]
  assert np.all(losses['g_loss'] > 0) and np.all(losses['d_loss'] > 0)
  assert '--generator_loss=non_saturating\n' in (non_saturating_run / 'flags.txt').read_text()


def test_non_saturating_generator_loss_is_mean_softplus_of_minus_fake_logits():
  graph, sess, model = build_model(generator_loss='non_saturating')
  feed = model._feed()  # pylint: disable=protected-access
  with graph.as_default():
    fake_logits = model.discriminator(model.fake)
  g_loss, logits = sess.run([model.g_loss, fake_logits], feed)
  assert g_loss == pytest.approx(np.mean(np.logaddexp(0.0, -logits.astype(np.float64))),
                                 rel=1e-6)
  sess.close()


def test_rerunning_flags_txt_gives_the_same_config(non_saturating_run):
  """``bin/train --flagfile=RUN/flags.txt`` resolves to the same config: it resumes the run and
  rewrites a byte-identical flags.txt."""
  flags_txt = non_saturating_run / 'flags.txt'
  before, csv_before = flags_txt.read_text(), (non_saturating_run / 'losses.csv').read_text()
  code, _, stderr = run_tool('train', f'--flagfile={flags_txt}')
  assert code == 0, stderr[-3000:]
  assert re.search(r'Resumed .*run at step 3 ', stderr), stderr[-3000:]
  assert flags_txt.read_text() == before
  assert (non_saturating_run / 'losses.csv').read_text() == csv_before   # nothing left to run


def _parse_flag_file(path):
  """{flag: value} of a flag file, parsed by absl's own parsers (as bin/train would)."""
  cli.define_flags()
  values = {}
  for arg in flags.FLAGS.read_flags_from_files([f'--flagfile={path}'], force_gnu=False):
    name, equals, text = arg[2:].partition('=')
    if not equals:                      # a bool: --name or --noname
      name, text = (name[2:], 'false') if name not in flags.FLAGS else (name, 'true')
    values[name] = flags.FLAGS[name].parser.parse(text)
  return values


@pytest.mark.parametrize('model_name', registry.names())
def test_flags_txt_of_every_model_parses_back_to_its_config(model_name, tmp_path):
  """What flags.txt holds for each model (defaults, and every bool flipped) parses to the same
  config."""
  model_cls = registry.get(model_name)
  flipped = {f.name: not f.default for f in dataclasses.fields(model_cls.Config)
             if isinstance(f.default, bool)}
  for overrides in ({}, flipped):
    config = make_config(model_cls.Config, overrides)
    path = tmp_path / 'flags.txt'
    path.write_text(cli.config_as_flags(model_cls, config))
    values = _parse_flag_file(path)
    assert values.pop('model') == model_name
    assert make_config(model_cls.Config, values) == config


# -- TF_CONFIG ----------------------------------------------------------------------------------
def _free_ports(count):
  sockets = [socket.socket() for _ in range(count)]
  try:
    for s in sockets:
      s.bind(('127.0.0.1', 0))
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


def _tf_config(ps, worker, job):
  return json.dumps({'cluster': {'ps': [f'127.0.0.1:{ps}'], 'worker': [f'127.0.0.1:{worker}']},
                     'task': {'type': job, 'index': 0}})


def test_tf_config_alone_runs_a_ps_and_a_chief_to_the_target_step(tmp_path):
  """No cluster flags: TF_CONFIG places each process; the chief trains 3 steps on the ps."""
  ps, worker = _free_ports(2)
  run_dir = tmp_path / 'run'
  args = [sys.executable, os.path.join(ROOT, 'bin', 'train'), *TINY_WGAN, '--train_steps=3',
          f'--run_dir={run_dir}', '--sample_every_steps=0', '--summary_every_steps=0',
          '--export_every_epochs=0', '--cluster_wait_secs=120']
  processes = []
  try:
    for job in ('ps', 'worker'):
      env = dict(os.environ, TF_CONFIG=_tf_config(ps, worker, job), OMP_NUM_THREADS='1')
      log = open(tmp_path / f'{job}.log', 'w')
      processes.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True))
    chief = processes[1]
    assert chief.wait(timeout=None) == 0, (tmp_path / 'worker.log').read_text()[-3000:]
  finally:
    for process in processes:
      if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
      process.wait(timeout=30)
  assert processes[0].returncode == -signal.SIGKILL      # the ps served until stopped
  checkpoint = tf1.train.latest_checkpoint(str(run_dir / 'checkpoints'))
  reader = tf1.train.load_checkpoint(checkpoint)
  assert reader.get_tensor('global_step') == 3
  assert reader.get_tensor('counters/critic_updates') == 15
  assert reader.get_tensor('cluster/iterations_by_worker').tolist() == [3]
