"""The catalogue: bad input a user can type ends in exit code 2 and ONE ``error:`` line.

Flags, flag files, data files, run directories and output paths. Each case runs a ``bin/*`` entry
point as a user would (tests/entrypoints.py) next to a pre-existing run directory, and checks:
exit code 2, exactly one stderr line holding ``error:`` with the expected words, no traceback,
and the pre-existing run directory's bytes unchanged (or, for a broken run directory, its bytes
as broken — nothing repaired, truncated or overwritten behind the user's back).
"""
import inspect
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import TINY_WGAN_FLAGS, snapshot

TINY = ' '.join(TINY_WGAN_FLAGS)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Case:
  def __init__(self, args, fragment, tool='train', breaks=None, source='run', env=None,
               deleted_cwd=False):
    self.args, self.fragment, self.tool, self.breaks = args, fragment, tool, breaks
    self.source = source    # the pre-existing run a breaking case copies and damages
    self.env = env or {}    # environment of the run ({tmp} is the workspace)
    self.deleted_cwd = deleted_cwd   # started in a working directory that no longer exists


def _replace(relative, kind):
  """A break: one entry of the run directory's layout replaced by a ``kind``: 'file',
  'directory' or 'dangling' (a symlink to nothing)."""
  def apply(run):
    path = os.path.join(run, relative)
    if os.path.isdir(path) and not os.path.islink(path):
      shutil.rmtree(path)
    elif os.path.lexists(path):
      os.remove(path)
    if kind == 'file':
      with open(path, 'w') as handle:
        handle.write('not what graphgan wrote\n')
    elif kind == 'directory':
      os.makedirs(path)
    else:
      os.symlink(os.path.join(run, 'nothing-here'), path)
  return apply


def _newest_sidecar(run):
  names = sorted(n for n in os.listdir(os.path.join(run, 'checkpoints'))
                 if n.endswith('.state.json'))
  return os.path.join('checkpoints', names[-1])


def _replace_newest_sidecar(kind):
  return lambda run: _replace(_newest_sidecar(run), kind)(run)


def _change_npz(run, workspace):
  del run
  path = f'{workspace}/data.npz'
  images = np.load(path)['images']
  np.savez(path + '.new.npz', images=255 - images)
  os.replace(path + '.new.npz', path)


def _change_folder(run, workspace):
  del run
  from PIL import Image  # pylint: disable=import-outside-toplevel
  path = f'{workspace}/images/img003.png'
  Image.fromarray(np.full((64, 64, 3), 200, np.uint8)).save(path)


def _change_hdf5(run, workspace):
  del run
  with h5py.File(f'{workspace}/data.h5', 'r+') as handle:
    handle['images'][0] = 255 - handle['images'][0]


def _rewrite(relative, change):
  """A break: ``change(text) -> text`` applied to one file of the run dir copy."""
  def apply(run):
    path = os.path.join(run, relative)
    with open(path, encoding='utf-8') as handle:
      text = handle.read()
    with open(path, 'w', encoding='utf-8') as handle:
      handle.write(change(text))
  return apply


def _delete_sidecars(run):
  for name in os.listdir(os.path.join(run, 'checkpoints')):
    if name.endswith('.state.json'):
      os.remove(os.path.join(run, 'checkpoints', name))


def _foreign_files(run):
  shutil.rmtree(run)
  os.makedirs(run)
  with open(os.path.join(run, 'thesis.tex'), 'w') as handle:
    handle.write('\\documentclass{article}')


def _no_flags_txt(run):
  os.remove(os.path.join(run, 'flags.txt'))


def _edit_sidecars(run, edit):
  """``edit(data_state)`` in place, in every checkpoint sidecar of ``run``."""
  for name in os.listdir(os.path.join(run, 'checkpoints')):
    if name.endswith('.state.json'):
      path = os.path.join(run, 'checkpoints', name)
      with open(path) as handle:
        state = json.load(handle)
      edit(state['data'])
      with open(path, 'w') as handle:
        json.dump(state, handle)


def _bad_subset_state(run):
  _edit_sidecars(run, lambda data: data.update(chunk_rng={'bit_generator': 'PCG64',
                                                          'state': 'garbage'}))


