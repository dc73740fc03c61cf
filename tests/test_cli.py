"""bin/* entry points, used as README shows: train, then sample a run (bad input: see
tests/test_bad_inputs.py)."""
import dataclasses

import pytest
from absl import flags

from conftest import TINY_WGAN_FLAGS
from graphgan.engine import cli, registry
from graphgan.engine.config import TrainConfig, hparam, make_config
from graphgan.engine.errors import UserError

PNG = b'\x89PNG\r\n\x1a\n'


def test_train_then_sample_a_run_by_its_directory(entry_points, tmp_path):
  """``bin/sample --run_dir`` reads the run's flags.txt: non-default widths need no retyping."""
  run = tmp_path / 'run'
  done = entry_points.run('train', TINY_WGAN_FLAGS + ['--train_steps=4', f'--run_dir={run}'])
  assert done.returncode == 0, done.stderr[-3000:]
  assert (run / 'flags.txt').read_text().startswith('--model=wgan\n')
  sampled = entry_points.run('sample', [f'--run_dir={run}', f'--out={tmp_path}/grid.png'])
  assert sampled.returncode == 0, sampled.stderr[-3000:]
  assert f'from {run}/weights/g_final.h5' in sampled.stdout
  assert (tmp_path / 'grid.png').read_bytes()[:8] == PNG
  by_epoch = entry_points.run('sample', [f'--run_dir={run}', f'--weights={run}/weights/g_1epoch.h5',
                                         f'--out={tmp_path}/sub/dir/grid1.png'])
  assert by_epoch.returncode == 0, by_epoch.stderr[-3000:]
  assert (tmp_path / 'sub' / 'dir' / 'grid1.png').read_bytes()[:8] == PNG
  retyped = entry_points.run('sample', TINY_WGAN_FLAGS + [f'--weights={run}/weights/g_final.h5',
                                                          f'--out={tmp_path}/grid2.png'])
  assert retyped.returncode == 0, retyped.stderr[-3000:]
  assert (tmp_path / 'grid2.png').read_bytes() == (tmp_path / 'grid.png').read_bytes()


@dataclasses.dataclass(frozen=True)
class _ConfigA(TrainConfig):
  norm: str = hparam('a', 'Norm of model A.', choices=['a', 'b'])


@dataclasses.dataclass(frozen=True)
class _ConfigB(TrainConfig):
  norm: str = hparam('c', 'Norm of model B.', choices=['b', 'c'])


class _ModelA:
  Config = _ConfigA


class _ModelB:
  Config = _ConfigB


def test_shared_flag_is_validated_with_the_chosen_models_own_choices():
  """Two models share --norm with other choices: neither model's choices refuse the other's."""
  values = flags.FlagValues()
  defined = cli.define_model_flags(values, {'model_a': _ModelA, 'model_b': _ModelB})
  assert defined['norm'] is str
  values(['prog', '--norm=c'])            # absl itself accepts a value valid for some model
  assert make_config(_ConfigB, {'norm': values.norm}).norm == 'c'
  with pytest.raises(UserError, match="--norm must be one of a, b; got 'c'"):
    make_config(_ConfigA, {'norm': values.norm})
  assert 'model_a: Norm of model A. [a|b]' in values['norm'].help
  assert 'model_b: Norm of model B. [b|c]' in values['norm'].help
