"""kill -9 at every step of the write order, re-run the same command: the finished run directory
is bit-identical to an uninterrupted run's (losses.csv, metrics.jsonl, every kept checkpoint's
variables and sidecar, HDF5 exports, sample PNGs) and holds no stray file.

The kills come from ``engine.faults`` points (``GRAPHGAN_FAULT=name@n``), so each case is the same
instant every time; ``bin/crashtest`` adds kills at random instants (see README).
"""
import pytest

from conftest import TINY_WGAN_FLAGS
from graphgan.engine.tools.crashtest import FAULT_POINTS, compare_run_dirs

WGAN = TINY_WGAN_FLAGS + ['--train_steps=9', '--keep_checkpoints=2', '--embedded_size=24',
                          '--keep_exports=2']
UNROLLED = ['--model=unrolled_gan', '--batch_size=32', '--generator_hidden_units=8',
            '--discriminator_hidden_units=8', '--train_steps=8', '--eval_every_steps=2',
            '--save_every_steps=3', '--sample_every_steps=4', '--keep_checkpoints=2']
# (fault point, pass at which to kill): every point of the order, each once, in one run dir.
WGAN_KILLS = [(point, 1) for point in FAULT_POINTS]
UNROLLED_KILLS = [('step:done', 3), ('checkpoint:variables_written', 1),
                  ('checkpoint:committed', 1), ('log:row', 4)]
# Killed between the final checkpoint's commit and its retirements (saves at 2, 4, 5: the 3rd):
# the re-run has nothing left to train, and must still keep only --keep_checkpoints=2.
LAST_SAVE = TINY_WGAN_FLAGS + ['--train_steps=5', '--keep_checkpoints=2']
LAST_SAVE_KILLS = [('checkpoint:committed', 3)]


@pytest.mark.parametrize('flags, kills', [(WGAN, WGAN_KILLS), (UNROLLED, UNROLLED_KILLS),
                                          (LAST_SAVE, LAST_SAVE_KILLS)],
                         ids=['wgan', 'unrolled_gan', 'wgan_killed_at_its_last_commit'])
def test_kill_at_every_write_point_then_rerun_is_bit_identical(flags, kills, entry_points,
                                                               tmp_path):
  reference, subject = tmp_path / 'reference', tmp_path / 'subject'
  done = entry_points.run('train', flags + [f'--run_dir={reference}'])
  assert done.returncode == 0, done.stderr[-3000:]
  for point, count in kills:
    killed = entry_points.run('train', flags + [f'--run_dir={subject}'],
                              env={'GRAPHGAN_FAULT': f'{point}@{count}'})
    assert killed.returncode == -9, (point, killed.stderr[-3000:])
  done = entry_points.run('train', flags + [f'--run_dir={subject}'])
  assert done.returncode == 0, done.stderr[-3000:]
  assert compare_run_dirs(str(reference), str(subject)) == []


def test_compare_run_dirs_sees_a_changed_variable_and_a_stray_file(entry_points, tmp_path):
  """The comparison itself bites: a run with another seed differs (so --seed matters), a
  .partial file is stray."""
  runs = []
  for seed in (0, 1):
    runs.append(tmp_path / f'seed{seed}')
    done = entry_points.run('train', TINY_WGAN_FLAGS + ['--train_steps=2', f'--seed={seed}',
                                                        f'--run_dir={runs[-1]}'])
    assert done.returncode == 0, done.stderr[-3000:]
  (runs[1] / 'samples' / 'x.png.partial').write_bytes(b'')
  problems = compare_run_dirs(str(runs[0]), str(runs[1]))
  assert 'losses.csv differs' in problems
  assert any('variables differ' in p for p in problems)
  assert any('stray file' in p for p in problems)
