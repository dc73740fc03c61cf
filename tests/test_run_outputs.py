"""What a run writes, by content: TensorBoard scalars equal losses.csv, image summaries and PNG
grids decode to the grid's size and show different samples, the progress line's steps/s and ETA."""
import glob
import io
import logging
import re

import numpy as np
import pytest
from PIL import Image

from graphgan.engine import registry
from graphgan.engine.compat import tf1
from graphgan.engine.config import make_config
from graphgan.engine.run import loop
from graphgan.engine.run import progress as progress_lines

from conftest import SMALL_WGAN

WGAN = registry.get('wgan')
STEPS, EVERY = 4, 2
GRID_SIDE = 8 * 64        # 64 samples of 64x64 in an 8x8 grid
PROGRESS = re.compile(r'^step (\d+)/(\d+) epoch \d+ \| d_loss \S+ g_loss \S+ \| '
                      r'(\d+\.\d\d) steps/s \| ETA (?:\d+h\d\dm|\d+m)\d\ds$')


@pytest.fixture(scope='module')
def run(tmp_path_factory):
  """One small WGAN run: scalars and samples every 2 of 4 steps, a progress line every step.

  The generator's learning rate (1e-2) and the clip bound (1) are raised so that two steps
  change its 8-bit samples: at width 4 with weights clipped to 0.01 the critic's scores, and so
  the generator's gradients, are ~1e-8.
  """
  run_dir = tmp_path_factory.mktemp('outputs') / 'run'
  config = make_config(WGAN.Config, dict(
      SMALL_WGAN, run_dir=str(run_dir), train_steps=STEPS, summary_every_steps=EVERY,
      sample_every_steps=EVERY, log_every_steps=1, learning_rate_g=1e-2, clip_value=1.0))
  lines = _LogLines()
  absl_logger = logging.getLogger('absl')
  absl_logger.addHandler(lines)
  previous_level = absl_logger.level
  absl_logger.setLevel(logging.INFO)
  try:
    loop.train(WGAN, config)
  finally:
    absl_logger.removeHandler(lines)
    absl_logger.setLevel(previous_level)
  return run_dir, lines.messages


class _LogLines(logging.Handler):
  def __init__(self):
    super().__init__(logging.INFO)
    self.messages = []

  def emit(self, record):
    self.messages.append(record.getMessage())


def _events(run_dir):
  """{step: {tag: Summary.Value}} from the run's event file(s)."""
  found = {}
  for path in sorted(glob.glob(str(run_dir / 'events.out.tfevents.*'))):
    for event in tf1.train.summary_iterator(path):
      for value in event.summary.value:
        found.setdefault(event.step, {})[value.tag] = value
  return found


def _csv(run_dir):
  header, *rows = (run_dir / 'losses.csv').read_text().splitlines()
  names = header.split(',')[1:]
  return names, {int(r.split(',')[0]): [float(v) for v in r.split(',')[1:]] for r in rows}


def _decode(data):
  return np.asarray(Image.open(io.BytesIO(data)))


def test_tensorboard_scalars_equal_losses_csv_at_summary_steps(run):
  run_dir, _ = run
  names, rows = _csv(run_dir)
  assert names == ['d_loss', 'g_loss'] and sorted(rows) == list(range(1, STEPS + 1))
  events = _events(run_dir)
  scalar_steps = sorted(s for s, values in events.items() if 'd_loss' in values)
  assert scalar_steps == list(range(EVERY, STEPS + 1, EVERY))
  for step in scalar_steps:
    for name, value in zip(names, rows[step]):
      assert events[step][name].simple_value == np.float32(value), (step, name)
  assert len({rows[s][0] for s in scalar_steps}) == len(scalar_steps)   # not one value repeated


def test_image_summaries_are_the_png_grids_at_the_grids_size(run):
  run_dir, _ = run
  events = _events(run_dir)
  image_steps = sorted(s for s, values in events.items() if 'samples' in values)
  assert image_steps == list(range(EVERY, STEPS + 1, EVERY))
  for step in image_steps:
    image = events[step]['samples'].image
    png = (run_dir / 'samples' / f'samples_step{step:07d}.png').read_bytes()
    assert image.encoded_image_string == png
    assert (image.height, image.width, image.colorspace) == (GRID_SIDE, GRID_SIDE, 3)
    assert _decode(image.encoded_image_string).shape == (GRID_SIDE, GRID_SIDE, 3)


def test_png_grids_decode_to_different_samples_and_change_with_training(run):
  run_dir, _ = run
  grids = [_decode(p.read_bytes()) for p in sorted((run_dir / 'samples').glob('*.png'))]
  assert len(grids) == STEPS // EVERY
  for grid in grids:
    assert grid.shape == (GRID_SIDE, GRID_SIDE, 3) and grid.dtype == np.uint8
    tiles = grid.reshape(8, 64, 8, 64, 3).transpose(0, 2, 1, 3, 4).reshape(64, -1)
    assert len({tile.tobytes() for tile in tiles}) == 64       # 64 different noise vectors
  assert not np.array_equal(grids[0], grids[1])               # training moved the generator


def test_progress_lines_show_steps_per_second_and_eta(run):
  _, messages = run
  progress = [PROGRESS.match(m) for m in messages if m.startswith('step ')]
  assert len(progress) == STEPS and all(progress), messages
  assert [int(m.group(1)) for m in progress] == list(range(1, STEPS + 1))
  assert all(int(m.group(2)) == STEPS and float(m.group(3)) > 0 for m in progress)
  assert progress[-1].group(0).endswith('ETA 0m00s')


def test_progress_rate_is_over_the_last_interval_and_eta_over_the_steps_left(monkeypatch):
  """Lines at steps 10, 20 and 30 of 10,000 after 5 s, 6 s and 66 s on a fake clock."""
  clock = iter([0.0, 5.0, 6.0, 66.0])
  monkeypatch.setattr(progress_lines.time, 'perf_counter', lambda: next(clock))
  progress = progress_lines.Progress(0, 10000, 10)
  lines = [progress.line(step, {'d_loss': 1.5, 'g_loss': -2.0}, 3) for step in (10, 20, 30)]
  assert lines == [
      'step 10/10000 epoch 3 | d_loss 1.5 g_loss -2 | 2.00 steps/s | ETA 1h23m15s',   # 9990 / 2
      'step 20/10000 epoch 3 | d_loss 1.5 g_loss -2 | 10.00 steps/s | ETA 16m38s',    # 9980 / 10
      'step 30/10000 epoch 3 | d_loss 1.5 g_loss -2 | 0.17 steps/s | ETA 16h37m00s',  # 9970 * 6
  ]
  assert all(PROGRESS.match(line.replace('d_loss 1.5 g_loss -2', 'd_loss x g_loss y'))
             for line in lines)
