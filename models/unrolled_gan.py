"""Unrolled GAN (Metz et al. 2016) on 2-D Gaussian mixtures, as the documented TF1 write-up ran it.

Documented iteration (``--unroll_mode=documented``): one discriminator update (θ_D¹, the one kept),
snapshot the discriminator, ``unroll_steps - 1`` look-ahead discriminator updates, one generator
update against the looked-ahead discriminator, restore θ_D¹ — with assign ops built once
(``engine.snapshot``), never ops created in the loop. ``--unroll_steps=0`` is a plain
alternating GAN.

``--unroll_mode=differentiable`` is the paper's surrogate: the generator minimises its loss against
the discriminator after k Adam steps written as tensors (``engine.unroll``), so its gradient
includes the second-order terms; then the discriminator takes its one real step.
"""
import dataclasses

import numpy as np

from graphgan.engine.compat import tf, tf1
from graphgan.engine.config import TrainConfig, hparam
from graphgan.engine.evaluation.metrics import EVAL_SAMPLES, sample_mode_report
from graphgan.engine.graph.snapshot import make_snapshot, network_state
from graphgan.engine.graph.scopes import network_scope
from graphgan.engine.graph.train_ops import build_train_op, step_counter
from graphgan.engine.graph.unroll import adam_unroll
from graphgan.engine.model import Model
from graphgan.engine.registry import register
from graphgan.models.mixture_mlp import mlp_network


@dataclasses.dataclass(frozen=True)
class UnrolledGANConfig(TrainConfig):
  """Defaults: the documented run (k=5, z 50) with the paper notebook's optimiser settings."""
  train_steps: int = hparam(25000, 'Generator iterations (paper notebook: 25000).', lower=1)
  batch_size: int = hparam(512, 'Real points and noise vectors per batch (paper notebook: 512).',
                           lower=1)
  log_every_steps: int = hparam(500, 'Progress line every N iterations.', lower=1)
  sample_every_steps: int = hparam(5000, 'Scatter plot every N iterations (0 = only at the end).',
                                   lower=0)
  save_every_steps: int = hparam(5000, 'Checkpoint every N iterations.', lower=1)
  unroll_steps: int = hparam(5, 'Discriminator steps the generator looks ahead (0 = plain GAN).',
                             lower=0, upper=100)
  unroll_mode: str = hparam('documented', "'documented': look-ahead steps run, generator updated, "
                            "θ_D¹ restored; 'differentiable': backpropagate through the k steps.",
                            choices=['documented', 'differentiable'])
  z_dim: int = hparam(50, 'Generator noise dimensions (documented run: 50; paper: 256).', lower=1)
  generator_hidden_units: int = hparam(128, 'Units per generator hidden layer.', lower=1)
  discriminator_hidden_units: int = hparam(128, 'Units per discriminator hidden layer.', lower=1)
  hidden_layers: int = hparam(2, 'Hidden layers in each network.', lower=1)
  hidden_activation: str = hparam('relu', 'Hidden-layer activation.', choices=['relu', 'tanh'])
  generator_loss: str = hparam('minimax', "'minimax' (-discriminator loss, the paper) or "
                               "'non_saturating' (-log D(G(z))).",
                               choices=['minimax', 'non_saturating'])
  learning_rate_g: float = hparam(1e-3, 'Generator Adam learning rate (paper notebook: 1e-3).',
                                  lower=0, lower_exclusive=True)
  learning_rate_d: float = hparam(1e-4, 'Discriminator Adam learning rate (paper notebook: 1e-4).',
                                  lower=0, lower_exclusive=True)
  adam_beta1: float = hparam(0.5, 'Adam beta1 for both networks.', lower=0, upper=1)
  adam_epsilon: float = hparam(1e-8, 'Adam epsilon for both networks.', lower=0,
                               lower_exclusive=True)
  snapshot_slots: bool = hparam(False, 'Snapshot/restore the discriminator optimizer\'s slots and '
                                'beta powers with its weights, so look-ahead steps do not leak '
                                'into Adam\'s moments (off: weights only, the documented code).')
  snapshot_kind: str = hparam('placeholder', "'placeholder' (host values fed to prebuilt assigns) "
                              "or 'device' (shadow variables, no host round trip).",
                              choices=['placeholder', 'device'])
  eval_every_steps: int = hparam(1000, 'Modes captured, high-quality fraction and reverse KL '
                                 '(2,500 samples) into metrics.jsonl every N iterations (0 = only '
                                 'at the end).', lower=0)
  ring_modes: int = hparam(8, 'Gaussians on the ring.', lower=1)
  ring_radius: float = hparam(1.0, 'Ring radius (PacGAN / paper notebook: 1).', lower=0,
                              lower_exclusive=True)
  ring_std: float = hparam(0.01, 'Std of each ring Gaussian (PacGAN: 0.01).', lower=0,
                           lower_exclusive=True)
  grid_std: float = hparam(0.05, 'Std of each grid Gaussian (VEEGAN/PacGAN: 0.05).', lower=0,
                           lower_exclusive=True)


