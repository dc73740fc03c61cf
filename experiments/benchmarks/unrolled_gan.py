"""unrolled_gan timings: cost vs k, no growth over a long run, placeholder vs device-side restore.

Everything is measured in one process on one graph per setting, as ratios from one run. Times are
this process's CPU seconds (``time.process_time``, all its threads) unless
``clock_kind='wall'``: on a shared CPU, wall time mostly measures the neighbours' load. Each
timing is the median of blocks of iterations, after a warm-up.
"""
import time

import numpy as np

from graphgan.engine.compat import tf, tf1, keras
from graphgan.engine.config import make_config
from graphgan.engine.data import make_source
from graphgan.models.unrolled_gan import UnrolledGAN

CLOCKS = {'cpu': time.process_time, 'wall': time.perf_counter}
clock = CLOCKS['cpu']


def _session(overrides, data='ring'):
  config = make_config(UnrolledGAN.Config, dict(dict(eval_every_steps=0), **overrides))
  graph = tf.Graph()
  with graph.as_default():
    keras.utils.set_random_seed(config.seed)
    model = UnrolledGAN(config, make_source(data, config, config.seed))
    model.build()
    init = [tf1.global_variables_initializer(), tf1.local_variables_initializer()]
    graph.finalize()
  threads = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
  sess = tf1.Session(graph=graph, config=threads)
  sess.run(init)
  return sess, model


def _block_times(fn, blocks, per_block):
  """Seconds per call for each block of ``per_block`` calls."""
  times = []
  for _ in range(blocks):
    start = clock()
    for _ in range(per_block):
      fn()
    times.append((clock() - start) / per_block)
  return np.asarray(times)


def time_per_iteration(overrides, warmup=20, blocks=5, per_block=40):
  """Median over ``blocks`` of the seconds per iteration in a block of ``per_block``."""
  sess, model = _session(overrides)
  step = iter(range(10 ** 9))
  _block_times(lambda: model.iteration(sess, next(step)), 1, warmup)
  median = float(np.median(_block_times(lambda: model.iteration(sess, next(step)), blocks,
                                        per_block)))
  sess.close()
  return median


def first_vs_last(overrides, iterations=2000, window=100):
  """Mean seconds per iteration of the first and last ``window`` iterations of one long run."""
  sess, model = _session(overrides)
  times = []
  for step in range(iterations):
    start = clock()
    model.iteration(sess, step)
    times.append(clock() - start)
  sess.close()
  times = np.asarray(times)
  # Skip the very first 10 (graph warm-up) so the comparison is about growth, not start-up.
  return float(np.median(times[10:10 + window])), float(np.median(times[-window:]))


def restore_cost(kind, repeats=300, **overrides):
  """Seconds per snapshot save + restore of the default discriminator state."""
  sess, model = _session(dict(overrides, unroll_steps=5, snapshot_kind=kind))
  model.iteration(sess, 0)

  def save_restore():
    model.snapshot.save(sess)
    model.snapshot.restore(sess)
  median = float(np.median(_block_times(save_restore, 5, repeats // 5)))
  sess.close()
  return median


def bench_unrolled(iterations=40, rounds=5, unroll_steps=(0, 1, 5, 10), long_run=2000, log=print,
                   clock_kind='cpu', **overrides):
  """Print the timings and ratios (``rounds`` blocks of ``iterations``); return them as a dict."""
  global clock  # pylint: disable=global-statement
  clock = CLOCKS[clock_kind]
  overrides = {k: v for k, v in overrides.items() if k not in ('unroll_steps', 'unroll_mode',
                                                               'snapshot_kind')}

  def per_iteration(**settings):
    return time_per_iteration(dict(overrides, **settings), blocks=rounds, per_block=iterations)
  results = {}
  base = None
  for k in unroll_steps:
    seconds = per_iteration(unroll_steps=k)
    base = base or seconds
    results[f'k{k}_ms'] = 1000 * seconds
    log(f'unroll_steps={k:2d} (documented): {1000 * seconds:7.2f} ms/iteration  '
        f'ratio to k={unroll_steps[0]}: {seconds / base:5.2f}')
  ks = np.asarray(unroll_steps, dtype=np.float64)
  ms = np.asarray([results[f'k{k}_ms'] for k in unroll_steps])
  slope, intercept = np.polyfit(ks, ms, 1)
  residual = float(np.max(np.abs(ms - (slope * ks + intercept)) / ms))
  results.update(ms_per_unroll_step=float(slope), linear_fit_max_relative_residual=residual)
  log(f'linear fit: {intercept:.2f} ms + {slope:.2f} ms * k (max relative residual {residual:.1%})')
  for k in (1, 5):
    seconds = per_iteration(unroll_steps=k, unroll_mode='differentiable')
    results[f'differentiable_k{k}_ms'] = 1000 * seconds
    log(f'unroll_steps={k:2d} (differentiable): {1000 * seconds:7.2f} ms/iteration')
  first, last = first_vs_last(dict(overrides, unroll_steps=5), iterations=long_run)
  results.update(first_100_ms=1000 * first, last_100_ms=1000 * last, last_over_first=last / first)
  log(f'k=5, {long_run} iterations: first 100 {1000 * first:.2f} ms, '
      f'last 100 {1000 * last:.2f} ms, '
      f'ratio {last / first:.2f}')
  for kind in ('placeholder', 'device'):
    results[f'{kind}_save_restore_ms'] = 1000 * restore_cost(kind, **overrides)
    results[f'{kind}_k5_ms'] = 1000 * per_iteration(unroll_steps=5, snapshot_kind=kind)
  log(f'save+restore: placeholder {results["placeholder_save_restore_ms"]:.3f} ms, device '
      f'{results["device_save_restore_ms"]:.3f} ms, ratio '
      f'{results["placeholder_save_restore_ms"] / results["device_save_restore_ms"]:.2f}; '
      f'k=5 iteration: placeholder {results["placeholder_k5_ms"]:.2f} ms, device '
      f'{results["device_k5_ms"]:.2f} ms, ratio '
      f'{results["placeholder_k5_ms"] / results["device_k5_ms"]:.2f}')
  return results
