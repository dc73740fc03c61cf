"""Data sources own their settings: ``--data=ring|grid`` brings the same flags to every model with
2-D samples; they are fixed settings of the run directory (in flags.txt); other models refuse them."""
import numpy as np
import pytest

from graphgan.engine import registry
from graphgan.engine.config import as_flag_lines, fixed_on_resume, make_config
from graphgan.engine.data import make_source
from graphgan.engine.errors import UserError

POINT_MODELS = ['unrolled_gan', 'wgan_gp', 'lsgan']


@pytest.mark.parametrize('model', POINT_MODELS)
def test_ring_and_grid_flags_reach_the_source_for_every_point_model(model):
  config_cls = registry.get(model).Config
  ring_config = make_config(config_cls, dict(data='ring', ring_modes=5, ring_radius=3.0,
                                             ring_std=0.2))
  ring = make_source('ring', ring_config, seed=1)
  assert ring.std == 0.2 and len(ring.centers) == 5
  assert np.allclose(np.linalg.norm(ring.centers, axis=1), 3.0)
  grid = make_source('grid', make_config(config_cls, dict(data='grid', grid_std=0.3)), seed=1)
  assert grid.std == 0.3
  lines = as_flag_lines(model, ring_config)
  assert '--ring_std=0.2' in lines and '--ring_modes=5' in lines
  assert {'ring_modes', 'ring_radius', 'ring_std'} <= set(fixed_on_resume(type(ring_config)))


def test_a_source_setting_without_its_source_is_refused():
  with pytest.raises(UserError, match='ring_std'):
    make_config(registry.get('wgan_gp').Config, dict(data='grid', ring_std=0.2))
  with pytest.raises(UserError, match='grid_std'):
    make_config(registry.get('wgan').Config, dict(grid_std=0.2))


def test_cli_accepts_source_flags_with_their_source_only(entry_points, tmp_path):
  done = entry_points.run('train', ['--model=lsgan', '--data=shapes64', '--ring_std=0.1',
                                    f'--run_dir={tmp_path}/run'])
  assert done.returncode == 2
  assert "--ring_std is not a flag of model 'lsgan' with --data=shapes64" in done.stderr
  assert '--data=ring' in done.stderr
