"""An experiment's pictures, drawn from its run directories and results records.

Each plot is ``fn(context, **options) -> [(caption, file name)]``; the catalog binds the options.
"""
import dataclasses
import os

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position
import numpy as np  # noqa: E402  pylint: disable=wrong-import-position

from graphgan.experiments import collect, snapshots  # noqa: E402  pylint: disable=wrong-import-position

SCATTER_SAMPLES = 2500
SNAPSHOTS = 5


@dataclasses.dataclass
class Context:
  experiment: object
  records: list                 # results records (``collect.run_record``)
  run_dirs: dict                # run name -> run directory
  references: dict              # label -> metrics (floor / ceiling rows)
  image_dir: str

  def path(self, kind):
    return os.path.join(self.image_dir, f'{self.experiment.name}_{kind}.png')

  def run_of(self, group, seed):
    return next((r for r in self.records if r['group'] == group and r['seed'] == seed
                 and r['iterations']), None)


def _save(figure, path):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  figure.tight_layout()
  figure.savefig(path, dpi=80)
  plt.close(figure)
  return os.path.basename(path)


def scatter_over_training(context, groups, seed, title):
  """Rows: ``groups`` (seed ``seed``); columns: samples at up to 5 checkpoints, centres in red."""
  shown = [(g, context.run_of(g, seed)) for g in groups]
  shown = [(g, r) for g, r in shown if r and collect.checkpoint_steps(context.run_dirs[r['name']])]
  if not shown:
    return []
  figure, axes = plt.subplots(len(shown), SNAPSHOTS, figsize=(2.4 * SNAPSHOTS, 2.5 * len(shown)),
                              squeeze=False)
  for row, (group, record) in zip(axes, shown):
    run_dir = context.run_dirs[record['name']]
    steps = snapshots.pick(collect.checkpoint_steps(run_dir), SNAPSHOTS)
    drawn, data = snapshots.samples_at(run_dir, steps, SCATTER_SAMPLES)
    centers = np.asarray(data.centers)
    span = np.abs(centers).max() * 1.5
    for ax in row:
      ax.axis('off')
    for ax, step in zip(row, steps):
      points = drawn[step]
      ax.axis('on')
      ax.scatter(points[:, 0], points[:, 1], s=1, c='tab:blue', alpha=0.3)
      ax.scatter(centers[:, 0], centers[:, 1], s=12, c='tab:red', marker='x', linewidths=1)
      ax.set_xlim(-span, span)
      ax.set_ylim(-span, span)
      ax.set_aspect('equal')
      ax.set_xticks([])
      ax.set_yticks([])
      ax.set_title(f'{group}, step {step}', fontsize=8)
  caption = f'{title}: samples over training, seed {seed} ({" vs ".join(g for g, _ in shown)})'
  return [(caption, _save(figure, context.path(f'scatter_{title}')))]


def _by_group(context):
  groups = {}
  for record in context.records:
    if record['iterations']:
      groups.setdefault(record['group'], []).append(record)
  return groups


def metric_curves(context, metrics, log_scale=()):
  """Each metric of ``metrics.jsonl`` over training: a thin line per seed, the mean per group."""
  groups = _by_group(context)
  if not groups:
    return []
  figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.4), squeeze=False)
  colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
  for ax, metric in zip(axes[0], metrics):
    for colour, (group, records) in zip(colours * 4, groups.items()):
      curves = {}
      for record in records:
        rows = [r for r in record['metrics']['over_training'] if metric in r]
        steps = [r['step'] for r in rows]
        values = [float(r[metric]) for r in rows]
        ax.plot(steps, values, color=colour, lw=0.6, alpha=0.4, marker='.', ms=2)
        for step, value in zip(steps, values):
          curves.setdefault(step, []).append(value)
      steps = sorted(curves)
      ax.plot(steps, [np.mean(curves[s]) for s in steps], color=colour, lw=1.8, marker='o', ms=3,
              label=group)
    for value, label in _reference_lines(context.references, metric):
      ax.axhline(value, color='grey', ls=':', lw=1)
      ax.annotate(label, (0.01, value), xycoords=('axes fraction', 'data'), fontsize=6,
                  color='grey')
    if metric in log_scale:
      ax.set_yscale('log')
    ax.set_title(metric)
    ax.set_xlabel('iteration')
    ax.legend(fontsize=7)
  return [(f'{", ".join(metrics)} over training (thin: seeds, thick: mean)',
           _save(figure, context.path('metrics')))]


