"""Mode-coverage reproduction: {k=0, k=5} x {ring, grid} x seeds, a table and the paper's figure.

Each run is a fresh graph trained by ``train_tracked`` (the same Model contract the engine loop
uses); its metrics, losses and sample snapshots are cached per run so an interrupted sweep resumes.
"""
import json
import multiprocessing
import os
import time

import numpy as np

from engine.compat import tf, tf1, keras
from engine.config import make_config
from engine.data import make_source
from engine.metrics import EVAL_SAMPLES

METRIC_NAMES = ('modes', 'high_quality', 'reverse_kl')
# Published (modes, % high-quality) as quoted in MISSION.md section C: Unrolled GAN from
# VEEGAN Table 1, PacGAN4 from the PacGAN paper. Reverse KL is not quoted there.
PUBLISHED = {
    'ring': {'Unrolled GAN (VEEGAN Table 1)': (7.6, 35.6),
             'PacGAN4 (PacGAN paper)': (7.8, 95.9)},
    'grid': {'Unrolled GAN (VEEGAN Table 1)': (23.6, 16.0),
             'PacGAN4 (PacGAN paper)': (24.8, 93.6)},
}


def train_tracked(overrides, data_name, snapshot_steps=()):
  """Train one unrolled_gan run; returns metrics/losses over training and sample snapshots."""
  from models.unrolled_gan import UnrolledGAN  # pylint: disable=import-outside-toplevel
  config = make_config(UnrolledGAN.Config, overrides)
  graph = tf.Graph()
  with graph.as_default():
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
      tf.config.experimental.enable_op_determinism()
    model = UnrolledGAN(config, make_source(data_name, config, config.seed))
    model.build()
    init = [tf1.global_variables_initializer(), tf1.local_variables_initializer()]
    graph.finalize()
    threads = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    history, losses, snapshots = [], [], {}
    with tf1.Session(graph=graph, config=threads) as sess:
      sess.run(init)
      start = time.time()
      for done in range(config.train_steps):
        values = model.iteration(sess, done)
        step = done + 1
        if step % 50 == 0:
          losses.append((step, values['d_loss'], values['g_loss']))
        if config.eval_every_steps and step % config.eval_every_steps == 0:
          report = model.final_report(sess)
          history.append((step, *[report[m] for m in METRIC_NAMES]))
        if step in snapshot_steps:
          snapshots[step] = model.sample(sess, EVAL_SAMPLES // 5)
      final = model.final_report(sess)
      samples = model.sample(sess, EVAL_SAMPLES)
      seconds = time.time() - start
  return dict(final=final, history=history, losses=losses, seconds=seconds,
              snapshots={int(k): v.tolist() for k, v in snapshots.items()},
              samples=samples.tolist(), centers=model.data.centers.tolist(), std=model.data.std)


def _run_job(job):
  overrides, data_name, snapshot_steps, path = job
  result = train_tracked(overrides, data_name, snapshot_steps)
  result['overrides'], result['data'] = overrides, data_name
  with open(path + '.tmp', 'w') as f:
    json.dump(result, f)
  os.replace(path + '.tmp', path)
  print(f'{os.path.basename(path)}: {result["final"]} in {result["seconds"]:.0f}s', flush=True)
  return path


def sweep(cache_dir, datasets, unroll_steps, seeds, overrides, processes=1, snapshot_count=5):
  """Run (or reuse cached) every (data, k, seed); returns {(data, k, seed): result}."""
  os.makedirs(cache_dir, exist_ok=True)
  steps = overrides['train_steps']
  snapshot_steps = sorted({max(1, int(round(steps * (i + 1) / snapshot_count)))
                           for i in range(snapshot_count)})
  jobs, paths = [], {}
  for data_name in datasets:
    for k in unroll_steps:
      for seed in seeds:
        name = f'{data_name}_k{k}_{overrides.get("unroll_mode", "documented")}_{steps}steps'
        path = os.path.join(cache_dir, f'{name}_seed{seed}.json')
        paths[(data_name, k, seed)] = path
        if not os.path.exists(path):
          run = dict(overrides, unroll_steps=k, seed=seed)
          jobs.append((run, data_name, snapshot_steps, path))
  if jobs:
    if processes > 1:
      with multiprocessing.get_context('spawn').Pool(processes) as pool:
        list(pool.imap_unordered(_run_job, jobs))
    else:
      for job in jobs:
        _run_job(job)
  results = {}
  for key, path in paths.items():
    with open(path) as f:
      results[key] = json.load(f)
  return results


def summarize(results):
  """{(data, k): {metric: (mean, std), 'runs': n, 'seconds': total}} over seeds."""
  groups = {}
  for (data_name, k, _), result in results.items():
    groups.setdefault((data_name, k), []).append(result)
  table = {}
  for key, runs in sorted(groups.items()):
    row = {'runs': len(runs), 'seconds': sum(r['seconds'] for r in runs)}
    for name in METRIC_NAMES:
      values = np.array([r['final'][name] for r in runs], dtype=np.float64)
      if name == 'high_quality':
        values = 100.0 * values
      finite = values[np.isfinite(values)]   # reverse KL is inf for a run with no HQ sample
      row[name] = (float(np.mean(finite)) if len(finite) else float('inf'),
                   float(np.std(finite)) if len(finite) else 0.0, len(values) - len(finite))
    table[key] = row
  return table


def markdown_table(table, num_modes):
  lines = ['| data | k | modes captured | % high-quality | reverse KL | seeds | train time |',
           '|---|---|---|---|---|---|---|']
  for (data_name, k), row in table.items():
    cells = [f'{row[m][0]:.2f} ± {row[m][1]:.2f}' +
             (f' ({row[m][2]} runs inf)' if row[m][2] else '') for m in METRIC_NAMES]
    cells[0] = cells[0] + f' / {num_modes[data_name]}'
    lines.append(f'| {data_name} | {k} | ' + ' | '.join(cells) +
                 f' | {row["runs"]} | {row["seconds"] / 60:.1f} min |')
  lines += ['', '| published | data | modes | % high-quality |', '|---|---|---|---|']
  for data_name in sorted({d for d, _ in table}):
    for source, (modes, hq) in PUBLISHED[data_name].items():
      lines.append(f'| {source} | {data_name} | {modes} / {num_modes[data_name]} | {hq} |')
  return '\n'.join(lines) + '\n'


def reproduce(out_dir, cache_dir, datasets, unroll_steps, seeds, overrides, processes=1):
  """Run the sweep, then write ``unrolled_results.md`` and the plots under ``out_dir``."""
  from models import unrolled_plots  # pylint: disable=import-outside-toplevel
  start = time.time()
  results = sweep(cache_dir, datasets, unroll_steps, seeds, overrides, processes)
  wall = time.time() - start
  table = summarize(results)
  num_modes = {d: len(r['centers']) for (d, _, _), r in results.items()}
  image_dir = os.path.join(out_dir, 'img')
  os.makedirs(image_dir, exist_ok=True)
  for data_name in datasets:
    shown = {f'k={k}': results[(data_name, k, seeds[0])] for k in unroll_steps}
    unrolled_plots.scatter_over_training(
        shown, os.path.join(image_dir, f'unrolled_{data_name}_samples.png'),
        f'unrolled_gan on {data_name}, seed {seeds[0]}: samples over training')
    unrolled_plots.losses_and_modes(
        shown, os.path.join(image_dir, f'unrolled_{data_name}_losses.png'),
        f'unrolled_gan on {data_name}, seed {seeds[0]}')
  settings = ' '.join(f'--{k}={v}' for k, v in sorted(overrides.items()))
  text = ('# unrolled_gan reproduction results (generated by bin/reproduce_unrolled)\n\n'
          f'Settings: `{settings}`, data {", ".join(datasets)}, k in {list(unroll_steps)}, '
          f'seeds {list(seeds)}. Metrics on 2,500 samples after the last iteration '
          '(mean ± std over seeds; high-quality = within 3 std of the nearest centre).\n'
          f'Sweep wall time this invocation: {wall / 60:.1f} min (cached runs not re-run); '
          'train time column = sum of per-run training seconds.\n\n' +
          markdown_table(table, num_modes))
  with open(os.path.join(out_dir, 'unrolled_results.md'), 'w') as f:
    f.write(text)
  return text
