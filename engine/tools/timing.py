"""Timing helpers shared by the benchmarks: medians after a warm-up, a printed ratio table."""
import statistics
import tempfile
import time

import numpy as np


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
