"""The engine loop in-process: exact resume, NaN guard, full disk, checkpoint write order."""
import errno
import math
import shutil

import numpy as np
import pytest

from graphgan.engine import files
from graphgan.engine import registry
from graphgan.engine.errors import NonFiniteError, UserError
from graphgan.engine.run import checkpoint, loop, rundir
from graphgan.engine.tools.crashtest import compare_run_dirs

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


def test_non_finite_loss_stops_and_names_the_last_good_checkpoint(small_wgan_config,
                                                                  monkeypatch):
  config = small_wgan_config(train_steps=6, save_every_steps=2)
  original = WGAN.iteration

  def poisoned(self, sess, step):
    losses = original(self, sess, step)
    return dict(losses, d_loss=math.nan) if step == 4 else losses
  monkeypatch.setattr(WGAN, 'iteration', poisoned)
  with pytest.raises(NonFiniteError, match=r'step 5: non-finite loss d_loss nan; stopped — the '
                     r'last good checkpoint is step 4 \(.*model.ckpt-4\)'):
    loop.train(WGAN, config)
  monkeypatch.setattr(WGAN, 'iteration', original)
  resumed = loop.train(WGAN, config)
  assert resumed.first_step == 5 and np.isfinite(_losses(resumed)).all()


@pytest.mark.parametrize('poisoned_step, message', [
    (1, r'no checkpoint was written yet'),
    (3, r'the last good checkpoint is step 2 \(.*model.ckpt-2\)')])
def test_no_checkpoint_ever_holds_a_non_finite_variable(poisoned_step, message,
                                                        small_wgan_config, tmp_path, monkeypatch):
  """A variable turns Inf while the step's losses (computed before the update) look finite: the
  variables are checked before every checkpoint, and none is written."""
  original = WGAN.iteration

  def poisoned(self, sess, step):
    losses = original(self, sess, step)
    if step + 1 == poisoned_step:     # Variable.load runs the prebuilt initializer: no new op
      kernel = self.generator.trainable_variables[0]
      kernel.load(np.full(kernel.shape, np.inf, np.float32), sess)
    return losses
  monkeypatch.setattr(WGAN, 'iteration', poisoned)
  with pytest.raises(NonFiniteError, match=rf'step {poisoned_step}: 1 variable\(s\) hold NaN or '
                     rf"Inf after this step's update \(e\.g\. generator/project/kernel\); stopped "
                     rf'without writing a checkpoint — {message}'):
    loop.train(WGAN, small_wgan_config(train_steps=4, save_every_steps=1))
  scan = checkpoint.Scan(checkpoint.checkpoint_dir(tmp_path / 'run'))
  assert scan.committed == list(range(1, poisoned_step))
  for step in scan.committed:
    kept = checkpoint.read_variables(scan.path(step))
    assert all(np.isfinite(v).all() for v in kept.values() if v.dtype.kind == 'f')


def test_disk_full_is_one_line_and_the_rerun_continues_exactly(small_wgan_config, tmp_path,
                                                               monkeypatch):
  config = small_wgan_config(train_steps=6, save_every_steps=2, sample_every_steps=1,
                             run_dir=str(tmp_path / 'full'))
  reference = loop.train(WGAN, config.replace(run_dir=str(tmp_path / 'reference')))
  writes = {'count': 0}
  original = files.atomic_write

  def fill_up(path, data, sync=False):
    writes['count'] += 1
    if writes['count'] == 6:       # flags.txt, data.json, the samples of steps 1..4: the 4th fails
      raise OSError(errno.ENOSPC, 'No space left on device', path + files.PARTIAL)
    return original(path, data, sync)
  monkeypatch.setattr(files, 'atomic_write', fill_up)
  with pytest.raises(UserError, match=r'disk full while writing .*\(No space left on device\); '
                     r'stopped at step 4 — the last good checkpoint is step 2'):
    loop.train(WGAN, config)
  monkeypatch.setattr(files, 'atomic_write', original)
  loop.train(WGAN, config)
  assert compare_run_dirs(reference.run_dir, config.run_dir) == []


