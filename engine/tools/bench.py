"""Benchmarks: ratios measured side by side in one process (never timed unit tests).

``bin/bench --model=NAME`` runs the benchmark registered for NAME under the
``graphgan.benchmarks`` entry points (``setup.cfg``; the benchmarks live with the experiments),
then, for every model, a checkpoint next to a training step and the remapper on/off step times
(``engine/tools/checkpoint_bench.py``).
Times are medians over iterations after a warm-up, so a busy machine skews them less; absolute
numbers only mean something on a GPU, the ratios are what to compare. Timing helpers:
``engine/tools/timing.py``.
"""
from graphgan.engine import plugins


def names():
  return sorted(plugins.entry_points(plugins.BENCHMARKS))


def run(model_name, iterations=20, rounds=3, **options):
  """The model's benchmark; with ``num_gpus=N > 1``, steps/s for 1 and N towers instead."""
  towers = options.pop('num_gpus', 1)
  if towers > 1:
    from graphgan.engine.tools.towers_bench import bench_towers  # pylint: disable=import-outside-toplevel
    return bench_towers(model_name, tower_counts=(1, towers), steps=iterations, **options)
  from graphgan.engine.tools import checkpoint_bench  # pylint: disable=import-outside-toplevel
  benchmarks = plugins.entry_points(plugins.BENCHMARKS)
  results = {}
  if model_name in benchmarks:
    # Loaded only when asked for: each benchmark module may import a model and build large graphs.
    results['model'] = benchmarks[model_name].load()(iterations=iterations, rounds=rounds,
                                                     **options)
  results['checkpoint'] = checkpoint_bench.bench_checkpoint(model_name, iterations, rounds,
                                                            **options)
  results['remapper'] = checkpoint_bench.bench_remapper(model_name, iterations, rounds, **options)
  return results