def _bad_order(run):
  def older_and_short(data):             # an older sidecar's order, one entry short
    del data['order_rng']
    data['order'] = list(range(2047))
  _edit_sidecars(run, older_and_short)


def _bad_order_rng(run):
  _edit_sidecars(run, lambda data: data.update(order_rng={'bit_generator': 'PCG64',
                                                          'state': 'garbage'}))


CASES = {
    # -- flags --------------------------------------------------------------------------------
    'unknown_model': Case('--model=nope', 'not a registered model'),
    'no_model': Case('--batch_size=4', '--model is required'),
    'batch_size_zero': Case('--model=wgan --batch_size=0', '--batch_size must be >= 1'),
    'batch_size_terabytes': Case('--model=wgan --data_sampling=epochs '
                                 '--batch_size=1000000000000',
                                 'one batch of --batch_size=1000000000000'),
    'batch_larger_than_data_set': Case('--model=wgan --batch_size=4096',
                                       'the data set holds 2048 examples, fewer than one batch'),
    'z_dim_terabytes': Case('--model=wgan --z_dim=3000000000', 'memory'),
    'width_terabytes': Case('--model=wgan --g_base_channels=100000', 'variables'),
    'embedded_size_terabytes': Case('--model=wgan --embedded_size=1000000000',
                                    '--embedded_size=1000000000'),
    'seed_too_big': Case('--model=wgan --seed=4294967296', '--seed must be <= 4294967295'),
    'seed_negative': Case('--model=wgan --seed=-1', '--seed must be >= 0'),
    'image_size_not_multiple_of_16': Case('--model=wgan --image_size=40',
                                          '--image_size must be a multiple of 16'),
    'clip_value_inf': Case('--model=wgan --clip_value=inf', '--clip_value must be a finite'),
    'learning_rate_inf': Case('--model=wgan --learning_rate_g=inf', '--learning_rate_g must be'),
    'learning_rate_negative': Case('--model=wgan --learning_rate_d=-0.1',
                                   '--learning_rate_d must be > 0'),
    'learning_rate_zero': Case('--model=wgan --learning_rate_d=0', '--learning_rate_d must be > 0'),
    'adam_beta1_nan': Case('--model=wgan_gp --adam_beta1=nan', '--adam_beta1 must be a finite'),
    'penalty_weight_inf': Case('--model=wgan_gp --gradient_penalty_weight=inf',
                               '--gradient_penalty_weight must be a finite'),
    'ring_radius_inf': Case('--model=unrolled_gan --ring_radius=inf',
                            '--ring_radius must be a finite'),
    'critic_steps_zero': Case('--model=wgan --critic_steps=0', '--critic_steps must be >= 1'),
    'unroll_steps_too_many': Case('--model=unrolled_gan --unroll_steps=1000',
                                  '--unroll_steps must be <= 100'),
    'towers_too_many': Case('--model=wgan --num_gpus=1000', '--num_gpus must be <= 64'),
    'towers_uneven_batch': Case('--model=wgan --num_gpus=3', 'multiple of --num_gpus=3'),
    'towers_not_supported': Case('--model=dcgan --num_gpus=2', 'does not build towers'),
    'flag_of_another_model': Case('--model=wgan --unroll_steps=3', 'not a flag of model'),
    'unknown_flag': Case('--model=wgan --learning_rate=0.1', 'learning_rate'),
    'bool_with_value': Case('--model=wgan --resume=maybe', 'resume'),
    'int_with_text': Case('--model=wgan --batch_size=many', 'batch_size'),
    'bad_choice': Case('--model=wgan --clip_order=sideways', 'clip_order'),
    'bad_bn_class': Case('--model=dcgan --bn=v3', 'bn'),
    'positional_argument': Case('--model=wgan extra', 'unexpected arguments: extra'),
    # -- flag files ---------------------------------------------------------------------------
    'missing_flag_file': Case('--flagfile={tmp}/absent.cfg', 'absent.cfg'),
    'flag_file_unknown_flag': Case('--flagfile={tmp}/unknown.cfg', 'learning_rate'),
    'flag_file_bad_value': Case('--flagfile={tmp}/bad_value.cfg', '--batch_size must be >= 1'),
    'flag_file_includes_itself': Case('--flagfile={tmp}/self.cfg', 'circle'),
    'flag_files_include_each_other': Case('--flagfile={tmp}/ping.cfg', 'circle'),
    # -- data ---------------------------------------------------------------------------------
    'unknown_data_source': Case('--model=wgan --data=nope', 'is not a data source'),
    'npz_without_path': Case('--model=wgan --data=npz', 'needs --data_path'),
    'npz_missing_file': Case('--model=wgan --data=npz --data_path={tmp}/absent.npz',
                             'no such file'),
    'npz_is_npy': Case('--model=wgan --data=npz --data_path={tmp}/array.npy', 'not an .npz'),
    'npz_is_text': Case('--model=wgan --data=npz --data_path={tmp}/notes.txt',
                        'not a readable .npz'),
    'npz_object_array': Case('--model=wgan --data=npz --data_path={tmp}/objects.npz',
                             'not loadable'),
    'npz_without_images': Case('--model=wgan --data=npz --data_path={tmp}/labels.npz',
                               'expected an array named'),
    'npz_wrong_shape': Case('--model=wgan --data=npz --data_path={tmp}/vectors.npz',
                            'expected images shaped'),
    'folder_without_images': Case('--model=wgan --data=folder --data_path={tmp}/empty',
                                  'no .png/.jpg images'),
    'hdf5_truncated': Case('--model=wgan --data=hdf5 --data_path={tmp}/truncated.h5',
                           'not a readable HDF5'),
    'data_of_other_shape': Case('--model=dcgan --data=shapes64', 'expects (28, 28, 1)'),
    'npz_colour_for_dcgan': Case('--model=dcgan --data=npz --data_path={tmp}/colour.npz',
                                 'expects (28, 28, 1)'),
    'mnist_npz_without_arrays': Case('--model=dcgan --data=mnist_npz '
                                     '--data_path={tmp}/x_test_only.npz', 'missing array'),
    'mnist_npz_wrong_shape': Case('--model=dcgan --data=mnist_npz --data_path={tmp}/colour.npz',
                                  'x_train has shape (4, 32, 32, 3)'),
    # -- run directories ----------------------------------------------------------------------
    'run_dir_is_a_file': Case('--model=wgan --run_dir={tmp}/notes.txt', 'is not a directory'),
    'run_dir_under_a_file': Case('--model=wgan --run_dir={tmp}/notes.txt/run',
                                 'is a file, not a directory'),
    'run_dir_unwritable_filesystem': Case('--model=wgan --run_dir=/proc/graphgan-run',
                                          'cannot create'),
    'run_dir_of_another_model': Case('--model=unrolled_gan --run_dir={run}',
                                     'belongs to --model=wgan'),
    'run_dir_other_z_dim': Case(TINY + ' --z_dim=50 --run_dir={run}', '--z_dim=100 there'),
    'run_dir_other_embedded_size': Case(TINY.replace('--embedded_size=32', '--embedded_size=40') +
                                        ' --run_dir={run}', '--embedded_size=32 there'),
    'noresume_with_checkpoints': Case(TINY + ' --noresume --run_dir={run}',
                                      'already holds checkpoints'),
    'all_sidecars_deleted': Case(TINY + ' --run_dir={run}', 'no complete checkpoint',
                                 breaks=_delete_sidecars),
    'sidecar_order_does_not_fit': Case(TINY + ' --data_sampling=epochs --run_dir={run}',
                                       'data order has', breaks=_bad_order, source='run_epochs'),
    'sidecar_order_rng_garbage': Case(TINY + ' --data_sampling=epochs --run_dir={run}',
                                      'valid order RNG state', breaks=_bad_order_rng,
                                      source='run_epochs'),
    'sidecar_subset_state_garbage': Case(TINY + ' --run_dir={run}', 'valid subset RNG state',
                                         breaks=_bad_subset_state),
    'losses_row_garbage': Case(TINY + ' --run_dir={run}', 'losses.csv line 2',
                               breaks=_rewrite('losses.csv', lambda t: t.replace('\n1,', '\nx,'))),
    'losses_csv_cut_short': Case(TINY + ' --run_dir={run}', 'rows end at step',
                                 breaks=_rewrite('losses.csv', lambda t: t[:t.index('\n2,') + 1])),
    'flags_txt_garbage': Case(TINY + ' --run_dir={run}', 'is not a flag',
                              breaks=_rewrite('flags.txt', lambda t: 'garbage\n' + t)),
    'foreign_directory': Case(TINY + ' --run_dir={run}', 'not a graphgan run directory',
                              breaks=_foreign_files),
    'checkpoints_without_flags_txt': Case(TINY + ' --run_dir={run}', 'no flags.txt',
                                          breaks=_no_flags_txt),
    # -- output paths and the other tools -----------------------------------------------------
    'sample_out_under_a_file': Case(TINY + ' --weights={run}/weights/g_final.h5 '
                                    '--out={tmp}/notes.txt/grid.png', 'is a file',
                                    tool='sample'),
    'sample_out_is_a_directory': Case(TINY + ' --weights={run}/weights/g_final.h5 --out={tmp}',
                                      'is a directory', tool='sample'),
    'sample_weights_missing': Case(TINY + ' --weights={tmp}/absent.h5', 'no such weights file',
                                   tool='sample'),
    'sample_weights_truncated': Case(TINY + ' --weights={tmp}/truncated.h5 --out={tmp}/g.png',
                                     'corrupt or truncated', tool='sample'),
    'sample_weights_of_other_widths': Case(
        TINY.replace('--g_base_channels=4', '--g_base_channels=8') +
        ' --weights={run}/weights/g_final.h5 --out={tmp}/g.png', 'do not fit', tool='sample'),
    'sample_run_dir_without_flags': Case('--run_dir={tmp}/empty --out={tmp}/g.png',
                                         'cannot read', tool='sample'),
    'record_out_under_a_file': Case('--model=wgan --out={tmp}/notes.txt/r.json', 'is a file',
                                    tool='record_losses'),
    'bench_unknown_model': Case('--model=nope', 'not a registered model', tool='bench'),
    # == the second tier (issue 28) ==========================================================
    # -- plugins (--import) -------------------------------------------------------------------
    'import_missing_module': Case('--import=no_such_plugin --model=wgan', 'cannot import it',
                                  env={'PYTHONPATH': '{tmp}/plugins'}),
    'import_raises': Case('--import=raising_plugin --model=wgan',
                          'RuntimeError: the plugin refuses', env={'PYTHONPATH': '{tmp}/plugins'}),
    'import_syntax_error': Case('--import=broken_plugin --model=wgan', 'syntax error',
                                env={'PYTHONPATH': '{tmp}/plugins'}),
    'import_registers_an_existing_model': Case('--import=clash_model --model=wgan',
                                               "model 'wgan' registered twice",
                                               env={'PYTHONPATH': '{tmp}/plugins'}),
    'import_registers_an_existing_source': Case('--import=clash_source --model=wgan',
                                                "data source 'shapes64' registered twice",
                                                env={'PYTHONPATH': '{tmp}/plugins'}),
    'import_names_nothing': Case('--import= --model=wgan', '--import= names no module'),
    # -- flag files that are not text files ---------------------------------------------------
    'flag_file_fifo': Case('--flagfile={tmp}/fifo.cfg', 'not a regular file'),
    'flag_file_dev_zero': Case('--flagfile=/dev/zero', 'not a regular file'),
    'flag_file_is_a_directory': Case('--flagfile={tmp}/empty', 'not a regular file'),
    'flag_file_not_utf8': Case('--flagfile={tmp}/latin1.cfg', 'not UTF-8 text'),
    'flag_file_nul_byte': Case('--flagfile={tmp}/nul.cfg', 'NUL byte'),
    'flag_file_huge': Case('--flagfile={tmp}/huge.cfg', 'bytes; a flag file'),
    'flag_file_empty_name': Case('--model=wgan --flagfile=', '--flagfile= names no file'),
    'flag_file_includes_a_missing_one': Case('--flagfile={tmp}/outer.cfg',
                                             'absent_inner.cfg: no such file'),
    'missing_flag_file_says_so': Case('--flagfile={tmp}/absent.cfg', 'absent.cfg: no such file'),
    # -- a run directory whose layout is damaged: nothing changes, one line -----------------
    'losses_csv_is_a_directory': Case(TINY + ' --run_dir={run}', 'losses.csv: not a regular file',
                                      breaks=_replace('losses.csv', 'directory')),
    'losses_csv_dangling_symlink': Case(TINY + ' --run_dir={run}', 'losses.csv: a symlink',
                                        breaks=_replace('losses.csv', 'dangling')),
    'metrics_jsonl_is_a_directory': Case(TINY + ' --run_dir={run}',
                                         'metrics.jsonl: not a regular file',
                                         breaks=_replace('metrics.jsonl', 'directory')),
    'flags_txt_is_a_directory': Case(TINY + ' --run_dir={run}', 'flags.txt: not a regular file',
                                     breaks=_replace('flags.txt', 'directory')),
    'flags_txt_dangling_symlink': Case(TINY + ' --run_dir={run}', 'flags.txt: a symlink',
                                       breaks=_replace('flags.txt', 'dangling')),
    'checkpoints_is_a_file': Case(TINY + ' --run_dir={run}', 'checkpoints: not a directory',
                                  breaks=_replace('checkpoints', 'file')),
    'checkpoints_dangling_symlink': Case(TINY + ' --run_dir={run}', 'checkpoints: a symlink',
                                         breaks=_replace('checkpoints', 'dangling')),
    'checkpoint_index_is_a_directory': Case(TINY + ' --run_dir={run}',
                                            'checkpoint: not a regular file',
                                            breaks=_replace('checkpoints/checkpoint', 'directory')),
    'skipped_is_a_file': Case(TINY + ' --run_dir={run}', 'skipped: not a directory',
                              breaks=_replace('checkpoints/skipped', 'file')),
    'sidecar_is_a_directory': Case(TINY + ' --run_dir={run}', 'state.json: not a regular file',
                                   breaks=_replace_newest_sidecar('directory')),
    'lock_is_a_directory': Case(TINY + ' --run_dir={run}', 'lock: not a regular file',
                                breaks=_replace('lock', 'directory')),
    'lock_dangling_symlink': Case(TINY + ' --run_dir={run}', 'lock: a symlink',
                                  breaks=_replace('lock', 'dangling')),
    'weights_is_a_file': Case(TINY + ' --run_dir={run}', 'weights: not a directory',
                              breaks=_replace('weights', 'file')),
    'samples_is_a_file': Case(TINY + ' --run_dir={run}', 'samples: not a directory',
                              breaks=_replace('samples', 'file')),
    # -- process context ----------------------------------------------------------------------
    'relative_run_dir_in_a_deleted_directory': Case(TINY + ' --run_dir=rel', 'working directory',
                                                    deleted_cwd=True),
    # -- data files ---------------------------------------------------------------------------
    'folder_with_a_decompression_bomb': Case(TINY + ' --data=folder --data_path={tmp}/bomb',
                                             'decompression bomb'),
    'folder_with_a_fifo_image': Case('--model=wgan --data=folder --data_path={tmp}/fifo_images',
                                     'not a regular file'),
    'hdf5_external_link_to_a_missing_file': Case('--model=wgan --data=hdf5 '
                                                 '--data_path={tmp}/linked.h5',
                                                 'external link'),
    'npz_path_is_a_fifo': Case('--model=wgan --data=npz --data_path={tmp}/fifo.npz',
                               'not a regular file'),
    'npz_path_is_a_directory': Case('--model=wgan --data=npz --data_path={tmp}/empty',
                                    'is a directory'),
    'npz_changed_since_the_run_started': Case(
        TINY + ' --data=npz --data_path={tmp}/data.npz --run_dir={run}', 'data set changed',
        breaks=_change_npz, source='run_npz'),
    'folder_changed_since_the_run_started': Case(
        TINY + ' --data=folder --data_path={tmp}/images --run_dir={run}', 'data set changed',
        breaks=_change_folder, source='run_folder'),
    'hdf5_changed_since_the_run_started': Case(
        TINY + ' --data=hdf5 --data_path={tmp}/data.h5 --run_dir={run}', 'data set changed',
        breaks=_change_hdf5, source='run_hdf5'),
    # -- tools --------------------------------------------------------------------------------
    'sample_with_the_critics_weights': Case('--run_dir={run} --network=d --out={tmp}/d.png',
                                            '--network=d', tool='sample'),
    'sample_weights_is_a_directory': Case(TINY + ' --weights={tmp}/empty --out={tmp}/g.png',
                                          'is a directory', tool='sample'),
    'sample_weights_is_a_fifo': Case(TINY + ' --weights={tmp}/fifo.h5 --out={tmp}/g.png',
                                     'not a regular file', tool='sample'),
    # -- messages that pointed the wrong way ----------------------------------------------------
    'tf_config_hosts_a_string': Case(TINY, 'TF_CONFIG', env={'TF_CONFIG': json.dumps(
        {'cluster': {'worker': '127.0.0.1:2222', 'ps': ['127.0.0.1:2223']},
         'task': {'type': 'worker', 'index': 0}})}),
    'tf_config_not_json': Case(TINY, 'TF_CONFIG is not JSON', env={'TF_CONFIG': '{cluster:'}),
    'tf_config_index_text': Case(TINY, 'TF_CONFIG', env={'TF_CONFIG': json.dumps(
        {'cluster': {'worker': ['127.0.0.1:2222'], 'ps': ['127.0.0.1:2223']},
         'task': {'type': 'worker', 'index': 'zero'}})}),
}


