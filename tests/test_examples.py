"""The GANs in examples/ (plugins, not registered models): each trains, resumes exactly and samples
through --import, in fewer than 40 lines of code and without overriding iteration()."""
import ast
import os

import pytest
from tensorboard.backend.event_processing import event_accumulator

from conftest import snapshot  # noqa: F401  pylint: disable=unused-import

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = ('hinge_gan', 'relativistic_gan', 'dragan', 'ema_gan')
TINY = ['--batch_size=8', '--g_base_channels=4', '--d_base_channels=4', '--embedded_size=64',
        '--summary_every_steps=1', '--log_every_steps=1', '--save_every_steps=2']
ENV = {'PYTHONPATH': os.path.join(ROOT, 'examples')}


def code_lines(path):
  """Lines that are neither blank, comments nor docstrings."""
  source = open(path).read()
  docstrings = set()
  for node in ast.walk(ast.parse(source)):
    if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body and \
        isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
      docstrings.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
  return sum(1 for number, line in enumerate(source.splitlines(), 1)
             if line.strip() and not line.strip().startswith('#') and number not in docstrings)


@pytest.mark.parametrize('name', EXAMPLES)
def test_an_example_is_short_and_states_no_loop(name):
  path = os.path.join(ROOT, 'examples', f'{name}.py')
  assert code_lines(path) < 40
  assert 'def iteration' not in open(path).read()


def _train(entry_points, name, run_dir, steps, *extra):
  done = entry_points.run('train', [f'--import={name}', f'--model={name}', *TINY, *extra,
                                    f'--train_steps={steps}', f'--run_dir={run_dir}'], env=ENV)
  assert done.returncode == 0, done.stderr[-3000:]
  return done


@pytest.mark.parametrize('name', EXAMPLES)
def test_an_example_trains_resumes_exactly_and_samples(name, entry_points, tmp_path):
  _train(entry_points, name, tmp_path / 'resumed', 2)
  _train(entry_points, name, tmp_path / 'resumed', 4)
  _train(entry_points, name, tmp_path / 'straight', 4)
  assert (tmp_path / 'resumed' / 'losses.csv').read_text() == \
      (tmp_path / 'straight' / 'losses.csv').read_text()
  sampled = entry_points.run('sample', [f'--import={name}', f'--run_dir={tmp_path / "resumed"}',
                                        f'--out={tmp_path / "grid.png"}'], env=ENV)
  assert sampled.returncode == 0, sampled.stderr[-3000:]
  network = 'g_ema' if name == 'ema_gan' else 'g'
  assert sampled.stdout.strip().endswith(f'weights/{network}_final.h5')


def test_the_ema_example_samples_with_its_average_and_logs_its_learning_rates(entry_points,
                                                                               tmp_path):
  run = tmp_path / 'run'
  _train(entry_points, 'ema_gan', run, 3)
  assert {'g_final.h5', 'd_final.h5', 'g_ema_final.h5'} <= set(os.listdir(run / 'weights'))
  refused = entry_points.run('sample', ['--import=ema_gan', f'--run_dir={run}', '--network=g',
                                        f'--out={tmp_path / "g.png"}'], env=ENV)
  assert refused.returncode == 2 and "draws its samples with its 'g_ema' network" in refused.stderr
  events = event_accumulator.EventAccumulator(str(run))
  events.Reload()
  assert {'learning_rate/generator', 'learning_rate/discriminator'} <= set(events.Tags()['scalars'])


def test_a_loss_that_is_not_a_mean_over_examples_refuses_towers(entry_points, tmp_path):
  done = entry_points.run('train', ['--import=relativistic_gan', '--model=relativistic_gan',
                                    *TINY, '--num_gpus=2', f'--run_dir={tmp_path / "run"}'],
                          env=ENV)
  assert done.returncode == 2
  assert 'are not means over examples' in done.stderr.strip().splitlines()[-1]


def test_a_loss_on_an_input_no_step_feeds_is_one_line_at_build_time(entry_points, tmp_path):
  (tmp_path / 'unfed_gan.py').write_text(
      'from graphgan.engine.compat import tf, tf1\n'
      'from graphgan.engine.registry import register\n'
      'from examples_hinge import HingeGAN\n'
      '@register("unfed_gan")\n'
      'class Unfed(HingeGAN):\n'
      '  def losses(self, gan):\n'
      '    named = super().losses(gan)\n'
      '    extra = tf1.placeholder(tf.float32, (), name="temperature")\n'
      '    return dict(named, g_loss=named["g_loss"] * extra)\n')
  (tmp_path / 'examples_hinge.py').write_text(
      open(os.path.join(ROOT, 'examples', 'hinge_gan.py')).read().replace(
          "@register('hinge_gan')", "@register('hinge_gan_copy')"))
  done = entry_points.run('train', ['--import=unfed_gan', '--model=unfed_gan', *TINY,
                                    f'--run_dir={tmp_path / "run"}'],
                          env={'PYTHONPATH': str(tmp_path)})
  assert done.returncode == 2, done.stderr[-2000:]
  assert done.stderr.strip().splitlines()[-1] == (
      'train: error: unfed_gan: the generator loss needs temperature, which no step feeds '
      '(feedable: real, z, the inputs() of the discriminator step)')
