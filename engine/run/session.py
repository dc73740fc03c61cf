"""A built, finalized training graph: the model, its data, a session shared with Keras.

``Session`` builds the graph once (seeded), adds the engine's finiteness check, and finalizes
it in ``finalize()`` — the one path every session takes (the single-process loop, the benchmarks,
the cluster's session creator): Keras' lazy variable bookkeeping made first, then the model's
``before_finalize``, then ``graph.finalize()``.
"""
import contextlib
import os

from graphgan.engine import resources
from graphgan.engine.compat import tf, tf1, keras, K
from graphgan.engine.data import make_source
from graphgan.engine.errors import UserError
from graphgan.engine.graph import towers
from graphgan.engine.graph.train_ops import check_update_ops_used


def run_dir_of(model_cls, config):
  return config.run_dir or os.path.join('runs', model_cls.name)


def session_config():
  config = tf1.ConfigProto(allow_soft_placement=True)
  config.gpu_options.allow_growth = True
  # Grappler's remapper fails on every DCGAN-style critic ("remapper failed: ... fanout
  # LeakyReluGrad exist for missing node ...BiasAdd": it tries to fuse Conv2D+BiasAdd+LeakyRelu
  # whose BiasAdd output the gradient still reads) and then drops its whole rewrite, printing an
  # error line per new fetch. Turning it off yields the same graph without the error (measured
  # with bin/bench, see README).
  config.graph_options.rewrite_options.remapping = \
      config.graph_options.rewrite_options.OFF
  return config


class Session:
  """A built, finalized graph with its model, session and data — shared by train, bench, tests."""

  def __init__(self, model_cls, config, target='', device=None, make_session=True):
    """``device``: a device function for every op (a cluster's ``replica_device_setter``);
    ``make_session=False``: the caller creates the session (a cluster's session creator)."""
    towers.check_towers(model_cls, config)
    self.config = config
    self.graph = tf.Graph()
    self.sess = None
    with self.graph.as_default(), tf1.device(device), memory_errors():
      keras.utils.set_random_seed(config.seed)
      if config.deterministic:
        tf.config.experimental.enable_op_determinism()
      self.data_name = model_cls.default_data if config.data == 'embedded' else config.data
      self.data = make_source(self.data_name, config, config.seed)
      self.model = model_cls(config, self.data)
      self.model.build()
      check_example_shape(self.model, self.data, self.data_name)
      check_update_ops_used(self.model.networks(),
                            allow_unused=self.model.allow_unused_update_ops())
      resources.check_graph_fits(self.graph, config.batch_size)
      self.finite = FiniteCheck(tf1.global_variables())
      self.init_op = tf1.global_variables_initializer()
      self.local_init_op = tf1.local_variables_initializer()   # not in checkpoints
      if make_session:
        self.sess = tf1.Session(target, graph=self.graph,
                                config=towers.session_config(config.num_gpus, session_config()))
        K.set_session(self.sess)

  def prepare(self, restore=None):
    """Initialize (or ``restore()``), let Keras create its lazy ops, then finalize the graph."""
    with self.graph.as_default():
      if restore is None:
        self.sess.run(self.init_op)
        restored = None
      else:
        restored = restore(self.sess)
        if restored is None:
          self.sess.run(self.init_op)
      self.sess.run(self.local_init_op)
    self.finalize(self.sess)
    return restored

  def finalize(self, sess, warm_assigns=True):
    """Keras' lazy ops made, the model's ``before_finalize``, then ``graph.finalize()``.

    ``warm_assigns`` makes Keras' assign placeholders of every exported network now (by writing
    its weights back: a no-op on values), so loading HDF5 weights later adds no op. A cluster
    passes False: there a write-back into the live model on the ps could undo other workers'
    updates, and no cluster process loads weights into its graph.
    """
    with self.graph.as_default():
      K.get_session()                       # Keras' one-time variable-initialisation ops
      if warm_assigns:
        for keras_model in self.model.keras_exports().values():
          keras_model.set_weights(keras_model.get_weights())
      self.model.before_finalize(sess)
    self.graph.finalize()

  def close(self):
    if self.sess is not None:
      self.sess.close()
    K.clear_session()


@contextlib.contextmanager
def memory_errors():
  """A MemoryError while building data or graph is a size the user chose: one line."""
  try:
    yield
  except MemoryError:
    raise UserError('the data set or the model does not fit in this machine\'s memory (check '
                    '--batch_size, --z_dim, the widths and --embedded_size)') from None


class FiniteCheck:
  """One prebuilt op telling which floating-point variables hold NaN or Inf."""

  def __init__(self, variables):
    self.variables = [v for v in variables if v.dtype.base_dtype.is_floating]
    with tf1.name_scope('finite_check'):
      self.op = tf.stack([tf.reduce_all(tf.math.is_finite(v)) for v in self.variables]) \
          if self.variables else tf.constant([], tf.bool)

  def non_finite(self, sess):
    """Names of the variables holding a NaN or Inf (empty when all are finite)."""
    flags = sess.run(self.op)
    return [v.op.name for v, ok in zip(self.variables, flags) if not ok]


def check_example_shape(model, data, data_name):
  expected = getattr(model, 'example_shape', None)
  if expected is not None and tuple(data.example_shape) != tuple(expected):
    raise UserError(f'--data={data_name}: examples are shaped {tuple(data.example_shape)}, '
                    f'model {model.name} expects {tuple(expected)}')