def test_a_really_full_disk_keeps_the_last_checkpoint(small_wgan_config, tmpfs, tmp_path):
  small_filesystem = tmpfs('4m')
  config = small_wgan_config(train_steps=12, save_every_steps=2, sample_every_steps=1,
                             embedded_size=32, run_dir=str(small_filesystem / 'run'))
  with pytest.raises(UserError, match=r'(disk full|No space left).*stopped at step \d+ — the '
                     r'last good checkpoint is step \d+'):
    loop.train(WGAN, config)
  last = checkpoint.latest_checkpoint(config.run_dir)
  assert last is not None
  kept = checkpoint.read_variables(last)     # the last good checkpoint reads back whole
  assert all(np.isfinite(v).all() for v in kept.values() if v.dtype.kind == 'f')
  # Space freed (the run dir moved to a roomy disk): the same command finishes exactly.
  moved = tmp_path / 'roomy'
  shutil.copytree(config.run_dir, moved)
  finished = loop.train(WGAN, config.replace(run_dir=str(moved)))
  reference = loop.train(WGAN, config.replace(run_dir=str(tmp_path / 'reference')))
  assert finished.last_step == 12
  assert compare_run_dirs(reference.run_dir, str(moved)) == []


def test_exports_hold_the_live_weights_of_their_step(small_wgan_config, tmp_path, monkeypatch):
  """Each ``{prefix}_{e}epoch.h5`` holds that network's session values when it was written; the
  final export equals the final checkpoint; --keep_exports bounds the per-epoch files."""
  import h5py  # pylint: disable=import-outside-toplevel
  live = {}

  def recording(original, name_of):
    def export(self, *args):
      for prefix, keras_model in self.model.keras_exports().items():
        live[name_of(prefix, *args)] = [np.array(w) for w in keras_model.get_weights()]
      return original(self, *args)
    return export
  monkeypatch.setattr(loop.TrainLoop, '_export', recording(
      loop.TrainLoop._export, lambda prefix, epoch: f'{prefix}_{epoch}epoch.h5'))
  monkeypatch.setattr(loop.TrainLoop, '_export_final', recording(
      loop.TrainLoop._export_final, lambda prefix: f'{prefix}_final.h5'))
  config = small_wgan_config(train_steps=5, embedded_size=8, keep_exports=2)   # 1 iteration/epoch
  result = loop.train(WGAN, config)
  weights = tmp_path / 'run' / 'weights'
  names = sorted(p.name for p in weights.iterdir())
  assert names == ['d_4epoch.h5', 'd_5epoch.h5', 'd_final.h5', 'g_4epoch.h5', 'g_5epoch.h5',
                   'g_final.h5']
  for name in names:
    with h5py.File(weights / name, 'r') as handle:
      stored = []
      for layer in handle.attrs['layer_names']:
        group = handle[layer]
        stored += [np.asarray(group[w]) for w in group.attrs['weight_names']]
    assert len(stored) == len(live[name]), name
    assert all(a.tobytes() == b.tobytes() for a, b in zip(stored, live[name])), name
  assert any(a.tobytes() != b.tobytes() for a, b in zip(live['g_4epoch.h5'], live['g_5epoch.h5']))
  variables = checkpoint.read_variables(result.checkpoint)
  kernel = [v for k, v in variables.items() if k.endswith('to_image/kernel')]
  assert len(kernel) == 1 and any(kernel[0].tobytes() == w.tobytes() for w in live['g_final.h5'])


def test_samples_events_and_exports_land_in_run_dir(small_wgan_config, tmp_path):
  config = small_wgan_config(train_steps=4, sample_every_steps=2, summary_every_steps=1,
                             export_every_epochs=1, embedded_size=16)   # 2 iterations/epoch
  result = loop.train(WGAN, config)
  run_dir = tmp_path / 'run'
  assert sorted(p.name for p in (run_dir / 'samples').iterdir()) == [
      'samples_step0000002.png', 'samples_step0000004.png']
  assert list(run_dir.glob('events.out.tfevents.*'))
  assert {p.name for p in (run_dir / 'weights').iterdir()} >= {'g_1epoch.h5', 'd_1epoch.h5'}
  assert result.checkpoint.endswith('model.ckpt-4')
