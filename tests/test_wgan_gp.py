"""The wgan_gp model: config guards, graph building, and a few training steps on points and images."""
import numpy as np
import pytest

from graphgan.engine.compat import keras, tf, tf1
from graphgan.engine.config import make_config
from graphgan.engine.data import ArraySampler
from graphgan.engine.errors import UserError
from graphgan.engine.graph.train_ops import check_update_ops_used
from graphgan.engine.run import loop
from graphgan.models.networks import dcgan_critic
from graphgan.models.wgan_gp import WganGp, WganGpConfig


def _points(seed=0):
  return ArraySampler(np.random.default_rng(seed).normal(size=(1024, 2)), seed=seed)


def _images(seed=0):
  return ArraySampler(np.random.default_rng(seed).uniform(-1, 1, size=(64, 16, 16, 3)), seed=seed)


def _train(config, data, iterations):
  """Build the model in a fresh graph, finalize it, run ``iterations``; losses and counters."""
  with tf.Graph().as_default() as graph:
    keras.utils.set_random_seed(config.seed)
    model = WganGp(config, data)
    model.build()
    check_update_ops_used(model.networks())
    with tf1.Session(graph=graph) as sess:
      sess.run(tf1.global_variables_initializer())
      graph.finalize()
      history = [model.iteration(sess, step) for step in range(iterations)]
      counters = sess.run([model.counters['critic'], model.counters['generator']])
      samples = model.sample(sess, 10)
  return history, counters, samples


def test_batch_norm_in_the_critic_is_refused():
  with pytest.raises(UserError, match='critic_norm'):
    make_config(WganGpConfig, {'critic_norm': 'batch'})


def test_defaults_are_the_papers():
  """Gulrajani et al. 2017, Algorithm 1: lambda 10, n_critic 5, Adam alpha 1e-4, beta1 0, beta2 0.9."""
  c = make_config(WganGpConfig, {})
  assert (c.gradient_penalty_weight, c.critic_steps) == (10.0, 5)
  assert (c.learning_rate_d, c.learning_rate_g, c.adam_beta1, c.adam_beta2) == (1e-4, 1e-4, 0.0, 0.9)
  assert c.critic_norm == 'layer'


def _critic_norm_outputs(norm, images):
  """The first normalisation layer's input and output of a fresh DCGAN critic on ``images``."""
  with tf.Graph().as_default() as graph:
    keras.utils.set_random_seed(0)
    critic = dcgan_critic(base_channels=4, image_shape=images.shape[1:], norm=norm)
    layer = critic.get_layer('conv1_norm')
    before = keras.Model(critic.input, layer.input)
    x = tf1.placeholder(tf.float32, (None,) + images.shape[1:])
    fetches = [before(x), layer(before(x))]
    fused = [op.type for op in graph.get_operations() if 'FusedBatchNorm' in op.type]
    with tf1.Session(graph=graph) as sess:
      sess.run(tf1.global_variables_initializer())
      inputs, outputs = sess.run(fetches, {x: images})
    return inputs.astype(np.float64), outputs, [w.shape.as_list() for w in layer.weights], fused


def test_critic_layer_norm_normalises_each_example_over_height_width_and_channels():
  """The authors' Layernorm(name, [1, 2, 3], x): per-example statistics over (H, W, C), one
  gamma/beta per channel, epsilon 1e-5; no fused kernel (the penalty differentiates it twice)."""
  images = np.random.default_rng(0).uniform(-1, 1, size=(3, 16, 16, 3)).astype(np.float32)
  inputs, outputs, shapes, fused = _critic_norm_outputs('layer', images)
  mean = inputs.mean(axis=(1, 2, 3), keepdims=True)
  variance = inputs.var(axis=(1, 2, 3), keepdims=True)
  np.testing.assert_allclose(outputs, (inputs - mean) / np.sqrt(variance + 1e-5),
                             rtol=1e-4, atol=1e-5)
  assert shapes == [[8], [8]] and fused == []          # conv1 has 2 x 4 channels
  _, alone, _, _ = _critic_norm_outputs('layer', images[:1])
  np.testing.assert_allclose(alone[0], outputs[0], rtol=1e-5, atol=1e-6)   # per example


