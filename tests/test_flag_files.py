"""Flag files under flags/ parse, name real flags, and <model>.cfg spells out the code's defaults."""
import dataclasses
import glob
import os

import pytest
from absl import flags

from graphgan.engine import cli, registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = sorted(glob.glob(os.path.join(ROOT, 'flags', '*.cfg')))


def _read(path):
  """{flag: parsed value} of a flag file, nested --flagfile lines expanded by absl itself."""
  cli.define_flags()
  cwd = os.getcwd()
  os.chdir(ROOT)       # nested --flagfile paths are written relative to the repository root
  try:
    args = flags.FLAGS.read_flags_from_files([f'--flagfile={path}'], force_gnu=False)
  finally:
    os.chdir(cwd)
  values = {}
  for arg in args:
    name, _, text = arg[2:].partition('=')
    if name not in flags.FLAGS and name.startswith('no') and name[2:] in flags.FLAGS:
      name, text = name[2:], 'false'
    assert name in flags.FLAGS, f'{path}: unknown flag --{name}'
    values[name] = flags.FLAGS[name].parser.parse(text or 'true')
  return values


@pytest.mark.parametrize('path', FILES, ids=[os.path.basename(p) for p in FILES])
def test_flag_file_parses_and_fits_its_model(path):
  values = _read(path)
  assert 'model' in values, f'{path} names no --model'
  model_cls = registry.get(values.pop('model'))
  fields = {f.name: f for f in dataclasses.fields(model_cls.Config)}
  assert set(values) <= set(fields), set(values) - set(fields)
  if os.path.basename(path) == f'{model_cls.name}.cfg':
    for name, value in values.items():
      assert value == fields[name].default, f'{path}: --{name}={value}, code default ' \
          f'{fields[name].default}'


def test_every_model_has_its_documented_flag_file():
  names = {os.path.basename(p)[:-4] for p in FILES}
  assert set(registry.names()) <= names
