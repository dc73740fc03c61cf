"""Checkpoint keys say which network a variable belongs to; run dirs written before that resume.

``tests/data/hinge_gan_before_scopes`` is a run dir that graphgan at cd8d25b (before networks had
scopes) wrote: ``PYTHONPATH=examples bin/train --import=hinge_gan --model=hinge_gan --data=ring
--mlp_hidden_units=8 --mlp_hidden_layers=1 --batch_size=8 --train_steps=2 --save_every_steps=2
--log_every_steps=1 --summary_every_steps=1`` (events, samples and weights removed). Its
discriminator's layers are named like the generator's, so creation order named them
``hidden0_1``/``outputs_1``, and the generator's Adam powers ``beta1_power_1``.
"""
import importlib
import os
import shutil
import sys

import numpy as np
import pytest

from graphgan.engine import registry
from graphgan.engine.compat import tf, tf1
from graphgan.engine.config import make_config
from graphgan.engine.graph import scopes
from graphgan.engine.run import checkpoint
from graphgan.engine.run.session import Session

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OLD_RUN = os.path.join(ROOT, 'tests', 'data', 'hinge_gan_before_scopes')
OLD_FLAGS = dict(data='ring', mlp_hidden_units=8, mlp_hidden_layers=1, batch_size=8,
                 save_every_steps=2, log_every_steps=1, summary_every_steps=1)
ENV = {'PYTHONPATH': os.path.join(ROOT, 'examples')}


def _hinge_gan(monkeypatch):
  """The example's class, registered only for this test: the registry is a copy until the test
  ends (another test in this process must not see a model without a recorded file)."""
  monkeypatch.setattr(registry, '_MODELS', dict(registry._MODELS))  # pylint: disable=protected-access
  monkeypatch.syspath_prepend(os.path.join(ROOT, 'examples'))
  module = sys.modules.get('hinge_gan') or importlib.import_module('hinge_gan')
  return module.HingeGAN


def _old_key(name):
  """The key graphgan at cd8d25b gave this model's variable ``name`` (written out by hand)."""
  scope, _, rest = name.partition('/')
  if scope == 'discriminator' and rest.split('/')[0] in ('hidden0', 'outputs'):
    layer, _, tail = rest.partition('/')
    return f'{layer}_1/{tail}'
  if scope == 'generator' and rest in ('beta1_power', 'beta2_power'):
    return f'{rest}_1'
  return rest if scope in ('generator', 'discriminator') else name


@pytest.mark.parametrize('model, settings, scopes_expected', [
    ('wgan', dict(g_base_channels=4, d_base_channels=4, embedded_size=32, batch_size=8),
     {'generator', 'critic', 'counters'}),
    ('lsgan', dict(g_base_channels=4, d_base_channels=4, embedded_size=32, batch_size=8,
                   generator_ema_decay=0.9),
     {'generator', 'discriminator', 'generator_ema', 'counters'}),
    ('unrolled_gan', dict(unroll_steps=5, batch_size=8), None),
])
def test_every_checkpoint_key_names_its_network(model, settings, scopes_expected, tmp_path):
  cls = registry.get(model)
  session = Session(cls, make_config(cls.Config, dict(settings, run_dir=str(tmp_path))),
                    make_session=False)
  with session.graph.as_default():
    names = [v.op.name for v in tf1.global_variables()]
  first = {name.split('/')[0] for name in names}
  if scopes_expected is not None:
    assert first == scopes_expected, names
  else:   # the unrolled GAN's snapshot slots keep their own scope; its Adam powers are scoped now
    assert not [n for n in names if '/' not in n], names


def _old_run_session(tmp_path, monkeypatch):
  """(the hinge example's Session on a copy of the old run dir, its run dir)."""
  cls = _hinge_gan(monkeypatch)
  run_dir = tmp_path / 'run'
  shutil.copytree(OLD_RUN, run_dir)
  return Session(cls, make_config(cls.Config, dict(OLD_FLAGS, run_dir=str(run_dir),
                                                   train_steps=4))), run_dir


def _restore_newest(session, manager):
  return session.prepare(restore=lambda sess: manager.restore_newest(
      sess, lambda state: None, lambda sess: None))


def test_an_older_checkpoint_is_restored_under_its_old_keys(tmp_path, monkeypatch):
  session, run_dir = _old_run_session(tmp_path, monkeypatch)
  try:
    with session.graph.as_default():
      manager = checkpoint.CheckpointManager(str(run_dir), 5,
                                             legacy_keys=scopes.unscoped_build(
                                                 type(session.model), session.config,
                                                 session.data))
      variables = tf1.global_variables()
    restored = _restore_newest(session, manager)
    assert restored.step == 2
    stored = checkpoint.read_variables(restored.path)
    values = session.sess.run(variables)
    assert sorted(_old_key(v.op.name) for v in variables) == sorted(stored)
    for variable, value in zip(variables, values):
      np.testing.assert_array_equal(value, stored[_old_key(variable.op.name)],
                                    err_msg=variable.op.name)
  finally:
    session.close()


def test_the_scoped_build_would_not_read_an_older_checkpoint_alone(tmp_path, monkeypatch):
  """The reader is what makes the test above pass: without it the keys are missing."""
  session, run_dir = _old_run_session(tmp_path, monkeypatch)
  try:
    with session.graph.as_default():
      manager = checkpoint.CheckpointManager(str(run_dir), 5)
    with pytest.raises(Exception, match='no complete checkpoint'):
      _restore_newest(session, manager)
  finally:
    session.close()


def test_an_older_run_dir_resumes_from_the_command_line_and_is_rewritten_scoped(entry_points,
                                                                                tmp_path):
  run_dir = tmp_path / 'run'
  shutil.copytree(OLD_RUN, run_dir)
  flags = [f'--{name}={value}' for name, value in OLD_FLAGS.items()]
  done = entry_points.run('train', ['--import=hinge_gan', '--model=hinge_gan', *flags,
                                    '--train_steps=4', f'--run_dir={run_dir}'], env=ENV)
  assert done.returncode == 0, done.stderr[-3000:]
  assert 'holds the variable names of graphgan before the evening of 2026-12-07' in done.stderr
  rows = (run_dir / 'losses.csv').read_text().splitlines()
  assert len(rows) == 5
  assert rows[:3] == open(os.path.join(OLD_RUN, 'losses.csv')).read().splitlines()
  keys = [name for name, _ in tf.train.list_variables(str(run_dir / 'checkpoints' /
                                                          'model.ckpt-4'))]
  assert {key.split('/')[0] for key in keys} == {'generator', 'discriminator', 'counters'}
  again = entry_points.run('train', ['--import=hinge_gan', '--model=hinge_gan', *flags,
                                     '--train_steps=6', f'--run_dir={run_dir}'], env=ENV)
  assert again.returncode == 0, again.stderr[-3000:]
  assert 'before the evening of 2026-12-07' not in again.stderr       # converted by its first checkpoint
