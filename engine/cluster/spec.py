"""Cluster settings: the node's place in a TF1 cluster, from flags or ``TF_CONFIG``, validated.

A cluster is TensorFlow's own: ``ps`` tasks hold the variables, ``worker`` tasks build the same
graph (between-graph replication) and train; worker 0 is the chief. These settings say where this
process sits; they are per node and stay out of the model's config (and of ``flags.txt``).
"""
import dataclasses
import ipaddress
import json
import os
import socket
import time

from absl import flags, logging

from graphgan.engine.errors import UserError

FLAGS = flags.FLAGS
JOBS = ('ps', 'worker')


def define_flags():
  """The cluster flags (idempotent); ``engine.cli.define_flags`` calls it."""
  if 'ps_hosts' in FLAGS:
    return
  flags.DEFINE_list('ps_hosts', [], 'Parameter-server tasks as host:port, comma separated '
                    '(same list on every node).')
  flags.DEFINE_list('worker_hosts', [], 'Worker tasks as host:port, comma separated (same list '
                    'on every node); worker 0 is the chief.')
  flags.DEFINE_enum('job_name', None, list(JOBS), "This node's job: 'ps' only serves variables, "
                    "'worker' trains.")
  flags.DEFINE_integer('task_index', None, "This node's index in its job's host list "
                       '(0-based).')
  flags.DEFINE_bool('sync_replicas', False, 'Aggregate one gradient per worker before each '
                    'update (SyncReplicasOptimizer); asynchronous updates otherwise.')
  flags.DEFINE_integer('cluster_wait_secs', 600, 'Seconds a worker waits for the ps tasks to '
                       'answer and for the chief to initialize the model (and the chief for '
                       'the other workers to finish) before giving up.', lower_bound=1)
  flags.DEFINE_bool('allow_public_cluster_hosts', False, 'Accept cluster hosts that are not '
                    'loopback or private-network addresses. TensorFlow\'s cluster runtime has no '
                    'authentication or encryption: whoever reaches a task\'s port can read and '
                    'change the model and run operations on that machine (docs/cluster.md).')


@dataclasses.dataclass(frozen=True)
class ClusterConfig:
  """Where this process sits in the cluster and how workers combine their updates."""
  ps_hosts: tuple
  worker_hosts: tuple
  job_name: str
  task_index: int
  sync_replicas: bool = False
  wait_secs: int = 600

  @property
  def is_chief(self):
    return self.job_name == 'worker' and self.task_index == 0

  @property
  def num_workers(self):
    return len(self.worker_hosts)

  @property
  def worker_device(self):
    return f'/job:worker/task:{self.task_index}'

  def cluster_spec(self):
    from graphgan.engine.compat import tf1  # pylint: disable=import-outside-toplevel
    return tf1.train.ClusterSpec({'ps': list(self.ps_hosts), 'worker': list(self.worker_hosts)})


_CLUSTER_FLAGS = ('ps_hosts', 'worker_hosts', 'job_name', 'task_index')


def from_flags(environ=None):
  """The ClusterConfig given by flags or ``TF_CONFIG``, or None for a single-process run."""
  environ = os.environ if environ is None else environ
  given = [name for name in _CLUSTER_FLAGS if FLAGS[name].present]
  tf_config = environ.get('TF_CONFIG', '').strip()
  if tf_config and given:
    raise UserError(f'--{given[0]} and TF_CONFIG both describe the cluster; give one of them')
  if tf_config:
    ps_hosts, worker_hosts, job_name, task_index = _parse_tf_config(tf_config)
    try:
      return make_cluster_config(ps_hosts, worker_hosts, job_name, task_index,
                                 FLAGS.sync_replicas, FLAGS.cluster_wait_secs,
                                 FLAGS.allow_public_cluster_hosts)
    except UserError as error:
      raise UserError(f'TF_CONFIG: {error}') from None
  elif given:
    ps_hosts, worker_hosts = FLAGS.ps_hosts, FLAGS.worker_hosts
    job_name, task_index = FLAGS.job_name, FLAGS.task_index
  else:
    if FLAGS.sync_replicas:
      raise UserError('--sync_replicas needs a cluster (--ps_hosts, --worker_hosts, --job_name, '
                      '--task_index or TF_CONFIG)')
    return None
  return make_cluster_config(ps_hosts, worker_hosts, job_name, task_index,
                             FLAGS.sync_replicas, FLAGS.cluster_wait_secs,
                             FLAGS.allow_public_cluster_hosts)


def _parse_tf_config(text):
  try:
    value = json.loads(text)
  except ValueError as error:
    raise UserError(f'TF_CONFIG is not JSON ({error})') from None
  try:
    cluster, task = value['cluster'], value['task']
    unknown = sorted(set(cluster) - set(JOBS))
    if unknown:
      raise UserError(f"TF_CONFIG: job {unknown[0]!r} is not supported; jobs are 'ps' and "
                      "'worker' (worker 0 is the chief)")
    for job in JOBS:
      hosts = cluster.get(job, [])
      if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
        raise UserError(f'TF_CONFIG: cluster.{job} must be a list of "host:port" strings; got '
                        f'{json.dumps(hosts)}')
    if not isinstance(task['index'], int) or isinstance(task['index'], bool):
      raise UserError(f'TF_CONFIG: task.index must be an integer; got {json.dumps(task["index"])}')
    return (cluster.get('ps', []), cluster.get('worker', []), task['type'], task['index'])
  except (ValueError, KeyError, TypeError, AttributeError) as error:
    raise UserError('TF_CONFIG: expected JSON {"cluster": {"ps": [...], "worker": [...]}, '
                    f'"task": {{"type": "worker", "index": 0}}}}; {type(error).__name__}: '
                    f'{error}') from None


