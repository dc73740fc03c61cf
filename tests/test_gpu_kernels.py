"""GPU behaviour checked without a GPU: every op of every model's training graph has a kernel a GPU
can run for its dtypes (``engine/tools/devices.py``, read from this CUDA build's kernel registry), so
nothing is silently soft-placed on the host when the same command runs on a GPU."""
import pytest

from graphgan.engine import registry
from graphgan.engine.compat import tf, tf1
from graphgan.engine.config import make_config
from graphgan.engine.run import loop
from graphgan.engine.tools import devices


def test_the_kernel_registry_of_this_build_holds_gpu_kernels():
  """The check means something only in a CUDA build of TensorFlow (the pip wheel is one)."""
  if not tf.test.is_built_with_cuda():
    pytest.skip('this TensorFlow is not a CUDA build: its registry has no GPU kernels to check')
  assert devices.ops_without_gpu_kernel(_graph_with(lambda x: tf.matmul(x, x))) == {}


def _graph_with(function):
  graph = tf.Graph()
  with graph.as_default():
    x = tf1.placeholder(tf.float32, (2, 2))
    function(x)
  return graph


def test_a_cpu_only_op_is_found():
  """A numpy_function (the PyFunc op: host only) and a string op are reported by type."""
  if not tf.test.is_built_with_cuda():
    pytest.skip('this TensorFlow is not a CUDA build: its registry has no GPU kernels to check')
  graph = _graph_with(lambda x: tf.numpy_function(lambda a: a * 2, [x], tf.float32))
  assert devices.ops_without_gpu_kernel(graph) == {'PyFunc': 1}


@pytest.mark.parametrize('model_name', registry.names())
def test_every_op_of_a_models_training_graph_has_a_gpu_kernel(model_name, tmp_path):
  """The documented configuration's graph, as ``bin/train`` builds it (losses, train ops,
  counters, update ops, samples, conditionals' functions)."""
  if not tf.test.is_built_with_cuda():
    pytest.skip('this TensorFlow is not a CUDA build: its registry has no GPU kernels to check')
  model_cls = registry.get(model_name)
  built = loop.Session(model_cls, make_config(model_cls.Config, dict(run_dir=str(tmp_path))))
  try:
    assert devices.ops_without_gpu_kernel(built.graph) == {}
  finally:
    built.close()


@pytest.mark.parametrize('model_name', registry.names())
def test_no_op_of_a_models_training_graph_is_pinned_to_the_host(model_name, tmp_path):
  """With one tower the engine requests no device: TensorFlow's placer puts every op that has a
  GPU kernel (all of them, above) on the GPU. A ``tf.device('/cpu:0')`` left in a model or the
  engine would show here as a requested CPU device."""
  model_cls = registry.get(model_name)
  built = loop.Session(model_cls, make_config(model_cls.Config, dict(run_dir=str(tmp_path))))
  try:
    pinned = sorted({op.type for op in built.graph.get_operations() if 'CPU' in op.device.upper()})
  finally:
    built.close()
  assert pinned == []


def test_float32_stays_float32_on_gpus_that_offer_tf32():
  """TensorFloat-32 is off unless $GRAPHGAN_TF32=1 (engine/compat.py): TF1-era code had none."""
  assert not tf.config.experimental.tensor_float_32_execution_enabled()
