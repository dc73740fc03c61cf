"""A real TF1 cluster on 127.0.0.1: 1 ps + 2 workers as subprocesses, the shipped flag files.

Every process has a timeout and is killed in the fixture's teardown. The cluster tests train a
narrow WGAN (the settings the brief allows for a shared 2-core CPU) to a small global step.
"""
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from graphgan.engine.cluster import spec as cluster
from graphgan.engine.compat import tf1
from graphgan.engine.errors import UserError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, 'bin', 'train')
SMALL = ['--g_base_channels=4', '--d_base_channels=4', '--batch_size=8', '--embedded_size=64',
         '--log_every_steps=1', '--summary_every_steps=0', '--sample_every_steps=0',
         '--save_every_steps=5', '--export_every_epochs=0']
PROCESS_SECS = 1800    # a hang guard only: no cluster process outlives this


def _free_ports(count):
  sockets = [socket.socket() for _ in range(count)]
  try:
    for s in sockets:
      s.bind(('127.0.0.1', 0))
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


class _Cluster:
  """Starts nodes from flags/cluster/<node>.cfg with free ports and a test run dir."""

  def __init__(self, tmp_path, train_steps):
    ps, w0, w1 = _free_ports(3)
    self.tmp_path, self.run_dir = tmp_path, str(tmp_path / 'run')
    self.args = [f'--ps_hosts=127.0.0.1:{ps}', f'--worker_hosts=127.0.0.1:{w0},127.0.0.1:{w1}',
                 f'--run_dir={self.run_dir}', f'--train_steps={train_steps}',
                 '--cluster_wait_secs=150'] + SMALL
    self.processes = []   # (name, Popen, log path)

  def start(self, node):
    log = str(self.tmp_path / f'{node}.{len(self.processes)}.log')
    env = dict(os.environ, OMP_NUM_THREADS='1', TF_CPP_MIN_LOG_LEVEL='2')
    env.pop('TF_CONFIG', None)
    with open(log, 'w') as handle:
      process = subprocess.Popen(
          ['timeout', '-s', 'KILL', str(PROCESS_SECS), sys.executable, TRAIN,
           f'--flagfile=flags/cluster/{node}.cfg'] + self.args,
          cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    self.processes.append((node, process, log))
    return process, log

  def wait_for_line(self, log, pattern, process, seconds=900):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
      with open(log) as handle:
        found = re.search(pattern, handle.read())
      if found:
        return found
      assert process.poll() is None, f'{log} ended before {pattern!r}:\n{_tail(log)}'
      time.sleep(0.5)
    raise AssertionError(f'{log}: no {pattern!r} within {seconds} s:\n{_tail(log)}')

  def finish(self, process, log, seconds=PROCESS_SECS):
    assert process.wait(timeout=seconds) == 0, _tail(log)

  @staticmethod
  def kill(process):
    """SIGKILL the node's process group (the timeout wrapper and its python)."""
    try:
      os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
      pass
    process.wait(timeout=30)

  def stop_all(self):
    for _, process, _ in self.processes:
      self.kill(process)


def _tail(path, lines=25):
  with open(path) as handle:
    return '\n'.join(line for line in handle.read().splitlines()
                     if not line.startswith(('W0000', 'I0000', 'E0000')))[-4000:]


@pytest.fixture
def make_cluster(tmp_path):
  made = []

  def make(train_steps):
    made.append(_Cluster(tmp_path, train_steps))
    return made[-1]
  yield make
  for each in made:
    each.stop_all()


def _checkpoints(run_dir):
  """{step: values} of every checkpoint the checkpoint file lists, each read back in full."""
  directory = os.path.join(run_dir, 'checkpoints')
  state = tf1.train.get_checkpoint_state(directory)
  found = {}
  for path in state.all_model_checkpoint_paths:
    path = os.path.join(directory, os.path.basename(path))
    reader = tf1.train.load_checkpoint(path)
    values = {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}
    with open(path + '.state.json') as handle:
      values['state'] = json.load(handle)
    found[int(path.rsplit('-', 1)[1])] = values
  return found


def test_two_workers_train_wgan_to_the_target_step_and_a_worker_waits_for_the_ps(make_cluster):
  target = 24
  nodes = make_cluster(target)
  early, early_log = nodes.start('worker1')                  # before the ps exists
  nodes.wait_for_line(early_log, r'Waiting for ps task 0', early)
  nodes.start('ps0')
  chief, chief_log = nodes.start('worker0')
  nodes.finish(chief, chief_log)
  nodes.finish(early, early_log)
  assert re.search(r'Worker 1 joined at global step \d+', open(early_log).read())

  checkpoints = _checkpoints(nodes.run_dir)
  final_step = max(checkpoints)
  final = checkpoints[final_step]
  per_worker = final['cluster/iterations_by_worker']
  assert target <= final_step <= target + 1                   # async: one in-flight iteration
  assert final['global_step'] == final_step == final['state']['step']
  assert all(per_worker > 0), per_worker                      # both workers trained
  assert per_worker.sum() == final_step                       # and every iteration is counted
  assert final['counters/generator_updates'] == final_step
  assert final['counters/critic_updates'] == 5 * final_step
  assert os.path.exists(os.path.join(nodes.run_dir, 'flags.txt'))


def _wait_for_checkpoint(run_dir, process, seconds=900):
  """Wait (bounded) until the chief has written a complete checkpoint (its state sidecar)."""
  deadline = time.monotonic() + seconds
  while not glob.glob(os.path.join(run_dir, 'checkpoints', '*.state.json')):
    assert process.poll() is None and time.monotonic() < deadline, 'no checkpoint was written'
    time.sleep(0.2)


def test_killed_workers_restart_from_their_flag_files_and_no_checkpoint_is_lost(make_cluster):
  """Worker 1, then the chief, are killed mid-run and restarted with the same flag files."""
  target = 40
  nodes = make_cluster(target)
  nodes.start('ps0')
  chief, chief_log = nodes.start('worker0')
  victim, victim_log = nodes.start('worker1')
  nodes.wait_for_line(victim_log, r'step \d+/40', victim)     # mid-run
  nodes.kill(victim)
  os.killpg(chief.pid, signal.SIGSTOP)     # the chief stalls, so the restarted worker must train
  try:
    again, again_log = nodes.start('worker1')
    joined = nodes.wait_for_line(again_log, r'Worker 1 joined at global step (\d+)', again)
    nodes.wait_for_line(again_log, r'step \d+/40', again)
  finally:
    os.killpg(chief.pid, signal.SIGCONT)
  assert 0 < int(joined.group(1)) < target
  _wait_for_checkpoint(nodes.run_dir, chief)  # so there is a checkpoint the kill could harm
  nodes.kill(chief)                          # the chief, mid-run (perhaps mid-save)
  chief, chief_log = nodes.start('worker0')
  nodes.finish(chief, chief_log)
  nodes.finish(again, again_log)
  assert 'Chief joined the model live on the ps' in open(chief_log).read()   # no rollback

  checkpoints = _checkpoints(nodes.run_dir)     # every listed checkpoint reads back in full
  steps = sorted(checkpoints)
  assert len(steps) >= 2, steps
  assert target <= steps[-1] <= target + 1
  for step in steps:   # a mid-run save snapshots live variables: the other worker may be ahead
    assert checkpoints[step]['global_step'] >= step == checkpoints[step]['state']['step']
  assert checkpoints[steps[-1]]['global_step'] == steps[-1]   # all finished: nothing moved
  assert checkpoints[steps[-1]]['cluster/iterations_by_worker'][1] > 0
  leftovers = glob.glob(os.path.join(nodes.run_dir, 'checkpoints', '*.tmp*'))
  assert not leftovers, leftovers


def test_sync_replicas_aggregates_one_gradient_per_worker_per_update(make_cluster):
  rounds = 3
  nodes = make_cluster(rounds)
  nodes.args.append('--sync_replicas')
  nodes.start('ps0')
  chief, chief_log = nodes.start('worker0')
  other, other_log = nodes.start('worker1')
  nodes.finish(chief, chief_log)
  nodes.finish(other, other_log)
  checkpoints = _checkpoints(nodes.run_dir)
  final = checkpoints[max(checkpoints)]
  assert max(checkpoints) == final['global_step'] == rounds            # synchronized rounds
  assert list(final['cluster/iterations_by_worker']) == [rounds, rounds]  # both, in step
  assert final['counters/generator_updates'] == rounds                # one update per round
  assert final['counters/critic_updates'] == 5 * rounds


def test_a_new_checkpoint_manager_keeps_the_older_checkpoints(tmp_path):
  """A resumed run (or a restarted chief) must not orphan the checkpoints written before it."""
  from graphgan.engine.run import checkpoint  # pylint: disable=import-outside-toplevel
  from graphgan.engine.compat import tf  # pylint: disable=import-outside-toplevel
  run_dir = str(tmp_path)
  for steps in ((1, 2), (3,)):
    with tf.Graph().as_default():
      tf1.get_variable('v', (), tf.float32, initializer=tf1.zeros_initializer())   # no random op
      manager = checkpoint.CheckpointManager(run_dir, keep=5)
      with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        for step in steps:
          manager.save(sess, step, {'step': step})
  kept = sorted(os.path.basename(p) for p in glob.glob(os.path.join(run_dir, 'checkpoints',
                                                                     '*.state.json')))
  assert kept == [f'model.ckpt-{s}.state.json' for s in (1, 2, 3)]


@pytest.mark.parametrize('hosts, job, index, message', [
    (('a:1',), 'worker', 1, '--task_index=1 is outside --worker_hosts (1 task(s): 0..0)'),
    (('a:1', 'b:2'), 'ps', 1, '--task_index=1 is outside --ps_hosts (1 task(s): 0..0)'),
    (('a:1', 'a:1'), 'worker', 0, '--ps_hosts/--worker_hosts: a:1 is listed twice'),
    (('a:x',), 'worker', 0, "--worker_hosts: 'a:x' is not host:port"),
    (('a:1',), 'chief', 0, "--job_name must be 'ps' or 'worker'"),
])
def test_bad_cluster_descriptions_are_one_clear_line(hosts, job, index, message):
  with pytest.raises(UserError) as error:
    cluster.make_cluster_config(['p:9'], hosts, job, index)
  assert message in str(error.value) and '\n' not in str(error.value)


def test_tf_config_describes_the_same_cluster():
  text = json.dumps({'cluster': {'ps': ['p:1'], 'worker': ['w:1', 'w:2']},
                     'task': {'type': 'worker', 'index': 1}})
  assert cluster._parse_tf_config(text) == (['p:1'], ['w:1', 'w:2'], 'worker', 1)  # pylint: disable=protected-access
  for bad in ('{', json.dumps({'cluster': {'chief': ['c:1']}, 'task': {}})):
    with pytest.raises(UserError, match='TF_CONFIG'):
      cluster._parse_tf_config(bad)  # pylint: disable=protected-access


def _train_error(*args, env=None):
  result = subprocess.run([sys.executable, TRAIN] + list(args), cwd=ROOT, capture_output=True,
                          text=True, timeout=None, env=dict(os.environ, **(env or {})))
  lines = [l for l in result.stderr.splitlines() if l.startswith('train: error:')]
  return result.returncode, lines


def test_unreachable_ps_is_one_line_after_a_bounded_wait():
  ps, worker = _free_ports(2)
  started = time.monotonic()
  code, lines = _train_error('--flagfile=flags/cluster/worker0.cfg', *SMALL,
                             f'--ps_hosts=127.0.0.1:{ps}', f'--worker_hosts=127.0.0.1:{worker}',
                             '--cluster_wait_secs=3', '--run_dir=/nonexistent/never')
  assert code == 2, lines
  assert lines == [f'train: error: --ps_hosts: ps task 0 at 127.0.0.1:{ps} did not answer '
                   'within 3 s (--cluster_wait_secs); is it running?']
  assert time.monotonic() - started < 100


def test_task_index_outside_the_hosts_and_flags_with_tf_config_are_one_line():
  code, lines = _train_error('--flagfile=flags/cluster/worker1.cfg', '--worker_hosts=h:1')
  assert code == 2 and lines == ['train: error: --task_index=1 is outside --worker_hosts '
                                 '(1 task(s): 0..0)']
  tf_config = json.dumps({'cluster': {'ps': ['p:1'], 'worker': ['w:1']},
                          'task': {'type': 'worker', 'index': 0}})
  code, lines = _train_error('--flagfile=flags/cluster/worker0.cfg',
                             env={'TF_CONFIG': tf_config})
  assert code == 2 and lines == ['train: error: --ps_hosts and TF_CONFIG both describe the '
                                 'cluster; give one of them']
