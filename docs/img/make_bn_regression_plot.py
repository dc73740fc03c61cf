"""Makes docs/img/bn_regression.png from two bin/train run directories' losses.csv.

python docs/img/make_bn_regression_plot.py RUN_DIR_LAYERS RUN_DIR_KERAS
"""
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(layers_dir, keras_dir):
  figure, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
  for axis, run_dir, title in ((axes[0], layers_dir, '--bn_impl=layers'),
                               (axes[1], keras_dir, '--bn_impl=keras')):
    data = np.genfromtxt(f'{run_dir}/losses.csv', delimiter=',', names=True)
    axis.semilogy(data['step'], data['loss'], label='train tower, training=True')
    axis.semilogy(data['step'], data['test_loss'], label='test tower (reuse=True), training=False')
    axis.set_title(title)
    axis.set_xlabel('Adam step')
    axis.grid(alpha=0.3)
  axes[0].set_ylabel('mean squared error')
  axes[1].legend(loc='lower left', fontsize=8)
  figure.tight_layout()
  figure.savefig('docs/img/bn_regression.png', dpi=80)


if __name__ == '__main__':
  main(*sys.argv[1:3])