@pytest.fixture(scope='module')
def workspace(entry_points, tmp_path_factory):
  """A pre-existing tiny run (2 steps, checkpoints at 1 and 2) and the bad files the cases use."""
  folder = tmp_path_factory.mktemp('catalogue')
  done = entry_points.run('train', TINY_WGAN_FLAGS + ['--train_steps=2', '--save_every_steps=1',
                                                      f'--run_dir={folder}/run'])
  assert done.returncode == 0, done.stderr[-3000:]
  done = entry_points.run('train', TINY_WGAN_FLAGS + ['--train_steps=2', '--save_every_steps=1',
                                                      '--data_sampling=epochs',
                                                      f'--run_dir={folder}/run_epochs'])
  assert done.returncode == 0, done.stderr[-3000:]
  (folder / 'empty').mkdir()
  (folder / 'notes.txt').write_text('not data')
  (folder / 'absent_dir_marker').write_text('')
  (folder / 'unknown.cfg').write_text('--model=wgan\n--learning_rate=0.1\n')
  (folder / 'bad_value.cfg').write_text('--model=wgan\n--batch_size=0\n')
  (folder / 'self.cfg').write_text(f'--model=wgan\n--flagfile={folder}/self.cfg\n')
  (folder / 'ping.cfg').write_text(f'--model=wgan\n--flagfile={folder}/pong.cfg\n')
  (folder / 'pong.cfg').write_text(f'--flagfile={folder}/ping.cfg\n')
  np.save(folder / 'array.npy', np.zeros((4, 64, 64, 3), np.uint8))
  np.savez(folder / 'objects.npz', images=np.array([{'a': 1}, None], dtype=object))
  np.savez(folder / 'labels.npz', labels=np.zeros(3))
  np.savez(folder / 'vectors.npz', images=np.zeros((4, 10), np.float32))
  np.savez(folder / 'x_test_only.npz', x_test=np.zeros((2, 28, 28), np.uint8))
  np.savez(folder / 'colour.npz', x_train=np.zeros((4, 32, 32, 3), np.uint8), y_train=np.zeros(4))
  with h5py.File(folder / 'truncated.h5', 'w') as handle:
    handle.create_dataset('x', data=np.zeros((64, 64)))
  data = (folder / 'truncated.h5').read_bytes()
  (folder / 'truncated.h5').write_bytes(data[:len(data) // 3])
  _second_tier_files(folder)
  for name, args in (('run_npz', f'--data=npz --data_path={folder}/data.npz'),
                     ('run_folder', f'--data=folder --data_path={folder}/images'),
                     ('run_hdf5', f'--data=hdf5 --data_path={folder}/data.h5')):
    done = entry_points.run('train', TINY_WGAN_FLAGS + args.split() + [
        '--train_steps=2', '--save_every_steps=1', f'--run_dir={folder}/{name}'])
    assert done.returncode == 0, done.stderr[-3000:]
  return folder


PLUGINS = {
    'raising_plugin.py': 'raise RuntimeError("the plugin refuses to load")\n',
    'broken_plugin.py': 'def broken(:\n  pass\n',
    'clash_model.py': ('from graphgan.engine.registry import register\n'
                       'from graphgan.engine.model import Model\n'
                       '@register("wgan")\nclass Again(Model):\n  pass\n'),
    'clash_source.py': ('from graphgan.engine.data import register_source\n'
                        '@register_source("shapes64")\ndef again(config, seed):\n  return None\n'),
}


def _second_tier_files(folder):
  """What the issue-28 cases hand the engine: plugins, special files, data sets."""
  from PIL import Image  # pylint: disable=import-outside-toplevel
  (folder / 'plugins').mkdir()
  for name, text in PLUGINS.items():
    (folder / 'plugins' / name).write_text(text)
  for name in ('fifo.cfg', 'fifo.npz', 'fifo.h5'):
    os.mkfifo(folder / name)
  (folder / 'latin1.cfg').write_bytes('--model=wgan\n# caf\xe9\n'.encode('latin-1'))
  (folder / 'nul.cfg').write_bytes(b'--model=wgan\n--run_dir=runs/a\x00b\n')
  (folder / 'huge.cfg').write_text('--model=wgan\n' + '#' * (2 << 20) + '\n')
  (folder / 'outer.cfg').write_text(f'--model=wgan\n--flagfile={folder}/absent_inner.cfg\n')
  rng = np.random.default_rng(0)
  images = rng.integers(0, 256, size=(32, 64, 64, 3), dtype=np.uint8)
  np.savez(folder / 'data.npz', images=images)
  with h5py.File(folder / 'data.h5', 'w') as handle:
    handle.create_dataset('images', data=images)
  (folder / 'images').mkdir()
  for i, image in enumerate(images):
    Image.fromarray(image).save(folder / 'images' / f'img{i:03d}.png')
  (folder / 'bomb').mkdir()
  for i in range(10):
    Image.fromarray(images[i]).save(folder / 'bomb' / f'good{i}.png')
  Image.new('1', (15000, 15000)).save(folder / 'bomb' / 'bomb.png')   # 225 Mpixel, ~30 KB
  (folder / 'fifo_images').mkdir()
  Image.fromarray(images[0]).save(folder / 'fifo_images' / 'good.png')
  os.mkfifo(folder / 'fifo_images' / 'pipe.png')
  with h5py.File(folder / 'linked.h5', 'w') as handle:
    handle['images'] = h5py.ExternalLink(str(folder / 'gone.h5'), '/images')


def _run_in_a_deleted_directory(tool, args, env, tmp_path):
  """``bin/<tool> args`` started in a working directory removed before it starts."""
  gone = tmp_path / 'gone'
  gone.mkdir()
  command = (f'cd {gone} && rmdir {gone} && exec {sys.executable} '
             f'{os.path.join(ROOT, "bin", tool)} ' + ' '.join(args))
  done = subprocess.run(['sh', '-c', command], env=dict(os.environ, **env), capture_output=True,
                        text=True, check=False)
  return done


def test_catalogue_is_large():
  assert len(CASES) >= 110   # 70 before issue 28; it added 44 (and issue 26 two)


@pytest.mark.parametrize('name', sorted(CASES))
def test_bad_input_is_one_line_and_changes_nothing(name, workspace, entry_points, tmp_path):
  case = CASES[name]
  run = workspace / 'run'
  if case.breaks:
    run = tmp_path / 'run'
    shutil.copytree(workspace / case.source, run, symlinks=True)
    if len(inspect.signature(case.breaks).parameters) == 2:
      case.breaks(str(run), str(workspace))
    else:
      case.breaks(str(run))
  before = snapshot(run)
  args = case.args.format(tmp=workspace, run=run).split()
  env = {key: value.replace('{tmp}', str(workspace)) for key, value in case.env.items()}
  if case.deleted_cwd:
    done = _run_in_a_deleted_directory(case.tool, args, env, tmp_path)
  else:
    done = entry_points.run(case.tool, args, cwd=tmp_path, env=env)
  errors = [line for line in done.stderr.splitlines() if 'error:' in line]
  assert done.returncode == 2, done.stderr[-3000:]
  assert 'Traceback' not in done.stderr, done.stderr[-3000:]
  assert len(errors) == 1 and errors[0].startswith(f'{case.tool}: error:'), done.stderr[-3000:]
  assert case.fragment in errors[0], errors[0]
  assert snapshot(run) == before, 'the run directory changed'
