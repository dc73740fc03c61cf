"""Files a user is handed are read as data, never run (issue 15, "the other doors").

Each test plants a payload that makes a marker directory when it runs, shows that the payload is
live (the permissive reader runs it), then that the engine's reader refuses or ignores it.
"""
import json
import os
import pickle

import numpy as np
import pytest

from graphgan.engine.compat import tf, tf1, keras, K
from graphgan.engine.data.glyphs import load_mnist_npz
from graphgan.engine.data.loaders import NpzReader
from graphgan.engine.data.source import ArraySampler
from graphgan.engine.errors import UserError
from graphgan.engine.run import checkpoint, exports


class _Payload:
  """Unpickling this makes ``marker`` (the call is in the pickle; the class is not needed)."""

  def __init__(self, marker):
    self.marker = marker

  def __reduce__(self):
    return os.makedirs, (self.marker, 0o777, True)


def _code(marker):
  """Python source that makes ``marker`` when evaluated."""
  return f"__import__('os').makedirs({marker!r})"


@pytest.mark.parametrize('loader, key', [(NpzReader, 'images'), (load_mnist_npz, 'x_train')])
def test_an_npz_object_array_is_refused_and_its_pickle_never_runs(tmp_path, loader, key):
  marker = str(tmp_path / 'ran')
  payload = np.empty(2, dtype=object)
  payload[:] = [_Payload(marker), _Payload(marker)]
  path = str(tmp_path / 'data.npz')
  np.savez(path, **{key: payload, 'y_train': np.zeros(2)})
  with np.load(path, allow_pickle=True) as archive:   # the payload is live: pickle runs it
    archive[key]
  assert os.path.isdir(marker)
  os.rmdir(marker)
  with pytest.raises(UserError) as error:
    loader(path)
  assert 'allow_pickle=False' in str(error.value) and '\n' not in str(error.value)
  assert not os.path.exists(marker)


def _lambda_model_file(path, marker):
  """A full Keras HDF5 model file: Input(2) -> Lambda(payload) -> Dense 'out'; its weights."""
  source = f"lambda x: (__import__('os').makedirs({marker!r}, exist_ok=True), x)[1]"
  payload = eval(source)  # pylint: disable=eval-used
  graph = tf.Graph()
  with graph.as_default(), tf1.Session(graph=graph) as sess:
    K.set_session(sess)
    inputs = keras.Input((2,))
    outputs = keras.layers.Dense(1, name='out')(keras.layers.Lambda(payload)(inputs))
    model = keras.Model(inputs, outputs)
    sess.run(tf1.global_variables_initializer())
    model.save(path)          # model_config (with the Lambda's code) + model_weights
    return model.get_weights()


def test_hdf5_weights_load_arrays_only_and_a_lambda_in_the_file_never_runs(tmp_path):
  marker, path = str(tmp_path / 'ran'), str(tmp_path / 'g.h5')
  saved = _lambda_model_file(path, marker)
  os.rmdir(marker)                              # building the model called the Lambda once
  graph = tf.Graph()
  with graph.as_default(), tf1.Session(graph=graph) as sess:
    K.set_session(sess)
    inputs = keras.Input((2,))
    network = keras.Model(inputs, keras.layers.Dense(1, name='out')(inputs))
    sess.run(tf1.global_variables_initializer())
    exports.load_keras_weights(network, path)          # what bin/sample and resume use
    loaded = network.get_weights()
  assert not os.path.exists(marker)
  assert all(np.array_equal(a, b) for a, b in zip(loaded, saved)) and len(loaded) == 2
  with tf.Graph().as_default(), tf1.Session() as sess:   # the payload is live: load_model runs it
    K.set_session(sess)
    keras.models.load_model(path)
  assert os.path.isdir(marker)


