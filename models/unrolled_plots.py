"""The reproduction's pictures: sample scatter over training (k=0 beside k=5) and the losses."""
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  pylint: disable=wrong-import-position
import numpy as np  # noqa: E402  pylint: disable=wrong-import-position


def scatter_over_training(runs, path, title):
  """One row per run label ({label: result}); columns are the cached sample snapshots."""
  labels = list(runs)
  steps = sorted(int(s) for s in runs[labels[0]]['snapshots'])
  fig, axes = plt.subplots(len(labels), len(steps), figsize=(2.4 * len(steps), 2.5 * len(labels)),
                           squeeze=False)
  for row, label in enumerate(labels):
    result = runs[label]
    centers = np.asarray(result['centers'])
    span = np.abs(centers).max() * 1.5
    for col, step in enumerate(steps):
      ax = axes[row][col]
      points = np.asarray(result['snapshots'][str(step)] if str(step) in result['snapshots']
                          else result['snapshots'][step])
      ax.scatter(centers[:, 0], centers[:, 1], s=12, c='tab:red', marker='x', linewidths=1)
      ax.scatter(points[:, 0], points[:, 1], s=1, c='tab:blue', alpha=0.4)
      ax.set_xlim(-span, span)
      ax.set_ylim(-span, span)
      ax.set_xticks([])
      ax.set_yticks([])
      if row == 0:
        ax.set_title(f'step {step}', fontsize=9)
      if col == 0:
        ax.set_ylabel(label, fontsize=9)
  fig.suptitle(title, fontsize=10)
  fig.tight_layout()
  fig.savefig(path, dpi=90)
  plt.close(fig)


def losses_and_modes(runs, path, title):
  """Discriminator/generator losses and modes captured over training, one line per run label."""
  fig, (ax_loss, ax_modes) = plt.subplots(1, 2, figsize=(10, 3.2))
  for label, result in runs.items():
    losses = np.asarray(result['losses'])
    if len(losses):
      ax_loss.plot(losses[:, 0], losses[:, 1], label=f'{label} D', lw=0.8)
      ax_loss.plot(losses[:, 0], losses[:, 2], label=f'{label} G', lw=0.8, ls='--')
    history = np.asarray(result['history'])
    if len(history):
      ax_modes.plot(history[:, 0], history[:, 1], marker='.', label=label)
  ax_loss.set_xlabel('iteration')
  ax_loss.set_ylabel('loss')
  ax_loss.legend(fontsize=7)
  ax_modes.set_xlabel('iteration')
  ax_modes.set_ylabel('modes captured')
  ax_modes.legend(fontsize=7)
  fig.suptitle(title, fontsize=10)
  fig.tight_layout()
  fig.savefig(path, dpi=90)
  plt.close(fig)
