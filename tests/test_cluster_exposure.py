"""Clusters refuse to be reachable by accident (docs/cluster.md, "Who can reach a cluster").

TensorFlow's cluster runtime has no authentication: the guard in ``engine.cluster`` refuses hosts
that are not loopback or private-range before any server starts. No test here contacts a
non-loopback address: the command-line tests run in their own network namespace (``unshare -n``),
which has no interface but a loopback that is down, so even a broken guard sends nothing.
"""
import os
import re
import shutil
import socket
import subprocess
import sys

import pytest

from graphgan.engine.cluster import spec as cluster
from graphgan.engine.errors import UserError

from conftest import python_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, 'bin', 'train')
PUBLIC_PS = '203.0.113.5:2222'      # RFC 5737 documentation range: nobody's machine
REFUSAL = ('train: error: --ps_hosts: 203.0.113.5:2222 is not a loopback or private-network '
           "address; TensorFlow's cluster runtime has no authentication or encryption, so anyone "
           'who can reach it can read and change the model and run operations on that machine; '
           'use a trusted private network (docs/cluster.md) or pass --allow_public_cluster_hosts')


@pytest.mark.parametrize('host', [
    '127.0.0.1:2222', '127.8.9.10:1', '10.1.2.3:2222', '172.16.0.1:2222', '172.31.255.254:2222',
    '192.168.1.10:2222', '[::1]:2222', '[fd12:3456::7]:2222', '[::ffff:10.0.0.1]:2222',
    'localhost:2222'])
def test_loopback_and_private_hosts_pass_the_guard(host):
  config = cluster.make_cluster_config([host], ['127.0.0.1:1'], 'worker', 0)
  assert config.ps_hosts == (host,)


@pytest.mark.parametrize('host', [
    '203.0.113.5:2222', '8.8.8.8:2222', '172.32.0.1:2222', '192.0.2.1:2222', '100.64.0.1:2222',
    '169.254.1.1:2222', '0.0.0.0:2222', '[2001:db8::1]:2222', '[::ffff:203.0.113.5]:2222'])
def test_public_hosts_are_refused_in_one_line_naming_the_host_and_the_risk(host):
  with pytest.raises(UserError) as error:
    cluster.make_cluster_config(['127.0.0.1:9'], ['127.0.0.1:1', host], 'worker', 0)
  message = str(error.value)
  assert message.startswith(f'--worker_hosts: {host} is not a loopback or private-network')
  assert 'no authentication' in message and '--allow_public_cluster_hosts' in message
  assert '\n' not in message


def _resolver(table):
  def resolve(name, port, type=0):  # pylint: disable=redefined-builtin,unused-argument
    if name not in table:
      raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
    return [(socket.AF_INET, type, 6, '', (address, 0)) for address in table[name]]
  return resolve


def test_a_name_passes_only_when_everything_it_resolves_to_is_private(monkeypatch):
  monkeypatch.setattr(socket, 'getaddrinfo', _resolver(
      {'ps-a': ['10.0.0.7'], 'ps-b': ['10.0.0.8', '203.0.113.9']}))
  assert cluster.make_cluster_config(['ps-a:2222'], ['127.0.0.1:1'], 'worker', 0)
  with pytest.raises(UserError, match=r'^--ps_hosts: ps-b:2222 \(resolves to 203\.0\.113\.9\) '
                     r'is not a loopback or private-network address; '):
    cluster.make_cluster_config(['ps-b:2222'], ['127.0.0.1:1'], 'worker', 0)
  with pytest.raises(UserError, match=r'^--ps_hosts: cannot resolve ps-c:2222 \(.*\), so it '
                     'cannot be checked for exposure; fix the name or pass '
                     '--allow_public_cluster_hosts$'):
    cluster.make_cluster_config(['ps-c:2222'], ['127.0.0.1:1'], 'worker', 0)


def test_the_acknowledgement_flag_is_accepted_by_validation(monkeypatch):
  monkeypatch.setattr(socket, 'getaddrinfo', _resolver({}))   # nothing is looked up either
  config = cluster.make_cluster_config([PUBLIC_PS, 'ps-far:2222'], ['127.0.0.1:1'], 'worker', 0,
                                       allow_public_hosts=True)
  assert config.ps_hosts == (PUBLIC_PS, 'ps-far:2222')   # validated; no server was started


def _namespace_or_skip():
  if not shutil.which('unshare') or subprocess.run(['unshare', '-n', 'true'],
                                                   capture_output=True).returncode != 0:
    pytest.skip('unshare -n is not permitted here (needs root or user namespaces); the refusal '
                'is not run from the command line without an isolated network')
  if not shutil.which('strace'):
    pytest.skip('strace is not installed: the socket calls cannot be watched')


