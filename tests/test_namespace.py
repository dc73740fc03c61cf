"""One import name (issue 29): installed, graphgan is the package ``graphgan`` only. A user's own
``models`` package, ``engine.py`` or ``experiments`` on sys.path neither breaks graphgan nor is
shadowed by it (graphgan used to install top-level ``engine``, ``models`` and ``experiments``)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _users_project(tmp_path):
  (tmp_path / 'models').mkdir()
  (tmp_path / 'models' / '__init__.py').write_text('NAME = "the user\'s models"\n')
  (tmp_path / 'engine.py').write_text('NAME = "the user\'s engine"\n')
  (tmp_path / 'experiments.py').write_text('NAME = "the user\'s experiments"\n')
  return dict(os.environ, PYTHONPATH=str(tmp_path))


def test_the_installed_package_and_a_users_own_models_and_engine_live_side_by_side(tmp_path):
  code = ('import models, engine, experiments\n'
          'import graphgan.engine\n'
          'from graphgan.engine import registry\n'
          'assert "wgan" in registry.names(), registry.names()\n'
          'import models as again, engine as again_engine\n'
          'assert again.NAME == "the user\'s models", again.NAME\n'
          'assert again_engine.NAME == "the user\'s engine", again_engine.NAME\n'
          'assert experiments.NAME == "the user\'s experiments"\n'
          'import sys\n'
          'print(sorted(m for m in sys.modules if m.split(".")[0] in '
          '("engine", "models", "experiments")))\n')
  done = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=_users_project(tmp_path),
                        capture_output=True, text=True, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  assert done.stdout.strip() == "['engine', 'experiments', 'models']"   # the user's, nothing else


def test_graphgans_tools_run_beside_a_users_models_package(tmp_path):
  done = subprocess.run([sys.executable, os.path.join(ROOT, 'bin', 'train'), '--model=wgan',
                         '--help'], cwd=tmp_path, env=_users_project(tmp_path),
                        capture_output=True, text=True, check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  assert done.stdout.startswith('train --model=wgan: its flags')


def test_the_old_top_level_names_are_not_installed():
  for name in ('engine', 'models', 'experiments'):
    done = subprocess.run([sys.executable, '-c', f'import {name}'], cwd='/', capture_output=True,
                          text=True, check=False)
    assert done.returncode == 1 and 'ModuleNotFoundError' in done.stderr, name


def test_setup_cfg_lists_every_package_a_regular_install_needs():
  """An editable install finds sub-packages by itself; a wheel has only those listed."""
  import configparser  # pylint: disable=import-outside-toplevel
  parser = configparser.ConfigParser()
  parser.read(os.path.join(ROOT, 'setup.cfg'))
  listed = set(parser['options']['packages'].split())
  on_disk = {'graphgan'}
  for top in ('engine', 'models', 'experiments'):
    for folder, _, names in os.walk(os.path.join(ROOT, top)):
      if '__init__.py' in names:
        on_disk.add('graphgan.' + os.path.relpath(folder, ROOT).replace(os.sep, '.'))
  assert on_disk == listed
