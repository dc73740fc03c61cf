"""The one place graphgan switches TensorFlow into TF1 graph mode with Keras 2.

Import this module before anything else touches TensorFlow (``import engine`` does it).
``TF_USE_LEGACY_KERAS=1`` must be in the environment before TensorFlow is first imported so that
``tf.keras`` / ``tf.compat.v1.keras`` resolve to ``tf_keras`` (Keras 2, the home of graph-mode Keras).
"""
import contextlib
import os
import sys

if 'tensorflow' in sys.modules and os.environ.get('TF_USE_LEGACY_KERAS') != '1':
  raise ImportError('engine.compat must be imported before tensorflow '
                    '(TF_USE_LEGACY_KERAS=1 has to be set before TensorFlow loads).')
os.environ['TF_USE_LEGACY_KERAS'] = '1'
# TensorFlow 2.21's C++ start-up lines (oneDNN notice, "Could not find cuda drivers", a CPU-only
# machine's cuInit error) are logged before absl::InitializeLog(), where TF_CPP_MIN_LOG_LEVEL has
# no effect. At level >= 1 (default 2; a user's own value wins) stderr is closed while TensorFlow
# loads and probes its devices; TF_CPP_MIN_LOG_LEVEL=0 shows everything.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
QUIET_START = os.environ['TF_CPP_MIN_LOG_LEVEL'].strip() not in ('', '0')


@contextlib.contextmanager
def _quiet_stderr(enabled):
  """Point file descriptor 2 at /dev/null for the ``with`` body (C++ writes included)."""
  if not enabled:
    yield
    return
  sys.stderr.flush()
  saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
  os.dup2(devnull, 2)
  try:
    yield
  finally:
    os.dup2(saved, 2)
    os.close(saved)
    os.close(devnull)


with _quiet_stderr(QUIET_START):
  import tensorflow as tf  # noqa: E402
  import tf_keras as keras  # noqa: E402
  tf.config.list_physical_devices()   # device probing logs its own start-up lines

tf.compat.v1.disable_eager_execution()
tf.get_logger().setLevel('ERROR')   # TF1-API deprecation notices would drown the progress lines
# TF1-era code multiplied float32 in float32; Ampere and newer GPUs would run matmuls and
# convolutions in TF32 (a 10-bit mantissa) by default. Full float32 unless $GRAPHGAN_TF32=1.
TF32 = os.environ.get('GRAPHGAN_TF32', '').strip() == '1'
tf.config.experimental.enable_tensor_float_32_execution(TF32)

tf1 = tf.compat.v1
K = tf.compat.v1.keras.backend
UPDATE_OPS = tf1.GraphKeys.UPDATE_OPS



CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def module_command(module, *args):
  """argv of ``python -m module args`` for a child process that imports graphgan from this same
  checkout (``bin/_checkout.py``), whichever one an installed graphgan points at."""
  launcher = os.path.join(CHECKOUT, 'bin', '_checkout.py')
  if os.path.exists(launcher):
    return [sys.executable, launcher, module, *args]
  return [sys.executable, '-m', module, *args]


def thread_variables(threads):
  """The environment that gives a new process ``threads`` TensorFlow (intra- and inter-op) and
  OpenMP threads ({} for 0: TensorFlow decides). Read once, when TensorFlow starts."""
  if not threads:
    return {}
  return {name: str(threads)
          for name in ('TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS', 'OMP_NUM_THREADS')}


__all__ = ['tf', 'tf1', 'keras', 'K', 'UPDATE_OPS', 'thread_variables', 'module_command']
