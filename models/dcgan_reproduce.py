"""The DCGAN v1-vs-v2 reproduction: train both BatchNormalization classes over seeds, then report.

``train_runs`` drives ``models.dcgan.DCGAN`` through the Model contract (build, before_finalize,
finalize, iteration) in a fresh graph per run, records every iteration's losses and snapshots
generated samples; ``report`` turns the run directories into curves, sample grids and the
quality table under ``docs/``. Training and reporting are separate so a report can be redrawn
from finished runs.
"""
import json
import os
import time

import numpy as np
from absl import logging

from engine.compat import tf, tf1, keras, K
from engine.config import make_config
from engine.data.source import make_source
from models.dcgan import DCGAN, format_progress

SAMPLE_COUNT = 1000     # generated images kept per snapshot (quality measure + grids)


def run_name(bn, seed):
  return f'{bn}-seed{seed}'


def train_run(bn, seed, iterations, batch_size, runs_dir, snapshot_every, data='glyphs28',
              data_path=''):
  """Train one (bn, seed) run; writes ``curve.json`` and ``samples_<iteration>.npy``."""
  out_dir = os.path.join(runs_dir, run_name(bn, seed))
  os.makedirs(out_dir, exist_ok=True)
  config = make_config(DCGAN.Config, dict(bn=bn, seed=seed, train_steps=iterations,
                                          batch_size=batch_size, data=data, data_path=data_path,
                                          log_every_steps=max(1, snapshot_every)))
  K.clear_session()
  graph = tf.Graph()
  with graph.as_default():
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = DCGAN(config, make_source(data, config, seed))
    model.build()
    noise = np.random.default_rng(10_000 + seed).standard_normal(
        (SAMPLE_COUNT, config.z_dim)).astype(np.float32)
    sess = tf1.Session(graph=graph)
    K.set_session(sess)
    model.before_finalize(sess)
    sess.run(tf1.global_variables_initializer())
    graph.finalize()
    curve, started = [], time.time()
    for step in range(iterations):
      losses = model.iteration(sess, step)
      curve.append([losses['d_loss'], losses['d_acc'], losses['g_loss']])
      if (step + 1) % snapshot_every == 0 or step + 1 == iterations:
        samples = model.generator.predict(noise, batch_size=250)
        np.save(os.path.join(out_dir, f'samples_{step + 1}.npy'), samples.astype(np.float16))
        logging.info('%s %s (%.0f s)', run_name(bn, seed), format_progress(step + 1, losses),
                     time.time() - started)
    sess.close()
  record = dict(bn=bn, seed=seed, iterations=iterations, batch_size=batch_size, data=data,
                seconds=time.time() - started, columns=['d_loss', 'd_acc', 'g_loss'], curve=curve)
  with open(os.path.join(out_dir, 'curve.json'), 'w') as f:
    json.dump(record, f)
  return record


def train_runs(bns, seeds, iterations, batch_size, runs_dir, snapshot_every, **data):
  """Every (bn, seed) run in turn, seed-major so partial results cover both classes."""
  for seed in seeds:
    for bn in bns:
      train_run(bn, seed, iterations, batch_size, runs_dir, snapshot_every, **data)


# -- report ---------------------------------------------------------------------------------
BOOK = {1000: dict(d_loss=0.235, d_acc=0.926, g_loss=4.60),     # MISSION D, original Keras 2,
        20000: dict(d_loss=0.058, d_acc=0.984, g_loss=4.25)}    # MNIST
WINDOW = 100            # iterations averaged for the "mean of last 100" columns
QUALITY_KEYS = ('coverage', 'confidence', 'confident', 'class_kl', 'frechet')


def load_runs(runs_dir):
  """{(bn, seed): record} of every finished run under ``runs_dir``."""
  runs = {}
  for name in sorted(os.listdir(runs_dir)):
    path = os.path.join(runs_dir, name, 'curve.json')
    if os.path.exists(path):
      with open(path) as f:
        record = json.load(f)
      record['curve'] = np.asarray(record['curve'], np.float64)
      record['dir'] = os.path.dirname(path)
      runs[(record['bn'], record['seed'])] = record
  return runs


def snapshots(record):
  """Sorted iterations with saved samples for one run."""
  return sorted(int(f[len('samples_'):-len('.npy')]) for f in os.listdir(record['dir'])
                if f.startswith('samples_') and f.endswith('.npy'))


