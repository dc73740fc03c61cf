"""Benchmarks: ratios measured side by side in one process (never timed unit tests).

``bin/bench --model=NAME`` runs the benchmark registered for NAME. Times are medians over
iterations after a warm-up, so a busy machine skews them less; absolute numbers only mean
something on a GPU, the ratios are what to compare.
"""
import importlib
import statistics
import tempfile
import time

import numpy as np

from engine.errors import UserError

# model name -> 'module:function' (imported lazily: each benchmark may build large graphs)
BENCHMARKS = {
    'wgan': 'models.wgan_bench:bench_wgan',
    'unrolled_gan': 'models.unrolled_bench:bench_unrolled',
}


def run(model_name, iterations=20, rounds=3, **options):
  """The model's benchmark; with ``num_gpus=N > 1``, steps/s for 1 and N towers instead."""
  towers = options.pop('num_gpus', 1)
  if towers > 1:
    from engine.towers_bench import bench_towers  # pylint: disable=import-outside-toplevel
    return bench_towers(model_name, tower_counts=(1, towers), steps=iterations, **options)
  from engine import checkpoint_bench  # pylint: disable=import-outside-toplevel
  results = {}
  if model_name in BENCHMARKS:
    module_name, function_name = BENCHMARKS[model_name].split(':')
    results['model'] = getattr(importlib.import_module(module_name), function_name)(
        iterations=iterations, rounds=rounds, **options)
  results['checkpoint'] = checkpoint_bench.bench_checkpoint(model_name, iterations, rounds,
                                                            **options)
  results['remapper'] = checkpoint_bench.bench_remapper(model_name, iterations, rounds, **options)
  return results


def time_iterations(step_fn, iterations, warmup):
  """Median and mean seconds per call of ``step_fn(i)`` after ``warmup`` calls."""
  for i in range(warmup):
    step_fn(i)
  seconds = []
  for i in range(iterations):
    started = time.perf_counter()
    step_fn(warmup + i)
    seconds.append(time.perf_counter() - started)
  return summarize(seconds)


def summarize(seconds):
  return {'median': statistics.median(seconds), 'mean': float(np.mean(seconds)),
          'n': len(seconds)}


def temporary_run_dir():
  return tempfile.TemporaryDirectory(prefix='graphgan-bench-')


def print_table(title, rows, reference):
  """Rows {name: summary}; each line shows median/mean seconds and the ratio to ``reference``."""
  print(title)
  base = rows[reference]['median']
  for name, summary in rows.items():
    print(f'  {name:<34} median {summary["median"] * 1e3:9.2f} ms   mean '
          f'{summary["mean"] * 1e3:9.2f} ms   x{summary["median"] / base:6.3f} of {reference}')
