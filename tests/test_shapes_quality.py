"""The shapes64 sample-quality measure: hand-made sets, and wgan's evaluation with it.

The classifier is trained once per test module into a temporary cache (fewer steps than the
default: the tests need it accurate, not the documented one).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import TINY_WGAN_FLAGS, python_command
from graphgan.engine import registry
from graphgan.engine.evaluation import classifier, quality
from graphgan.engine.run import loop

TEST_TRAIN_STEPS = 150


@pytest.fixture(scope='module')
def cache_dir(tmp_path_factory):
  path = str(tmp_path_factory.mktemp('quality-cache'))
  classifier.ImageClassifier(classifier.SHAPES, path, train_steps=TEST_TRAIN_STEPS).close()
  return path


@pytest.fixture
def measure(cache_dir, monkeypatch):
  """The process-wide measure, built from the module's cache (never the user's)."""
  monkeypatch.setenv('GRAPHGAN_CACHE_DIR', cache_dir)
  monkeypatch.setattr(quality, '_MEASURES', {})
  return quality.measure_of('shapes64')


def test_classifier_is_the_same_whichever_process_trains_it(tmp_path):
  """Two processes, one with 1 TensorFlow thread, the other with 2 and a training graph built
  first: identical weights (trained in-process, their thread pools would make them differ)."""
  code = ('import sys, hashlib, numpy as np, graphgan.engine\n'
          'from graphgan.engine.evaluation import classifier\n'
          'if sys.argv[1] == "after_a_session":\n'
          '  from graphgan.engine import registry\n'
          '  from graphgan.engine.run import loop\n'
          '  from graphgan.engine.config import make_config\n'
          '  wgan = registry.get("wgan")\n'
          '  config = make_config(wgan.Config, dict(batch_size=8, g_base_channels=4, '
          'd_base_channels=4, embedded_size=128, run_dir=sys.argv[2]))\n'
          '  session = loop.Session(wgan, config); session.prepare(); session.close()\n'
          'c = classifier.ImageClassifier(classifier.SHAPES, sys.argv[2], train_steps=20)\n'
          'print(hashlib.md5(b"".join(np.asarray(v).tobytes() '
          'for v in c.sess.run(c.params).values())).hexdigest())\n')
  digests = [subprocess.run(python_command(code, mode, str(tmp_path / mode)),
                            capture_output=True, text=True, timeout=None, check=True,
                            env=dict(os.environ, TF_NUM_INTRAOP_THREADS=threads,
                                     TF_NUM_INTEROP_THREADS=threads, OMP_NUM_THREADS=threads)
                            ).stdout.strip()
             for mode, threads in (('alone', '1'), ('after_a_session', '2'))]
  assert digests[0] == digests[1] and len(digests[0]) == 32


def test_an_unusable_cache_is_one_line_and_the_run_then_continues(cache_dir, entry_points,
                                                                   tmp_path):
  """A cache path under a file fails the run's first evaluation (the end of a 2-step run) in one
  line, before any classifier training; with a usable cache the same command finishes it."""
  args = TINY_WGAN_FLAGS + ['--train_steps=2', f'--run_dir={tmp_path / "run"}']
  (tmp_path / 'notes.txt').write_text('not a directory')
  done = entry_points.run('train', args, env={'GRAPHGAN_CACHE_DIR': str(tmp_path / 'notes.txt' /
                                                                        'cache')})
  assert done.returncode == 2 and 'Traceback' not in done.stderr, done.stderr[-3000:]
  assert done.stderr.strip().splitlines()[-1] == (
      f'train: error: quality classifier cache: cannot write {tmp_path / "notes.txt" / "cache"}: '
      'Not a directory (the cache is $GRAPHGAN_CACHE_DIR, default ~/.cache/graphgan)')
  done = entry_points.run('train', args, env={'GRAPHGAN_CACHE_DIR': cache_dir})
  assert done.returncode == 0, done.stderr[-3000:]
  rows = (tmp_path / 'run' / 'losses.csv').read_text().split()
  assert [row.split(',')[0] for row in rows] == ['step', '1', '2']
  metrics = (tmp_path / 'run' / 'metrics.jsonl').read_text().splitlines()
  assert [json.loads(row)['step'] for row in metrics] == [2]


def test_shapes_classifier_is_accurate_and_cached_once(cache_dir):
  cached = classifier.ImageClassifier(classifier.SHAPES, cache_dir, train_steps=0)   # loads, no training
  with open(os.path.join(cache_dir, 'shapes64_classifier.json')) as handle:
    info = json.load(handle)
  assert info['train_steps'] == TEST_TRAIN_STEPS and info['held_out_accuracy'] > 0.95
  assert cached.held_out_accuracy(500) == pytest.approx(info['held_out_accuracy'], abs=0.03)
  untrained = classifier.ImageClassifier(classifier.SHAPES, cache_dir + '-empty', train_steps=0)
  assert untrained.held_out_accuracy(500) < 0.5          # the cache, not luck, made it accurate
  cached.close()
  untrained.close()


def test_measure_separates_real_one_class_texture_and_noise(measure):
  images, labels = classifier.held_out_shapes(3000)
  images, labels = images[2000:], labels[2000:]          # the measure's own reference: [:2000]
  floor = measure.floor()
  one_class = measure(images[labels == 2])
  rng = np.random.default_rng(0)
  noise = measure(rng.uniform(-1, 1, (1000, 64, 64, 3)))
  texture = measure(np.tile([-0.6, -0.4, -0.7], (1000, 64, 64, 1))
                    + rng.normal(0, 0.05, (1000, 64, 64, 3)))   # one grey-green texture for every z
  blurred = measure(images.reshape(-1, 16, 4, 16, 4, 3).mean((2, 4)).repeat(4, 1).repeat(4, 2))
  assert floor['coverage'] == 4 and floor['confidence'] > 0.9 and floor['class_kl'] < 0.01
  assert one_class['coverage'] == 1
  assert one_class['class_kl'] == pytest.approx(np.log(4))
  assert texture['coverage'] == 1
  assert floor['frechet'] < blurred['frechet'] < min(one_class['frechet'], texture['frechet'],
                                                     noise['frechet'])
  assert floor['frechet'] * 20 < min(one_class['frechet'], texture['frechet'], noise['frechet'])
  assert measure(images)['frechet'] < blurred['frechet']   # other real shapes: near the floor


def _config(run_dir, **overrides):
  settings = dict(batch_size=8, g_base_channels=4, d_base_channels=4, embedded_size=128,
                  summary_every_steps=0, sample_every_steps=0, log_every_steps=1000,
                  export_every_epochs=0, run_dir=str(run_dir))
  settings.update(overrides)
  return settings


@pytest.mark.parametrize('model_name', ['wgan', 'wgan_gp'])
def test_image_models_report_quality_from_fixed_noise_without_new_ops(model_name, measure,
                                                                      tmp_path):
  from graphgan.engine.config import make_config  # pylint: disable=import-outside-toplevel
  model_cls = registry.get(model_name)
  session = loop.Session(model_cls, make_config(model_cls.Config, _config(tmp_path)))
  try:
    session.prepare()
    ops = len(session.graph.get_operations())
    rng_state = json.dumps(session.data.state(), default=str)
    with session.graph.as_default():
      first = session.model.final_report(session.sess)
      second = session.model.final_report(session.sess)
    assert set(first) == {'coverage', 'confidence', 'confident', 'class_kl', 'frechet', 'kid',
                          'kid_std', 'precision', 'recall', 'density', 'feature_coverage'}
    assert first == second                                   # fixed noise
    assert json.dumps(session.data.state(), default=str) == rng_state   # training RNG untouched
    assert len(session.graph.get_operations()) == ops and session.graph.finalized
  finally:
    session.close()


def test_wgan_quality_rows_are_identical_after_a_resume(measure, tmp_path):
  from graphgan.engine.config import make_config  # pylint: disable=import-outside-toplevel
  wgan = registry.get('wgan')

  def rows(run_dir, chunks):
    for steps in chunks:
      loop.train(wgan, make_config(wgan.Config, _config(run_dir, train_steps=4,
                                                        eval_every_steps=2)), max_steps=steps)
    with open(os.path.join(run_dir, 'metrics.jsonl')) as handle:
      return [json.loads(line) for line in handle]

  straight = rows(tmp_path / 'straight', [4])
  assert [row['step'] for row in straight] == [2, 4]
  assert rows(tmp_path / 'resumed', [2, 2]) == straight