def test_critic_layer_norm_per_pixel_stays_available():
  """--critic_norm=layer_per_pixel: Keras' default axis, each pixel over its channels."""
  images = np.random.default_rng(0).uniform(-1, 1, size=(2, 16, 16, 3)).astype(np.float32)
  inputs, outputs, _, _ = _critic_norm_outputs('layer_per_pixel', images)
  mean = inputs.mean(axis=-1, keepdims=True)
  variance = inputs.var(axis=-1, keepdims=True)
  np.testing.assert_allclose(outputs, (inputs - mean) / np.sqrt(variance + 1e-3),
                             rtol=1e-3, atol=1e-4)
  _, by_example, _, _ = _critic_norm_outputs('layer', images)
  assert not np.allclose(outputs, by_example, atol=1e-2)   # a different normalisation


def test_trains_on_points_with_finite_losses_and_five_critic_steps_per_generator_step():
  config = make_config(WganGpConfig, dict(batch_size=32, z_dim=2, mlp_hidden_units=16,
                                          gradient_penalty_weight=0.1))
  history, counters, samples = _train(config, _points(), 3)
  assert counters == [15, 3]
  assert samples.shape == (10, 2)
  for losses in history:
    assert set(losses) == {'d_loss', 'g_loss', 'gradient_penalty', 'critic_loss'}
    assert all(np.isfinite(v) for v in losses.values()), losses
    assert losses['critic_loss'] == pytest.approx(
        losses['d_loss'] + 0.1 * losses['gradient_penalty'], rel=1e-4, abs=1e-6)
  assert history[0] != history[-1]


def test_trains_on_images_with_layer_norm_critic_and_batch_norm_generator():
  config = make_config(WganGpConfig, dict(batch_size=4, z_dim=8, g_base_channels=4,
                                          d_base_channels=4, critic_steps=2))
  history, counters, samples = _train(config, _images(), 2)
  assert counters == [4, 2]
  assert samples.shape == (10, 16, 16, 3)
  assert all(np.isfinite(v) for losses in history for v in losses.values()), history


def test_same_seed_same_losses():
  config = make_config(WganGpConfig, dict(batch_size=16, z_dim=2, mlp_hidden_units=8, seed=3))
  first, _, _ = _train(config, _points(3), 2)
  second, _, _ = _train(config, _points(3), 2)
  assert first == second


def test_images_with_a_side_not_divisible_by_16_are_refused():
  data = ArraySampler(np.zeros((4, 28, 28, 1)), seed=0)
  with tf.Graph().as_default():
    with pytest.raises(UserError, match='--data'):
      WganGp(make_config(WganGpConfig, {}), data).build()


def _ring_config(run_dir, **overrides):
  return make_config(WganGpConfig, dict(
      dict(data='ring', run_dir=str(run_dir), batch_size=32, z_dim=2, mlp_hidden_units=16,
           gradient_penalty_weight=0.1, train_steps=4, summary_every_steps=0,
           sample_every_steps=0, log_every_steps=100), **overrides))


def test_resume_is_exact_because_epsilon_comes_from_the_checkpointed_sampler(tmp_path):
  """4 iterations straight == 2 iterations, restart from the checkpoint, 2 more (bit for bit)."""
  straight = loop.train(WganGp, _ring_config(tmp_path / 'straight')).losses
  first = loop.train(WganGp, _ring_config(tmp_path / 'resumed'), max_steps=2).losses
  second = loop.train(WganGp, _ring_config(tmp_path / 'resumed'), max_steps=2).losses
  assert [step for step, _ in first + second] == [1, 2, 3, 4]
  assert first + second == straight


def test_final_report_has_mode_metrics_on_the_ring(tmp_path):
  report = loop.train(WganGp, _ring_config(tmp_path, train_steps=1)).report
  assert set(report) == {'modes', 'high_quality', 'reverse_kl'}
  assert 0 <= report['modes'] <= 8 and 0.0 <= report['high_quality'] <= 1.0