def load_samples(record, iteration):
  return np.load(os.path.join(record['dir'], f'samples_{iteration}.npy')).astype(np.float32)


def measure_quality(runs, runs_dir):
  """{(bn, seed): {iteration: quality}} plus the real-glyph baseline row."""
  from engine import quality  # pylint: disable=import-outside-toplevel
  classifier = quality.GlyphClassifier(runs_dir)
  images, _ = quality.held_out_glyphs(2 * SAMPLE_COUNT)
  _, real_features = classifier.predict(images[:SAMPLE_COUNT])
  baseline = quality.sample_quality(classifier, images[SAMPLE_COUNT:], real_features)
  measured = {key: {it: quality.sample_quality(classifier, load_samples(record, it),
                                               real_features)
                    for it in snapshots(record)} for key, record in runs.items()}
  accuracy = classifier.held_out_accuracy()
  classifier.close()
  return measured, baseline, accuracy


def _mean_std(values):
  values = np.asarray(values, np.float64)
  return f'{values.mean():.3g} ± {values.std():.2g}' if len(values) > 1 else f'{values[0]:.3g}'


def summary_rows(runs, measured):
  """One row per BatchNormalization class: losses at the book's checkpoint and final quality."""
  rows = []
  for bn in sorted({bn for bn, _ in runs}):
    keys = sorted(key for key in runs if key[0] == bn)
    last = min(runs[key]['iterations'] for key in keys)
    at = min(1000, last)
    row = dict(bn=bn, seeds=len(keys), iterations=last, at=at)
    for column, name in enumerate(('d_loss', 'd_acc', 'g_loss')):
      row[name + '_at'] = [runs[k]['curve'][at - 1, column] for k in keys]
      row[name + '_window'] = [runs[k]['curve'][at - WINDOW:at, column].mean() for k in keys]
      row[name + '_last'] = [runs[k]['curve'][last - WINDOW:last, column].mean() for k in keys]
    for name in QUALITY_KEYS:
      row[name] = [measured[k][max(measured[k])][name] for k in keys]
    row['seconds'] = [runs[k]['seconds'] for k in keys]
    rows.append(row)
  return rows


def write_table(rows, baseline, accuracy, path):
  """The markdown results table (generated; docs/dcgan.md explains it)."""
  at = rows[0]['at']
  lines = [f'| BN class | seeds | iterations | D loss @{at} | D acc @{at} | G loss @{at} | '
           f'D loss (mean {WINDOW} to end) | D acc (end) | G loss (end) | coverage /10 | '
           'confidence | confident ≥0.9 | class KL | Fréchet | s per run |',
           '|' + '---|' * 15]
  for r in rows:
    cells = [r['bn'], str(r['seeds']), str(r['iterations']),
             _mean_std(r['d_loss_at']), _mean_std(100 * np.asarray(r['d_acc_at'])) + '%',
             _mean_std(r['g_loss_at']), _mean_std(r['d_loss_last']),
             _mean_std(100 * np.asarray(r['d_acc_last'])) + '%', _mean_std(r['g_loss_last'])]
    cells += [_mean_std(r[name]) for name in QUALITY_KEYS] + [_mean_std(r['seconds'])]
    lines.append('| ' + ' | '.join(cells) + ' |')
  b = BOOK[1000]
  lines.append(f'| book (Keras 2, MNIST; @1000 and @20000) | | 20000 | {b["d_loss"]} | {100 * b["d_acc"]:.1f}% | '
               f'{b["g_loss"]} | {BOOK[20000]["d_loss"]} | {100 * BOOK[20000]["d_acc"]:.1f}% | '
               f'{BOOK[20000]["g_loss"]} | | | | | | |')
  lines.append('| real held-out glyphs | | | | | | | | | ' + ' | '.join(
      _mean_std([baseline[name]]) for name in QUALITY_KEYS) + ' | |')
  lines.append('')
  lines.append(f'"@{at}" is the single iteration {at} (the book prints iteration 1000); "end" columns '
               f'average the last {WINDOW} iterations. Quality: {SAMPLE_COUNT} samples of the '
               f'final snapshot per run; classifier held-out accuracy {100 * accuracy:.1f}%. '
               'Values are mean ± std over seeds.')
  with open(path, 'w') as f:
    f.write('\n'.join(lines) + '\n')
  return '\n'.join(lines)


