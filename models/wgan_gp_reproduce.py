"""WGAN-GP on the 2-D ring and grid: mode metrics and samples over training, and their plots.

``python -m models.wgan_gp_reproduce --data=ring --seed=0 --train_steps=6000 --out_dir=DIR``
trains with the settings of ``flags/wgan_gp_toy.cfg`` through the engine's own session
(``engine.loop.Session``: same seeding, data and graph as ``bin/train``, so the losses are
bit-identical to ``bin/train --flagfile=flags/wgan_gp_toy.cfg``), and every ``--eval_every_steps``
draws 2,500 fresh samples and scores them with ``engine.metrics.mode_metrics``.
``--plot=DIR1,DIR2,...`` turns finished runs into docs/img pictures.
"""
import json
import os

import numpy as np
from absl import app, flags

from engine.config import make_config
from engine.metrics import EVAL_SAMPLES, mode_metrics

# flags/wgan_gp_toy.cfg, spelled out (its λ, widths, noise, batch and Adam beta1).
TOY_SETTINGS = dict(gradient_penalty_weight=0.1, mlp_hidden_layers=3, mlp_hidden_units=512,
                    z_dim=2, batch_size=256, adam_beta1=0.5, summary_every_steps=0,
                    sample_every_steps=0, resume=False)
EVAL_SEED_OFFSET = 10_000   # evaluation noise comes from its own RNG, apart from training's


def track(data_name, seed, train_steps, eval_every_steps, out_dir):
  """Train from scratch; log metrics + losses to out_dir/log.jsonl, samples to samples.npz."""
  from engine import loop  # pylint: disable=import-outside-toplevel
  from models.wgan_gp import WganGp  # pylint: disable=import-outside-toplevel
  os.makedirs(out_dir, exist_ok=True)
  config = make_config(WganGp.Config, dict(TOY_SETTINGS, data=data_name, seed=seed,
                                           train_steps=train_steps, run_dir=out_dir))
  session = loop.Session(WganGp, config)
  session.prepare()
  model, sess, data = session.model, session.sess, session.data
  eval_rng = np.random.default_rng(EVAL_SEED_OFFSET + seed)
  snapshots, losses = {}, {}
  with open(os.path.join(out_dir, 'log.jsonl'), 'w') as log:
    for step in range(train_steps + 1):
      if step % eval_every_steps == 0 or step == train_steps:
        noise = eval_rng.standard_normal((EVAL_SAMPLES, config.z_dim)).astype(np.float32)
        samples = sess.run(model.fake, {model.z: noise})
        snapshots[f's{step}'] = samples
        record = dict(step=step, **mode_metrics(samples, data.centers, data.std), **losses)
        print(json.dumps(record), flush=True)
        log.write(json.dumps(record) + '\n')
        log.flush()
        np.savez(os.path.join(out_dir, 'samples.npz'), **snapshots)
      if step < train_steps:
        losses = model.iteration(sess, step)
  session.close()


def plot(run_dirs, image_path):
  """One row per run: sample scatter plots at five steps over the true centres."""
  import matplotlib  # pylint: disable=import-outside-toplevel
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
  from engine.data.mixtures import grid_centers, ring_centers  # pylint: disable=import-outside-toplevel
  columns = 5
  figure, axes = plt.subplots(len(run_dirs), columns, figsize=(3 * columns, 3 * len(run_dirs)),
                              squeeze=False)
  for row, run_dir in zip(axes, run_dirs):
    records = [json.loads(line) for line in open(os.path.join(run_dir, 'log.jsonl'))]
    samples = np.load(os.path.join(run_dir, 'samples.npz'))
    name = os.path.basename(run_dir.rstrip('/'))
    centers = ring_centers() if name.startswith('ring') else grid_centers()
    picks = np.linspace(0, len(records) - 1, columns).round().astype(int)
    for ax, pick in zip(row, picks):
      record = records[pick]
      points = samples[f's{record["step"]}']
      ax.scatter(points[:, 0], points[:, 1], s=1, alpha=0.3, c='tab:green')
      ax.scatter(centers[:, 0], centers[:, 1], s=12, marker='x', c='tab:orange')
      limit = 1.6 if name.startswith('ring') else 5.5
      ax.set_xlim(-limit, limit)
      ax.set_ylim(-limit, limit)
      ax.set_aspect('equal')
      ax.set_xticks([])
      ax.set_yticks([])
      ax.set_title(f'{name} step {record["step"]}\n{record["modes"]}/{len(centers)} modes, '
                   f'{100 * record["high_quality"]:.1f}% HQ', fontsize=9)
  figure.tight_layout()
  figure.savefig(image_path, dpi=80)


def main(argv):
  del argv
  f = flags.FLAGS
  if f.plot:
    plot(f.plot, f.image)
  else:
    track(f.data, f.seed, f.train_steps, f.eval_every_steps, f.out_dir)


if __name__ == '__main__':
  flags.DEFINE_enum('data', 'ring', ['ring', 'grid'], 'Mixture to train on.')
  flags.DEFINE_integer('seed', 0, 'Seed (weights, data, noise).')
  flags.DEFINE_integer('train_steps', 6000, 'Generator iterations.')
  flags.DEFINE_integer('eval_every_steps', 500, 'Mode metrics on 2,500 samples every N iterations.')
  flags.DEFINE_string('out_dir', 'runs/wgan_gp_toy', 'Where log.jsonl and samples.npz go.')
  flags.DEFINE_list('plot', [], 'Finished run directories to plot instead of training.')
  flags.DEFINE_string('image', 'docs/img/wgan_gp_toy.png', 'Plot output path.')
  app.run(main)