def _isolated_train(tmp_path, args, env=None):
  """``bin/train args`` in a new network namespace under strace: (exit code, error lines, calls)."""
  trace = tmp_path / 'sockets.trace'
  environ = {k: v for k, v in os.environ.items() if k != 'TF_CONFIG'}
  environ.update(OMP_NUM_THREADS='1', TF_CPP_MIN_LOG_LEVEL='2', **(env or {}))
  command = ['unshare', '-n', 'strace', '-f', '-qq', '-e', 'trace=connect,bind,listen',
             '-o', str(trace), sys.executable, TRAIN] + args
  result = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=None)
  lines = [l for l in result.stderr.splitlines() if l.startswith('train: error:')]
  return result.returncode, lines, result.stderr, trace.read_text()


def _network_calls(trace):
  """Connects, listens and binds to a port on IPv4/IPv6 (an import-time probe binds ::1 port 0)."""
  calls = []
  for line in trace.splitlines():
    inet = 'AF_INET' in line
    if (' connect(' in line and inet) or ' listen(' in line or \
        (' bind(' in line and inet and not re.search(r'port=htons\(0\)', line)):
      calls.append(line)
  return calls


@pytest.mark.parametrize('described_by', ['flags', 'TF_CONFIG'])
def test_a_public_host_is_refused_before_any_socket_is_opened(tmp_path, described_by):
  _namespace_or_skip()
  workers = ['127.0.0.1:2223', '127.0.0.1:2224']
  if described_by == 'flags':
    args, env = ['--flagfile=flags/cluster/worker0.cfg', f'--ps_hosts={PUBLIC_PS}',
                 f'--worker_hosts={",".join(workers)}'], None
  else:
    args = ['--model=wgan']
    env = {'TF_CONFIG': ('{"cluster": {"ps": ["%s"], "worker": ["%s"]}, "task": {"type": '
                         '"worker", "index": 0}}' % (PUBLIC_PS, '", "'.join(workers)))}
  args += ['--cluster_wait_secs=1', f'--run_dir={tmp_path / "run"}']
  code, lines, stderr, trace = _isolated_train(tmp_path, args, env)
  expected = REFUSAL if described_by == 'flags' else \
      REFUSAL.replace('train: error: ', 'train: error: TF_CONFIG: ', 1)   # says where it came from
  assert code == 2 and lines == [expected], stderr[-3000:]
  assert _network_calls(trace) == []            # no server bound, no ps contacted
  assert not os.path.exists(tmp_path / 'run')


def test_the_acknowledgement_flag_gets_past_the_guard_on_the_command_line(tmp_path):
  """With the flag the worker goes on to wait for the ps, which its empty namespace cannot reach."""
  _namespace_or_skip()
  code, lines, stderr, trace = _isolated_train(tmp_path, [
      '--flagfile=flags/cluster/worker0.cfg', f'--ps_hosts={PUBLIC_PS}',
      '--worker_hosts=127.0.0.1:2223', '--allow_public_cluster_hosts', '--cluster_wait_secs=1',
      f'--run_dir={tmp_path / "run"}'])
  assert code == 2 and lines == [f'train: error: --ps_hosts: ps task 0 at {PUBLIC_PS} did not '
                                 'answer within 1 s (--cluster_wait_secs); is it running?'], stderr
  assert 'the cluster hosts are not checked for exposure' in stderr
  assert 'listens on port 2223 of every network interface' in stderr
  assert any('203.0.113.5' in call for call in _network_calls(trace))   # tried, in the namespace


_SERVE = '''
import sys, time
import graphgan.engine
from graphgan.engine.compat import tf1
spec = tf1.train.ClusterSpec({"ps": ["127.0.0.1:%s"], "worker": ["127.0.0.1:%s"]})
tf1.train.Server(spec, job_name="ps", task_index=0)
print("serving", flush=True)
time.sleep(120)
'''


def _listening_addresses(port):
  """Local addresses in LISTEN state on ``port`` (hex as in /proc/net/tcp{,6})."""
  found = []
  for table in ('/proc/net/tcp', '/proc/net/tcp6'):
    with open(table) as handle:
      for row in handle.read().splitlines()[1:]:
        local, state = row.split()[1], row.split()[3]
        address, port_hex = local.split(':')
        if state == '0A' and int(port_hex, 16) == port:
          found.append((table.rsplit('/', 1)[1], address))
  return found


def test_a_task_server_listens_on_every_interface_whatever_its_host(tmp_path):
  """The measurement behind docs/cluster.md: a ps named 127.0.0.1 binds the wildcard address."""
  if not os.path.exists('/proc/net/tcp'):
    pytest.skip('no /proc/net/tcp on this system')
  ports = []
  for _ in range(2):
    with socket.socket() as probe:
      probe.bind(('127.0.0.1', 0))
      ports.append(probe.getsockname()[1])
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', OMP_NUM_THREADS='1')
  server = subprocess.Popen(['timeout', '-s', 'KILL', '150'] + python_command(
                             _SERVE % tuple(ports)), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
  try:
    assert server.stdout.readline().strip() == 'serving'
    listening = _listening_addresses(ports[0])
  finally:
    os.killpg(server.pid, 9)
    server.wait(timeout=30)
  assert listening, 'the ps server is not listening'
  assert all(set(address) == {'0'} for _, address in listening), listening   # [::] or 0.0.0.0