def plot_curves(runs, measured, path):
  """Loss/accuracy curves (moving average over 25 iterations) and Fréchet over training."""
  import matplotlib  # pylint: disable=import-outside-toplevel
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
  figure, axes = plt.subplots(1, 4, figsize=(18, 4), dpi=90)
  colours = {'v1': 'tab:blue', 'v2': 'tab:red'}
  kernel = np.ones(25) / 25
  for (bn, seed), record in sorted(runs.items()):
    steps = np.arange(1, len(record['curve']) + 1)
    for column, ax in enumerate(axes[:3]):
      values = record['curve'][:, column] * (100 if column == 1 else 1)
      smooth = np.convolve(values, kernel, mode='valid')
      ax.plot(steps[len(steps) - len(smooth):], smooth, color=colours[bn], lw=0.9,
              label=f'{bn} seed {seed}', alpha=0.8)
    its = sorted(measured[(bn, seed)])
    axes[3].plot(its, [measured[(bn, seed)][i]['frechet'] for i in its], 'o-', ms=3,
                 color=colours[bn], label=f'{bn} seed {seed}')
  for ax, name, key in zip(axes, ('D loss', 'D accuracy %', 'G loss'),
                           ('d_loss', 'd_acc', 'g_loss')):
    ax.set_title(name)
    ax.set_xlabel('iteration')
    ax.scatter([1000], [BOOK[1000][key] * (100 if key == 'd_acc' else 1)], marker='*', s=150,
               color='black', zorder=5, label='book @1000')
  axes[0].set_yscale('log')
  axes[2].set_yscale('log')
  axes[3].set_title('Fréchet distance to real glyphs (lower is better)')
  axes[3].set_xlabel('iteration')
  axes[3].set_yscale('log')
  axes[0].legend(fontsize=7)
  figure.tight_layout()
  figure.savefig(path)
  plt.close(figure)


def write_grids(runs, img_dir):
  """One 8x8 grid per run of its final samples, and v1 | v2 side by side for each seed."""
  from engine import images  # pylint: disable=import-outside-toplevel
  from PIL import Image  # pylint: disable=import-outside-toplevel

  def save(grid, path):
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(path)

  grids = {}
  for (bn, seed), record in sorted(runs.items()):
    grids[(bn, seed)] = images.image_grid(
        load_samples(record, snapshots(record)[-1])[:64], columns=8)[..., 0]
    save(grids[(bn, seed)], os.path.join(img_dir, f'dcgan_{bn}_seed{seed}.png'))
  for seed in sorted({seed for _, seed in runs}):
    if ('v1', seed) in grids and ('v2', seed) in grids:
      gap = np.full((grids[('v1', seed)].shape[0], 8), 128, np.uint8)
      save(np.concatenate([grids[('v1', seed)], gap, grids[('v2', seed)]], axis=1),
           os.path.join(img_dir, f'dcgan_v1_vs_v2_seed{seed}.png'))


def report(runs_dir, docs_dir):
  """Curves, grids, quality table and JSON under ``docs_dir`` from the runs in ``runs_dir``."""
  runs = load_runs(runs_dir)
  if not runs:
    raise ValueError(f'--runs_dir={runs_dir}: no finished runs (curve.json) to report')
  img_dir = os.path.join(docs_dir, 'img')
  os.makedirs(img_dir, exist_ok=True)
  measured, baseline, accuracy = measure_quality(runs, runs_dir)
  rows = summary_rows(runs, measured)
  table = write_table(rows, baseline, accuracy, os.path.join(docs_dir, 'dcgan_results.md'))
  plot_curves(runs, measured, os.path.join(img_dir, 'dcgan_curves.png'))
  write_grids(runs, img_dir)
  with open(os.path.join(docs_dir, 'dcgan_results.json'), 'w') as f:
    json.dump(dict(rows=rows, baseline=baseline, classifier_accuracy=accuracy,
                   quality={f'{bn}-seed{seed}': {str(i): q for i, q in per.items()}
                            for (bn, seed), per in measured.items()}),
              f, indent=1, default=float)
  logging.info('report written to %s:\n%s', docs_dir, table)
  return rows
