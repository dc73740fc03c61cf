"""Style F: the UPDATE_OPS regression — BatchNormalization whose moving statistics never train.

A tiny regression (inputs -3..0, labels 0..3) through BN -> Dense(1) -> BN -> Dense(1), built
twice in ``variable_scope('batch_normalization_test')``: a train tower, then a test tower with
``reuse=True``, both taking the same ``training`` placeholder (the documented listing: it feeds
``training: True`` while training, so ``UPDATE_OPS`` holds 8 ops and the shared moving statistics
move twice per step; ``--test_tower_training=false`` builds the test tower with ``training=False``
instead: 4 update ops). Adam 0.001, ``compute_gradients`` then ``apply_gradients`` under
``control_dependencies(UPDATE_OPS)``; every step feeds the 4 rows in the listing's order, and the
test loss is the test tower's at ``training: False``, as the listing evaluates it.

``--bn_impl=layers`` (``tf.compat.v1.layers.BatchNormalization``) puts the moving-statistic
updates in ``UPDATE_OPS``: they train and the test tower reproduces the train tower.
``--bn_impl=keras`` (Keras BatchNormalization) keeps them on ``layer.updates``: the documented
train op never runs them, the statistics stay 0/1 and evaluation diverges from training. Keras
layers also ignore ``reuse=True``, so the keras test tower gets its own, untrained BN variables.
The engine sees the updates through the network (``VariableScopeNetwork.track``) and refuses the
keras graph unless ``--allow_unused_update_ops``; ``--update_ops=network`` builds the train op the
engine's way (the train tower's own updates; ``layers`` only, see ``build``).
"""
import dataclasses

import numpy as np

from graphgan.engine.compat import tf, tf1, keras, UPDATE_OPS
from graphgan.engine.config import TrainConfig, hparam
from graphgan.engine.data import ArraySampler, register_source
from graphgan.engine.errors import UserError
from graphgan.engine.graph.network import VariableScopeNetwork
from graphgan.engine.graph.train_ops import apply_with_updates, build_train_op, step_counter
from graphgan.engine.model import Model
from graphgan.engine.registry import register

INPUTS = np.array([[-3.], [-2.], [-1.], [0.]], np.float32)
LABELS = np.array([[0.], [1.], [2.], [3.]], np.float32)
SCOPE = 'batch_normalization_test'
BATCH_NORM_CLASSES = {'layers': tf1.layers.BatchNormalization,
                      'keras': keras.layers.BatchNormalization}


@register_source('regression4')
def regression4_source(config, seed):
  """The documented 4 (input, label) rows as one [4, 2] array; each step feeds all 4 in the
  listing's order (``BnRegression._feed``), so the sampler only carries the run's position."""
  del config
  return ArraySampler(np.concatenate([INPUTS, LABELS], axis=1), seed)


