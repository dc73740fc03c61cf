"""The dcgan model through the engine: book log line, exact resume (its bad inputs: see
tests/test_bad_inputs.py)."""
import numpy as np
import pytest

from engine import loop
from engine.config import make_config
from models.dcgan import DCGAN, format_progress


def test_progress_line_is_the_books_format():
  line = format_progress(1000, dict(d_loss=0.235, d_acc=0.926, g_loss=4.6))
  assert line == '1000 [D loss: 0.235000, acc.: 92.60%] [G loss: 4.600000]'


def small(tmp_path, name, **overrides):
  values = dict(batch_size=16, train_steps=4, run_dir=str(tmp_path / name), log_every_steps=2,
                sample_every_steps=0, summary_every_steps=0, save_every_steps=2)
  values.update(overrides)
  return make_config(DCGAN.Config, values)


@pytest.mark.parametrize('bn', ['v1', 'v2'])
def test_dcgan_resumes_with_identical_losses(tmp_path, bn):
  losses = lambda result: [(s, v['d_loss'], v['d_acc'], v['g_loss']) for s, v in result.losses]
  whole = loop.train(DCGAN, small(tmp_path, 'a', bn=bn))
  first = loop.train(DCGAN, small(tmp_path, 'b', bn=bn, train_steps=2))
  rest = loop.train(DCGAN, small(tmp_path, 'b', bn=bn))
  assert rest.first_step == 3
  assert losses(first) + losses(rest) == losses(whole)          # bit-identical on CPU
  assert all(np.isfinite(v) for _, *values in losses(whole) for v in values)