def _reference_lines(references, metric):
  """(value, label) per reference line; references within 2% of each other (one ceiling per group)
  share one line, labelled once, so their labels do not print over each other."""
  points = sorted((float(values[metric]), label) for label, values in references.items()
                  if metric in values)
  clusters = []
  for value, label in points:
    if clusters and abs(value - clusters[-1][0][0]) <= 0.02 * abs(clusters[-1][0][0]):
      clusters[-1].append((value, label))
    else:
      clusters.append([(value, label)])
  lines = []
  for cluster in clusters:
    labels = [label for _, label in cluster]
    kinds = {label.split(': ', 1)[-1] for label in labels}
    label = labels[0] if len(labels) == 1 else (
        f'{kinds.pop()} ({len(labels)} groups)' if len(kinds) == 1 else '; '.join(labels))
    lines.append((float(np.mean([value for value, _ in cluster])), label))
  return lines


def loss_curves(context, losses, marks=None, log_scale=()):
  """Losses over training (means over ``window`` iterations), one line per run; ``marks``:
  {iteration: {loss: published value}} drawn as stars."""
  groups = _by_group(context)
  if not groups:
    return []
  figure, axes = plt.subplots(1, len(losses), figsize=(5 * len(losses), 3.4), squeeze=False)
  colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
  for ax, loss in zip(axes[0], losses):
    scale = 100.0 if loss.endswith('acc') else 1.0
    for colour, (group, records) in zip(colours * 4, groups.items()):
      for i, record in enumerate(records):
        curve = record['metrics']['losses']
        if loss in curve:
          ax.plot(curve['step'], np.asarray(curve[loss]) * scale, color=colour, lw=0.8,
                  alpha=0.8, label=group if i == 0 else None)
    for step, values in (marks or {}).items():
      if loss in values:
        ax.scatter([step], [values[loss]], marker='*', s=140, color='black', zorder=5,
                   label=f'published @{step}')
    if loss in log_scale:
      ax.set_yscale('log')
    ax.set_title(f'{loss}{" %" if scale != 1 else ""} (mean of {context.experiment.window})')
    ax.set_xlabel('iteration')
    ax.legend(fontsize=7)
  return [('losses over training', _save(figure, context.path('losses')))]


def _sample_pngs(run_dir):
  folder = os.path.join(run_dir, 'samples')
  if not os.path.isdir(folder):
    return {}
  return {int(name[len('samples_step'):-4]): os.path.join(folder, name)
          for name in sorted(os.listdir(folder))
          if name.startswith('samples_step') and name.endswith('.png')}


def sample_grids(context, groups, seed, columns=SNAPSHOTS):
  """Rows: ``groups`` (seed ``seed``); columns: the sample grids the run wrote, spread over it."""
  from PIL import Image  # pylint: disable=import-outside-toplevel
  shown = [(g, context.run_of(g, seed)) for g in groups]
  shown = [(g, _sample_pngs(context.run_dirs[r['name']])) for g, r in shown if r]
  shown = [(g, pngs) for g, pngs in shown if pngs]
  if not shown:
    return []
  figure, axes = plt.subplots(len(shown), columns, figsize=(2.6 * columns, 2.8 * len(shown)),
                              squeeze=False)
  for row, (group, pngs) in zip(axes, shown):
    for ax in row:
      ax.axis('off')
    for ax, step in zip(row, snapshots.pick(pngs, columns)):
      ax.imshow(np.asarray(Image.open(pngs[step])), cmap='gray', interpolation='nearest')
      ax.set_title(f'{group}, step {step}', fontsize=8)
  caption = f'samples over training, seed {seed} ({", ".join(g for g, _ in shown)})'
  return [(caption, _save(figure, context.path('samples')))]

