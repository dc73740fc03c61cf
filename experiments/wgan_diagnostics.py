"""Why a WGAN run does or does not learn: its critic and generator, checkpoint by checkpoint.

``python -m graphgan.experiments.wgan_diagnostics RUN_DIR [RUN_DIR ...]`` rebuilds each run's graph from
its ``flags.txt``, restores every kept checkpoint and prints, on one fixed real batch and fixed
noise (learning phase 1, as in training):

- ``gap``: mean D(real) - mean D(fake), the critic's Wasserstein estimate (= -d_loss);
- ``|dD/dx| real / fake``: mean per-example norm of the critic's input gradient — what the
  generator learns from; a 1-Lipschitz critic has norms up to 1, a clipped one far less;
- ``at clip``: fraction of critic weights within 1% of the clip bound (saturated clipping);
- ``|dG|``: norm of the generator loss's gradient over the generator's weights;
- ``spread``: mean over pixels of the std across 256 samples (one texture for every z: ~0); the
  same measure on the real batch is printed beside the run's name.
"""
import os
import sys

import numpy as np

from graphgan.engine import registry
from graphgan.engine.compat import tf, tf1
from graphgan.engine.config import make_config
from graphgan.engine.data.source import draw_noise
from graphgan.engine.errors import UserError
from graphgan.engine.run import loop
from graphgan.experiments import collect, flagfiles

NUM = 256


def _spread(images):
  """Mean over pixels of the std across the batch (one image for every z: ~0)."""
  return float(np.mean(images.std(axis=0)))


def diagnose(run_dir):
  """([(step, {measure: value})] for every kept checkpoint of the wgan run in ``run_dir``, the
  spread of its fixed real batch)."""
  flags_txt = os.path.join(run_dir, 'flags.txt')
  if not os.path.isfile(flags_txt):
    raise UserError(f'{run_dir} has no flags.txt: not a run directory')
  model_name, values = flagfiles.read_flags_txt(flags_txt)
  if model_name != 'wgan':
    raise UserError(f'{run_dir} is a {model_name} run; the diagnostics are for wgan runs (clipped critic)')
  model_cls = registry.get(model_name)
  # The probe batch: NUM real images in a shuffled pass (any sampling draws the same data set).
  config = make_config(model_cls.Config, dict(values, batch_size=NUM, data_sampling='epochs'))
  session = loop.Session(model_cls, config)
  model = session.model
  with session.graph.as_default():
    real_grad = tf.gradients(model.loss_tensors['d_loss'], model.real)[0] * -NUM       # dD(x_i)/dx_i
    fake_grad = tf.gradients(model.loss_tensors['g_loss'], model.fake)[0] * -NUM    # dD(G(z_i))/dG(z_i)
    g_grads = tf.gradients(model.loss_tensors['g_loss'], model.generator.trainable_variables)
    weights = model.discriminator.trainable_variables
    saver = tf1.train.Saver(max_to_keep=None)
  prefixes = collect.checkpoint_steps(run_dir)
  rows = []
  try:
    session.prepare(restore=lambda sess: None)
    feed = {model.real: session.data.image_sample(NUM),
            model.z: draw_noise(np.random.default_rng(12345), (NUM, config.z_dim),
                                model.noise_distribution),
            model.learning_phase: 1}
    for step in sorted(prefixes):
      try:
        saver.restore(session.sess, prefixes[step])
      except (ValueError, tf.errors.NotFoundError):
        if os.path.exists(prefixes[step] + '.index'):
          raise
        # A run still training retires its old checkpoints: one listed a moment ago may be gone.
        print(f'{run_dir}: checkpoint {step} was retired while reading; skipped', file=sys.stderr)
        continue
      d_loss, real, fake, grads, critic, samples = session.sess.run(
          [model.loss_tensors['d_loss'], real_grad, fake_grad, g_grads, weights, model.fake], feed)
      flat = np.concatenate([w.ravel() for w in critic])
      rows.append((step, {
          'gap': -float(d_loss),
          'grad_real': float(np.mean(np.linalg.norm(real.reshape(NUM, -1), axis=1))),
          'grad_fake': float(np.mean(np.linalg.norm(fake.reshape(NUM, -1), axis=1))),
          'at_clip': float(np.mean(np.abs(flat) >= 0.99 * config.clip_value)),
          'generator_grad': float(np.sqrt(sum(np.sum(g * g) for g in grads))),
          'spread': _spread(samples)}))
  finally:
    session.close()
  return rows, _spread(feed[model.real])


def format_rows(run_dir, rows, real_spread):
  lines = [f'{run_dir} (spread of the real batch: {real_spread:.3f})',
           f'{"step":>7} {"gap":>10} {"|dD/dx| real":>13} {"fake":>10} {"at clip":>8} '
           f'{"|dG|":>10} {"spread":>7}']
  for step, m in rows:
    lines.append(f'{step:7d} {m["gap"]:10.3g} {m["grad_real"]:13.3g} {m["grad_fake"]:10.3g} '
                 f'{m["at_clip"]:8.1%} {m["generator_grad"]:10.3g} {m["spread"]:7.3f}')
  return '\n'.join(lines)


if __name__ == '__main__':
  for path in sys.argv[1:]:
    try:
      print(format_rows(path, *diagnose(path)), flush=True)
    except UserError as error:
      sys.exit(f'wgan_diagnostics: {error}')