def discriminator_loss(real_logits, fake_logits):
  """Mean sigmoid cross-entropy: real labelled 1, generated labelled 0."""
  xent = tf.nn.sigmoid_cross_entropy_with_logits
  return (tf.reduce_mean(xent(labels=tf.ones_like(real_logits), logits=real_logits)) +
          tf.reduce_mean(xent(labels=tf.zeros_like(fake_logits), logits=fake_logits)))


def generator_loss(kind, real_logits, fake_logits):
  if kind == 'minimax':
    return -discriminator_loss(real_logits, fake_logits)
  return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
      labels=tf.ones_like(fake_logits), logits=fake_logits))


@register('unrolled_gan')
class UnrolledGAN(Model):
  """Generator and discriminator MLPs on 2-D points; k-step unrolled discriminator."""

  Config = UnrolledGANConfig
  default_data = 'ring'
  sample_kind = 'points'
  towers_refusal = 'its look-ahead steps and snapshot/restore ops have no tower form yet'

  def build(self):
    c = self.config
    self.real = tf1.placeholder(tf.float32, (None, 2), name='real')
    self.noise = tf1.placeholder(tf.float32, (None, c.z_dim), name='noise')
    self.generator = mlp_network('generator', c.generator_hidden_units, c.hidden_layers, 2,
                                 c.hidden_activation)
    self.discriminator = mlp_network('discriminator', c.discriminator_hidden_units,
                                     c.hidden_layers, 1, c.hidden_activation)
    self.fake = self.generator(self.noise)
    real_logits, fake_logits = self.discriminator(self.real), self.discriminator(self.fake)
    self.d_loss = discriminator_loss(real_logits, fake_logits)
    self.d_optimizer = tf1.train.AdamOptimizer(c.learning_rate_d, c.adam_beta1,
                                               epsilon=c.adam_epsilon, name='adam_discriminator')
    self.g_optimizer = tf1.train.AdamOptimizer(c.learning_rate_g, c.adam_beta1,
                                               epsilon=c.adam_epsilon, name='adam_generator')
    with network_scope('discriminator'):       # Adam's beta powers beside the weights
      self.d_train = build_train_op(self.d_loss, self.discriminator, self.d_optimizer)
    self.differentiable = c.unroll_mode == 'differentiable' and c.unroll_steps > 0
    if self.differentiable:
      real_logits, fake_logits = self._unrolled_logits(c.unroll_steps)
    self.g_loss = generator_loss(c.generator_loss, real_logits, fake_logits)
    counter = step_counter('generator_steps')
    with network_scope('generator'):
      self.g_train = build_train_op(self.g_loss, self.generator, self.g_optimizer,
                                    counter=counter)
    self.snapshot = None
    if c.unroll_steps > 0 and not self.differentiable:
      state = network_state(self.discriminator.trainable_variables, self.d_optimizer,
                            include_optimizer=c.snapshot_slots)
      self.snapshot = make_snapshot(c.snapshot_kind, state, 'restore_discriminator')
    self.eval_noise = np.random.default_rng(c.seed + 7919).standard_normal(
        (EVAL_SAMPLES, c.z_dim)).astype(np.float32)

  def _unrolled_logits(self, steps):
    """Discriminator logits on (real, fake) after ``steps`` differentiable Adam steps."""
    variables = self.discriminator.trainable_variables
    substitution = self.discriminator.substitution

    def logits_at(params):
      with substitution.substitute(variables, params):
        return self.discriminator(self.real), self.discriminator(self.fake)

    unrolled = adam_unroll(lambda params: discriminator_loss(*logits_at(params)),
                           variables, self.d_optimizer, steps)
    return logits_at(unrolled)

  def networks(self):
    return [self.generator, self.discriminator]

  # -- loop --------------------------------------------------------------------------------
  def _feed(self):
    c = self.config
    return {self.real: self.data.image_sample(c.batch_size),
            self.noise: self.data.noise_sample(c.batch_size, c.z_dim)}

  def iteration(self, sess, step):
    if self.differentiable:
      feed = self._feed()
      g_loss, _ = sess.run([self.g_loss, self.g_train], feed)
      d_loss, _ = sess.run([self.d_loss, self.d_train], feed)
    else:
      d_loss, _ = sess.run([self.d_loss, self.d_train], self._feed())   # θ_D¹: kept
      if self.snapshot is not None:
        self.snapshot.save(sess)
        for _ in range(self.config.unroll_steps - 1):                   # look ahead
          sess.run(self.d_train, self._feed())
      g_loss, _ = sess.run([self.g_loss, self.g_train], self._feed())
      if self.snapshot is not None:
        self.snapshot.restore(sess)                                     # back to θ_D¹
    return {'d_loss': float(d_loss), 'g_loss': float(g_loss)}

  def sample(self, sess, num):
    """``num`` generated points from fixed noise (the first ``num`` of 2,500 fixed vectors)."""
    noise = self.eval_noise
    if num > len(noise):
      noise = np.random.default_rng(self.config.seed + 7919).standard_normal(
          (num, self.config.z_dim)).astype(np.float32)
    return sess.run(self.fake, {self.noise: noise[:num]})

  def final_report(self, sess):
    return sample_mode_report(self, sess)
