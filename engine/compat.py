"""The one place graphgan switches TensorFlow into TF1 graph mode with Keras 2.

Import this module before anything else touches TensorFlow (``import engine`` does it).
``TF_USE_LEGACY_KERAS=1`` must be in the environment before TensorFlow is first imported so that
``tf.keras`` / ``tf.compat.v1.keras`` resolve to ``tf_keras`` (Keras 2, the home of graph-mode Keras).
"""
import os
import sys

if 'tensorflow' in sys.modules and os.environ.get('TF_USE_LEGACY_KERAS') != '1':
  raise ImportError('engine.compat must be imported before tensorflow '
                    '(TF_USE_LEGACY_KERAS=1 has to be set before TensorFlow loads).')
os.environ['TF_USE_LEGACY_KERAS'] = '1'
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf.compat.v1.disable_eager_execution()
tf.get_logger().setLevel('ERROR')   # TF1-API deprecation notices would drown the progress lines

tf1 = tf.compat.v1
K = tf.compat.v1.keras.backend
UPDATE_OPS = tf1.GraphKeys.UPDATE_OPS

__all__ = ['tf', 'tf1', 'keras', 'K', 'UPDATE_OPS']
