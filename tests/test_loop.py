"""The engine loop: exact resume, determinism, NaN guard, run-directory safety."""
import math

import numpy as np
import pytest

from engine import loop, registry
from engine.errors import NonFiniteLossError, UserError

WGAN = registry.get('wgan')


def _losses(result):
  return [(step, values['d_loss'], values['g_loss']) for step, values in result.losses]


def test_resumed_run_continues_with_identical_losses(small_wgan_config, tmp_path):
  steps, stop = 8, 3
  uninterrupted = loop.train(WGAN, small_wgan_config(train_steps=steps,
                                                     run_dir=str(tmp_path / 'a')))
  first = loop.train(WGAN, small_wgan_config(train_steps=stop, run_dir=str(tmp_path / 'b')))
  resumed = loop.train(WGAN, small_wgan_config(train_steps=steps, run_dir=str(tmp_path / 'b')))
  assert first.last_step == stop and resumed.first_step == stop + 1
  assert _losses(first) + _losses(resumed) == _losses(uninterrupted)   # bit-identical on CPU
  csv = (tmp_path / 'b' / 'losses.csv').read_text().splitlines()
  assert csv[0] == 'step,d_loss,g_loss' and len(csv) == steps + 1


def test_same_seed_same_losses_other_seed_differs(small_wgan_config, tmp_path):
  runs = [loop.train(WGAN, small_wgan_config(train_steps=4, seed=seed,
                                             run_dir=str(tmp_path / f'{i}')))
          for i, seed in enumerate((3, 3, 4))]
  assert _losses(runs[0]) == _losses(runs[1])
  assert _losses(runs[0]) != _losses(runs[2])


def test_existing_checkpoint_with_noresume_is_an_error(small_wgan_config):
  loop.train(WGAN, small_wgan_config(train_steps=1))
  with pytest.raises(UserError, match='already holds checkpoints'):
    loop.train(WGAN, small_wgan_config(train_steps=2, resume=False))


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(small_wgan_config, monkeypatch):
  config = small_wgan_config(train_steps=6, save_every_steps=2)
  original = WGAN.iteration

  def poisoned(self, sess, step):
    losses = original(self, sess, step)
    return dict(losses, d_loss=math.nan) if step == 4 else losses
  monkeypatch.setattr(WGAN, 'iteration', poisoned)
  with pytest.raises(NonFiniteLossError, match=r'step 5: non-finite loss .*step 4\)'):
    loop.train(WGAN, config)
  monkeypatch.setattr(WGAN, 'iteration', original)
  resumed = loop.train(WGAN, config)
  assert resumed.first_step == 5 and np.isfinite(_losses(resumed)).all()


def test_samples_events_and_exports_land_in_run_dir(small_wgan_config, tmp_path):
  config = small_wgan_config(train_steps=4, sample_every_steps=2, summary_every_steps=1,
                             export_every_epochs=1, embedded_size=40)
  result = loop.train(WGAN, config)
  run_dir = tmp_path / 'run'
  assert sorted(p.name for p in (run_dir / 'samples').iterdir()) == [
      'samples_step0000002.png', 'samples_step0000004.png']
  assert list(run_dir.glob('events.out.tfevents.*'))
  assert {p.name for p in (run_dir / 'weights').iterdir()} >= {'g_1epoch.h5', 'd_1epoch.h5'}
  assert result.checkpoint.endswith('model.ckpt-4')