def _two_checkpoints(run_dir, pickled):
  """Checkpoints 1 and 2 of a graph with a float and a string variable (holding ``pickled``)."""
  with tf.Graph().as_default():
    weight = tf1.get_variable('w', (), tf.float32, initializer=tf1.zeros_initializer())
    blob = tf1.get_variable('blob', (), tf.string, initializer=tf1.constant_initializer(pickled))
    manager = checkpoint.CheckpointManager(run_dir, keep=5)
    sampler = ArraySampler(np.zeros((4, 2), np.float32), seed=0)
    with tf1.Session() as sess:
      sess.run(tf1.global_variables_initializer())
      for step in (1, 2):
        sess.run(weight.assign(float(step)))
        manager.save(sess, step, {'step': step, 'data': sampler.state()})
    return manager.scan().path(2)


def _restore_newest(run_dir):
  with tf.Graph().as_default():
    tf1.get_variable('w', (), tf.float32, initializer=tf1.zeros_initializer())
    tf1.get_variable('blob', (), tf.string, initializer=tf1.constant_initializer(b''))
    manager = checkpoint.CheckpointManager(run_dir, keep=5)
    sampler = ArraySampler(np.zeros((4, 2), np.float32), seed=0)
    with tf1.Session() as sess:
      return manager.restore_newest(sess, lambda state: sampler.check_state(state['data']),
                                    lambda sess: None)


@pytest.mark.parametrize('sidecar', ['python', 'json_with_code'])
def test_a_checkpoint_sidecar_holding_code_is_skipped_and_never_run(tmp_path, sidecar):
  marker, run_dir = str(tmp_path / 'ran'), str(tmp_path / 'run')
  newest = _two_checkpoints(run_dir, b'')
  if sidecar == 'python':
    text = _code(marker)
  else:
    text = json.dumps({'step': 2, 'data': {'epoch': 0, 'rng': _code(marker)}})
  with open(newest + checkpoint.STATE_SUFFIX, 'w') as handle:
    handle.write(text)
  restored = _restore_newest(run_dir)
  assert restored.step == 1 and [p for p, _ in restored.skipped] == [newest]
  reason = restored.skipped[0][1]
  assert reason.startswith('unreadable state sidecar' if sidecar == 'python' else
                           'data position has no valid RNG state'), reason
  assert not os.path.exists(marker)


def test_checkpoint_tensors_are_read_as_arrays_and_bytes_never_unpickled(tmp_path):
  marker, run_dir = str(tmp_path / 'ran'), str(tmp_path / 'run')
  pickled = pickle.dumps(_Payload(marker))
  newest = _two_checkpoints(run_dir, pickled)
  restored = _restore_newest(run_dir)
  values = checkpoint.read_variables(newest)
  assert restored.step == 2 and values['w'] == 2.0 and values['blob'] == pickled
  assert not os.path.exists(marker)
  pickle.loads(values['blob'])                 # the payload is live
  assert os.path.isdir(marker)


def test_flag_files_holding_code_are_text(entry_points, tmp_path):
  """absl flag files (--flagfile) and a run's flags.txt (bin/sample --run_dir) are parsed."""
  marker = str(tmp_path / 'ran')
  flagfile = tmp_path / 'evil.cfg'
  flagfile.write_text(f'--model=wgan\n--train_steps={_code(marker)}\n')
  result = entry_points.run('train', [f'--flagfile={flagfile}'])
  assert result.returncode == 2 and len(result.error_lines()) == 1, result.stderr
  assert 'train_steps' in result.error_lines()[0]
  flagfile.write_text(f'--model={_code(marker)}\n')
  result = entry_points.run('train', [f'--flagfile={flagfile}'])
  assert result.returncode == 2 and len(result.error_lines()) == 1, result.stderr
  assert result.error_lines()[0].startswith(
      f'train: error: --model={_code(marker)!r} is not a registered model; choose one of: '
      'bn_regression, dcgan, lsgan, unrolled_gan, wgan, wgan_gp'), result.stderr
  run_dir = tmp_path / 'run'
  run_dir.mkdir()
  (run_dir / 'flags.txt').write_text(f'--model=wgan\n--z_dim={_code(marker)}\n')
  result = entry_points.run('sample', [f'--run_dir={run_dir}', f'--out={tmp_path / "g.png"}'])
  assert result.returncode == 2 and result.error_lines() == [
      f'sample: error: {run_dir}/flags.txt: --z_dim={_code(marker)} is not a int'], result.stderr
  assert not os.path.exists(marker)