@register('bn_regression')
class BnRegression(Model):
  """The documented regression; ``final_report`` gives the train/eval gap and moving statistics."""

  @dataclasses.dataclass(frozen=True)
  class Config(TrainConfig):
    train_steps: int = hparam(5000, 'Adam steps on the whole 4-example data set.', lower=1)
    batch_size: int = hparam(4, 'Examples per batch; the data set is 4 fixed examples, so 4.',
                             lower=4, upper=4)
    learning_rate: float = hparam(0.001, 'Adam learning rate.', lower=0.0, lower_exclusive=True)
    bn_impl: str = hparam('layers', "BatchNormalization class: 'layers' "
                          "(tf.compat.v1.layers, updates in UPDATE_OPS) or 'keras' (updates only "
                          "on layer.updates).", choices=['layers', 'keras'])
    update_ops: str = hparam('collection', "Update ops the train op runs: 'collection' (the "
                             "documented control_dependencies(UPDATE_OPS)) or 'network' (the "
                             "engine's: the train tower's own updates).",
                             choices=['collection', 'network'])
    test_tower_training: str = hparam('placeholder', "The reuse=True test tower's training "
                                      "argument: 'placeholder' (the documented listing: the same "
                                      "placeholder as the train tower, fed True while training) "
                                      "or 'false' (inference only, no update ops).",
                                      choices=['placeholder', 'false'])
    allow_unused_update_ops: bool = hparam(False, 'Build even when some update op runs in no '
                                           'train op (warns loudly); needed to reproduce '
                                           '--bn_impl=keras --update_ops=collection.')
    log_every_steps: int = hparam(500, 'Progress line every N steps.', lower=1)
    summary_every_steps: int = hparam(100, 'TensorBoard loss scalars every N steps (0 = off).',
                                      lower=0)
    sample_every_steps: int = hparam(0, 'Plot of (input, eval output) every N steps '
                                     '(0 = only at the end).', lower=0)
    save_every_steps: int = hparam(1000, 'Checkpoint every N steps (and always at the end).',
                                   lower=1)
    export_every_epochs: int = hparam(0, 'No Keras models to export (each step is an epoch).',
                                      lower=0, upper=0)

  sample_kind = 'points'
  default_data = 'regression4'
  towers_refusal = 'its one batch is the 4-example data set, and BN statistics need all 4'

  def build(self):
    if self.config.bn_impl == 'keras' and self.config.update_ops == 'network':
      raise UserError('--update_ops=network needs --bn_impl=layers: Keras layers ignore '
                      'variable_scope reuse, so the keras test tower has its own BN variables '
                      'that the train loss cannot reach')
    self.x = tf1.placeholder(tf.float32, (None, 1), name='x')
    self.y = tf1.placeholder(tf.float32, (None, 1), name='y')
    self.training = tf1.placeholder(tf.bool, (), name='training')
    self.batch_norm_layers = []
    self.net = VariableScopeNetwork(SCOPE, self._tower)
    self.train_output = self.net(self.x, self.training)
    self.train_variables = self.net.variables
    self.train_batch_norms = list(self.batch_norm_layers)
    test_training = self.training if self.config.test_tower_training == 'placeholder' else False
    self.test_output = self.net(self.x, test_training)
    self.test_batch_norms = self.batch_norm_layers[len(self.train_batch_norms):]
    self.loss = tf.reduce_mean(tf.square(self.y - self.train_output), name='loss')
    self.test_loss = tf.reduce_mean(tf.square(self.y - self.test_output), name='test_loss')

    optimizer = tf1.train.AdamOptimizer(self.config.learning_rate)
    counter = step_counter('regression_steps')
    if self.config.update_ops == 'collection':
      grads_and_vars = optimizer.compute_gradients(self.loss)
      self.train_op = apply_with_updates(optimizer, grads_and_vars, tf1.get_collection(UPDATE_OPS),
                                         counter=counter, name='train')
    else:
      self.train_op = build_train_op(self.loss, self.net, optimizer, counter=counter, name='train')

  def _tower(self, x, training):
    """BN -> Dense(1) -> BN -> Dense(1), the documented tower."""
    h = self._batch_norm()(x, training=training)
    h = tf1.layers.dense(h, 1)
    h = self._batch_norm()(h, training=training)
    return tf1.layers.dense(h, 1)

  def _batch_norm(self):
    layer = self.net.track(BATCH_NORM_CLASSES[self.config.bn_impl]())
    self.batch_norm_layers.append(layer)
    return layer

  def networks(self):
    return [self.net]

  def allow_unused_update_ops(self):
    return self.config.allow_unused_update_ops

  def _feed(self, training):
    return {self.x: INPUTS, self.y: LABELS, self.training: training}

  def iteration(self, sess, step):
    """One Adam step on the 4 rows (the listing's order, ``training: True``); then the test
    tower's loss at ``training: False`` (how the listing evaluates), so the curves show the bug."""
    _, loss = sess.run([self.train_op, self.loss], self._feed(True))
    test_loss = sess.run(self.test_loss, self._feed(False))
    return {'loss': float(loss), 'test_loss': float(test_loss)}

  def sample(self, sess, num):
    """(input, test-tower output) per example: the fit as the evaluation sees it."""
    outputs = sess.run(self.test_output, self._feed(False))
    return np.concatenate([INPUTS, outputs], axis=1)[:num]

  def final_report(self, sess):
    """Train/eval outputs, their gap and every BN layer's moving statistics: the train tower in
    training mode (batch statistics), the test tower and the train tower in inference mode."""
    train, loss = sess.run([self.train_output, self.loss], self._feed(True))
    test, test_loss, train_inference = sess.run(
        [self.test_output, self.test_loss, self.train_output], self._feed(False))
    report = {'train_loss': float(loss), 'test_loss': float(test_loss),
              'eval_gap': float(np.max(np.abs(test - train))),
              'train_tower_inference_gap': float(np.max(np.abs(train_inference - train)))}
    for tower, layers in (('train', self.train_batch_norms), ('test', self.test_batch_norms)):
      for i, layer in enumerate(layers):
        mean, variance = sess.run([layer.moving_mean, layer.moving_variance])
        report[f'{tower}_bn{i}_moving_mean'] = float(mean[0])
        report[f'{tower}_bn{i}_moving_variance'] = float(variance[0])
    return report
