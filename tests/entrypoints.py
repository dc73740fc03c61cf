"""Run ``bin/*`` entry points as a user does, without paying TensorFlow's import for each run.

``EntryPoints.run('train', args, cwd=..., env=...)`` returns what a subprocess would: exit code
(negative: killed by that signal), stdout and stderr. A helper process (this file run as a
script) imports graphgan once, like ``bin/train`` does, then forks one child per run; the child
redirects its file descriptors 1 and 2 to files, changes directory and environment, sets
``sys.argv`` and calls the same entry-point function ``bin/<tool>`` calls. No session ever runs
in the helper, so each child starts from a freshly imported, unused TensorFlow.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENTRY_POINTS = {'train': 'train_entry_point', 'sample': 'sample_entry_point',
                'record_losses': 'record_entry_point', 'bench': 'bench_entry_point',
                'device_report': 'device_report_entry_point', 'evaluate': 'evaluate_entry_point'}


class Completed:
  def __init__(self, returncode, stdout, stderr):
    self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

  def error_lines(self):
    """stderr lines that are not absl INFO/WARNING log lines."""
    return [l for l in self.stderr.splitlines() if l and not l.startswith(('I1', 'W1', 'I0', 'W0'))]


class EntryPoints:
  """Client of one helper process (see the module docstring)."""

  def __init__(self):
    self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__)], cwd=ROOT,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert self.process.stdout.readline().strip() == 'ready'

  def run(self, tool, args, cwd=ROOT, env=None, timeout=None):
    request = dict(tool=tool, args=[str(a) for a in args], cwd=str(cwd), env=env or {},
                   timeout=timeout)
    self.process.stdin.write(json.dumps(request) + '\n')
    self.process.stdin.flush()
    reply = json.loads(self.process.stdout.readline())
    return Completed(reply['returncode'], reply['stdout'], reply['stderr'])

  def close(self):
    self.process.stdin.close()
    self.process.wait(timeout=60)


def _child(request, out_path, err_path):
  """In the forked child: become ``bin/<tool> args`` and exit as it would."""
  code = 1
  try:
    for fd, path in ((1, out_path), (2, err_path)):
      handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
      os.dup2(handle, fd)
      os.close(handle)
    os.chdir(request['cwd'])
    os.environ.update(request['env'])
    for path in reversed(request['env'].get('PYTHONPATH', '').split(os.pathsep)):
      if path:       # a real process would have it on sys.path from the start
        sys.path.insert(0, path)
    from graphgan.engine import cli  # pylint: disable=import-outside-toplevel
    from graphgan.engine.run import faults  # pylint: disable=import-outside-toplevel
    faults.configure(os.environ.get('GRAPHGAN_FAULT', ''))
    sys.argv = [os.path.join(ROOT, 'bin', request['tool'])] + request['args']
    try:
      getattr(cli, ENTRY_POINTS[request['tool']])()
      code = 0
    except SystemExit as done:
      code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
      if not isinstance(done.code, (int, type(None))):
        print(done.code, file=sys.stderr)
  except BaseException:  # pylint: disable=broad-except
    import traceback  # pylint: disable=import-outside-toplevel
    traceback.print_exc()
  finally:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)   # pylint: disable=protected-access


def _serve():
  sys.path.insert(0, os.path.join(ROOT, 'bin'))
  import _checkout  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
  from graphgan.engine import cli  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
  import graphgan.models  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
  print('ready', flush=True)
  for line in sys.stdin:
    request = json.loads(line)
    with tempfile.TemporaryDirectory() as folder:
      out_path, err_path = os.path.join(folder, 'out'), os.path.join(folder, 'err')
      pid = os.fork()
      if pid == 0:
        _child(request, out_path, err_path)
      timeout = request['timeout']          # None: wait as long as the tool runs
      deadline = None if timeout is None else time.monotonic() + timeout
      while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
          break
        if deadline is not None and time.monotonic() > deadline:
          os.kill(pid, 9)
        time.sleep(0.02)
      returncode = os.waitstatus_to_exitcode(status)
      reply = dict(returncode=returncode, stdout=_read(out_path), stderr=_read(err_path))
    print(json.dumps(reply), flush=True)


def _read(path):
  with open(path, encoding='utf-8', errors='replace') as handle:
    return handle.read()


if __name__ == '__main__':
  _serve()