def make_cluster_config(ps_hosts, worker_hosts, job_name, task_index, sync_replicas=False,
                        wait_secs=600, allow_public_hosts=False):
  """Validate the cluster description; every problem is one line naming the flag.

  Last, before any server starts: every host must be loopback or private-range (see
  ``check_exposure``) unless ``allow_public_hosts`` (--allow_public_cluster_hosts).
  """
  ps_hosts, worker_hosts = tuple(ps_hosts or ()), tuple(worker_hosts or ())
  if not ps_hosts:
    raise UserError('--ps_hosts: at least one parameter server (host:port) is needed')
  if not worker_hosts:
    raise UserError('--worker_hosts: at least one worker (host:port) is needed')
  for flag, hosts in (('ps_hosts', ps_hosts), ('worker_hosts', worker_hosts)):
    for host in hosts:
      _check_address(flag, host)
  seen = set()
  for host in ps_hosts + worker_hosts:
    if host in seen:
      raise UserError(f'--ps_hosts/--worker_hosts: {host} is listed twice; every task needs its '
                      'own host:port')
    seen.add(host)
  if job_name not in JOBS:
    raise UserError(f"--job_name must be 'ps' or 'worker'; got {job_name!r}")
  hosts = ps_hosts if job_name == 'ps' else worker_hosts
  if not isinstance(task_index, int) or isinstance(task_index, bool):
    raise UserError(f'--task_index must be an integer; got {task_index!r}')
  if not 0 <= task_index < len(hosts):
    raise UserError(f'--task_index={task_index} is outside --{job_name}_hosts '
                    f'({len(hosts)} task(s): 0..{len(hosts) - 1})')
  if allow_public_hosts:
    logging.warning('--allow_public_cluster_hosts: the cluster hosts are not checked for '
                    'exposure (docs/cluster.md)')
  else:
    for flag, hosts in (('ps_hosts', ps_hosts), ('worker_hosts', worker_hosts)):
      for host in hosts:
        check_exposure(flag, host)
  return ClusterConfig(ps_hosts, worker_hosts, job_name, task_index, bool(sync_replicas),
                       int(wait_secs))


def _check_address(flag, host):
  name, _, port = str(host).rpartition(':')
  if not name or not port.isdigit() or not 0 < int(port) < 65536:
    raise UserError(f'--{flag}: {host!r} is not host:port (port 1..65535)')


# Loopback, RFC 1918 private IPv4 and RFC 4193 unique-local IPv6: not routed on the internet.
TRUSTED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '::1/128', 'fc00::/7'))


def check_exposure(flag, host):
  """UserError unless ``host`` (host:port) is only loopback or private-network addresses.

  A name counts by what it resolves to (all of it); a literal address is not looked up.
  """
  name = host.rpartition(':')[0].strip('[]')
  literal = _literal(name)
  public = [a for a in ([literal] if literal else _resolve(flag, host, name)) if not _trusted(a)]
  if public:
    shown = host if literal else f'{host} (resolves to {public[0]})'
    raise UserError(f'--{flag}: {shown} is not a loopback or private-network address; '
                    "TensorFlow's cluster runtime has no authentication or encryption, so anyone "
                    'who can reach it can read and change the model and run operations on that '
                    'machine; use a trusted private network (docs/cluster.md) or pass '
                    '--allow_public_cluster_hosts')


def _literal(name):
  """``name`` as an IP address string, or None when it is a host name."""
  try:
    return str(ipaddress.ip_address(name.split('%')[0]))
  except ValueError:
    return None


def _resolve(flag, host, name):
  try:
    found = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
  except (socket.gaierror, UnicodeError) as error:
    raise UserError(f'--{flag}: cannot resolve {host} ({error}), so it cannot be checked for '
                    'exposure; fix the name or pass --allow_public_cluster_hosts') from None
  return sorted({info[4][0].split('%')[0] for info in found})


def _trusted(address):
  ip = ipaddress.ip_address(address)
  if ip.version == 6 and ip.ipv4_mapped:
    ip = ip.ipv4_mapped
  return any(ip.version == net.version and ip in net for net in TRUSTED_NETWORKS)


def wait_for_ps(cluster):
  """Wait until every ps task accepts connections, at most ``cluster.wait_secs``."""
  deadline = time.monotonic() + cluster.wait_secs
  for index, host in enumerate(cluster.ps_hosts):
    name, _, port = host.rpartition(':')
    waiting = False
    while True:
      try:
        with socket.create_connection((name, int(port)), timeout=2):
          break
      except OSError:
        if not waiting:
          logging.info('Waiting for ps task %d at %s (at most %d s).', index, host,
                       cluster.wait_secs)
          waiting = True
        if time.monotonic() > deadline:
          raise UserError(f'--ps_hosts: ps task {index} at {host} did not answer within '
                          f'{cluster.wait_secs} s (--cluster_wait_secs); is it running?') from None
        time.sleep(0.5)
