"""Test setup: this checkout as the package graphgan, the compat switch first; small configs and
helpers shared by the tests."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'bin'))
import _checkout  # noqa: E402,F401  pylint: disable=wrong-import-position  (graphgan = this checkout)
import graphgan.engine  # noqa: E402,F401  (TF1 graph mode + Keras 2 before anything else imports TensorFlow)

import pytest

from graphgan.engine import registry
from graphgan.engine.compat import tf
from graphgan.engine.config import make_config

# A WGAN small enough for a 2-core CPU: the documented algorithm, narrow networks, small batch.
SMALL_WGAN = dict(batch_size=8, g_base_channels=4, d_base_channels=4, embedded_size=128,
                  summary_every_steps=0, sample_every_steps=0, log_every_steps=1000)


@pytest.fixture
def small_wgan_config(tmp_path):
  """Factory: a validated small WGAN config in a fresh run dir, with overrides."""
  def make(**overrides):
    settings = dict(SMALL_WGAN, run_dir=str(tmp_path / 'run'))
    settings.update(overrides)
    return make_config(registry.get('wgan').Config, settings)
  return make


@pytest.fixture(scope='session')
def entry_points():
  """``bin/*`` runs as a user makes them (see tests/entrypoints.py), one helper per session."""
  from entrypoints import EntryPoints  # pylint: disable=import-outside-toplevel
  runner = EntryPoints()
  yield runner
  runner.close()


# The tiny WGAN the command-line tests train: every flag a user could type.
TINY_WGAN_FLAGS = ['--model=wgan', '--g_base_channels=4', '--d_base_channels=4',
                   '--embedded_size=32', '--batch_size=8', '--summary_every_steps=1',
                   '--sample_every_steps=2', '--save_every_steps=2', '--log_every_steps=1']


def snapshot(folder):
  """{relative path: bytes} of every regular file under ``folder``; a directory as 'directory',
  a symlink as ('symlink', its target), anything else (a FIFO) as ('special', its mode)."""
  import os  # pylint: disable=import-outside-toplevel
  import stat  # pylint: disable=import-outside-toplevel
  files = {}
  for root, directories, names in os.walk(folder):
    for name in directories + names:
      path = os.path.join(root, name)
      mode = os.lstat(path).st_mode
      key = os.path.relpath(path, folder)
      if stat.S_ISLNK(mode):
        files[key] = ('symlink', os.readlink(path))
      elif stat.S_ISDIR(mode):
        files[key] = 'directory'
      elif stat.S_ISREG(mode):
        with open(path, 'rb') as handle:
          files[key] = handle.read()
      else:
        files[key] = ('special', stat.S_IFMT(mode))
  return files


@pytest.fixture
def tmpfs(tmp_path):
  """Factory: a fresh tmpfs of ``size`` (e.g. '4m') mounted under tmp_path, unmounted after.

  Needs root (or CAP_SYS_ADMIN); the test is skipped, with the reason, where mounting fails.
  """
  import subprocess  # pylint: disable=import-outside-toplevel
  mounted = []

  def mount(size):
    point = tmp_path / f'tmpfs{len(mounted)}'
    point.mkdir()
    done = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(point)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
      pytest.skip(f'cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})')
    mounted.append(point)
    return point
  yield mount
  for point in mounted:
    subprocess.run(['umount', '-l', str(point)], check=False)


def has_gpu():
  return bool(tf.config.list_physical_devices('GPU'))


requires_gpu = pytest.mark.skipif(not has_gpu(), reason='needs an NVIDIA GPU; none is visible '
                                  'to TensorFlow on this machine')


def python_command(code, *args):
  """argv of ``python -c code args`` in a child that imports graphgan from this checkout."""
  return [sys.executable, os.path.join(ROOT, 'bin', '_checkout.py'), '-c', code, *args]
