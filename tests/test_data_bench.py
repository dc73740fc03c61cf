"""``bin/bench --data=npz|folder|hdf5``: one line per chunk size with the data wait, its share of
the loop, peak RSS against the decoded set, and the sidecar's size (measured in child processes)."""
import re

import numpy as np


def test_the_data_bench_prints_a_line_per_chunk_size(entry_points, tmp_path):
  images = (np.random.default_rng(0).random((96, 64, 64, 3)) * 255).astype(np.uint8)
  np.savez(tmp_path / 'd.npz', images=images)
  done = entry_points.run('bench', ['--model=wgan', '--data=npz', f'--data_path={tmp_path}/d.npz',
                                    '--data_sampling=epochs', '--g_base_channels=4',
                                    '--d_base_channels=4', '--batch_size=8',
                                    '--bench_iterations=3', '--bench_chunk_sizes=32,0'])
  assert done.returncode == 0, done.stderr[-3000:]
  lines = done.stdout.strip().splitlines()
  assert lines[0].startswith('data: npz') and len(lines) == 3, done.stdout
  pattern = (r'step +[\d.]+ ms  data wait +[\d.]+ ms \( *[\d.]+% of the loop\)  first load +[\d.]+ s'
             r'  peak RSS +\d+ MiB \(baseline \d+, decoded set \d+ MiB: x[\d.]+\)  sidecar [\d,]+ '
             r'bytes')
  assert lines[1].lstrip().startswith('chunk 32') and re.search(pattern, lines[1]), lines[1]
  assert lines[2].lstrip().startswith('whole set') and re.search(pattern, lines[2]), lines[2]
  sizes = [int(line.rsplit('sidecar ', 1)[1].split()[0].replace(',', '')) for line in lines[1:]]
  assert max(sizes) < 600, sizes                       # O(1) state (issue 32)
