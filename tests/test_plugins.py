"""A model and a data source defined outside this package, loaded with ``--import``: no file of
graphgan is edited, the plugin's flags are listed by --helpfull, and it trains."""
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLUGIN = '''
"""A 5-Gaussian line and a least-squares GAN on it, written against graphgan's public API."""
import dataclasses

import numpy as np

from graphgan.engine import losses
from graphgan.engine.compat import tf1
from graphgan.engine.config import hparam
from graphgan.engine.data import register_source
from graphgan.engine.data.mixtures import MixtureSampler
from graphgan.engine.gan import AlternatingGAN
from graphgan.engine.registry import register
from graphgan.models.networks import GANNetworkConfig, gan_discriminator, gan_generator


@dataclasses.dataclass(frozen=True)
class LineSettings:
  line_length: float = hparam(4.0, 'Length of the line of Gaussians.', lower=0)


@register_source('line', settings=LineSettings)
def line_source(config, seed):
  xs = np.linspace(-config.line_length / 2, config.line_length / 2, 5)
  return MixtureSampler(np.stack([xs, np.zeros(5)], axis=1), 0.05, seed)


@dataclasses.dataclass(frozen=True)
class TinyConfig(GANNetworkConfig):
  tiny_learning_rate: float = hparam(1e-3, 'Adam learning rate of both tiny networks.', lower=0)


@register('tiny_gan')
class TinyGAN(AlternatingGAN):
  Config = TinyConfig
  default_data = 'line'

  def build_generator(self):
    return gan_generator(self.config, self.example_shape, 'tiny_gan')

  def build_discriminator(self):
    return gan_discriminator(self.config, self.example_shape, 'tiny_gan')

  def losses(self, gan):
    return {'d_loss': losses.least_squares_discriminator_loss(gan.real_scores, gan.fake_scores),
            'g_loss': losses.least_squares_generator_loss(gan.fake_scores)}

  def optimizers(self):
    rate = self.config.tiny_learning_rate
    return tf1.train.AdamOptimizer(rate, name='adam_d'), tf1.train.AdamOptimizer(rate, name='adam_g')
'''


def _bin_train(args, plugin_root):
  env = dict(os.environ, PYTHONPATH=str(plugin_root))
  return subprocess.run([sys.executable, os.path.join(ROOT, 'bin', 'train')] + args, env=env,
                        cwd=plugin_root, capture_output=True, text=True, timeout=None)


def test_model_and_source_from_an_imported_package_train_and_list_their_flags(tmp_path):
  package = tmp_path / 'my_pkg'
  package.mkdir()
  (package / '__init__.py').write_text('')
  (package / 'my_gan.py').write_text(textwrap.dedent(PLUGIN))
  run_dir = tmp_path / 'run'
  done = _bin_train(['--import=my_pkg.my_gan', '--model=tiny_gan', '--line_length=8',
                     '--z_dim=2', '--mlp_hidden_units=8', '--batch_size=16', '--train_steps=3',
                     f'--run_dir={run_dir}'], tmp_path)
  assert done.returncode == 0, done.stderr[-3000:]
  assert (run_dir / 'losses.csv').read_text().splitlines()[0] == 'step,d_loss,g_loss'
  assert len((run_dir / 'losses.csv').read_text().splitlines()) == 4
  flags_txt = (run_dir / 'flags.txt').read_text()
  assert '--model=tiny_gan' in flags_txt and '--line_length=8.0' in flags_txt

  listed = _bin_train(['--import=my_pkg.my_gan', '--helpfull'], tmp_path)
  assert '--tiny_learning_rate' in listed.stdout and '--line_length' in listed.stdout
  assert 'tiny_gan' in listed.stdout

  missing = _bin_train(['--import=no_such_pkg.gan', '--model=tiny_gan'], tmp_path)
  assert missing.returncode == 2
  assert 'error: --import=no_such_pkg.gan: cannot import it' in missing.stderr
