"""Steps/s of a model's training iteration with 1 and 2 towers (``bin/bench`` calls ``bench_towers``).

Towers run on logical CPU devices when there are fewer GPUs than towers: on CPU that measures the
tower machinery's overhead (both devices share the same cores), not a speed-up.
"""
from graphgan.engine import registry
from graphgan.engine.config import make_config
from graphgan.engine.graph.towers import devices, gpu_count
from graphgan.engine.run.loop import Session
from graphgan.engine.tools import timing

# wgan_quick's widths: small enough for a shared 2-core CPU, the full documented algorithm.
DEFAULT_OVERRIDES = {'wgan': dict(batch_size=16, g_base_channels=16, d_base_channels=16,
                                  embedded_size=512)}


def steps_per_second(model_name, num_towers, steps, **overrides):
  """Iterations/s (1 / median seconds) of ``model_name`` with ``num_towers`` towers."""
  model_cls = registry.get(model_name)
  settings = dict(DEFAULT_OVERRIDES.get(model_name, {}), **overrides)
  config = make_config(model_cls.Config, dict(settings, num_gpus=num_towers))
  session = Session(model_cls, config)
  try:
    session.prepare()
    with session.graph.as_default():
      measured = timing.time_iterations(
          lambda step: session.model.iteration(session.sess, step), iterations=steps, warmup=1)
    return 1.0 / measured['median']
  finally:
    session.close()


def bench_towers(model_name='wgan', tower_counts=(1, 2), steps=5, **overrides):
  """Print and return {towers: steps/s}; adds all GPUs as one more count when there are more."""
  counts = list(tower_counts)
  if gpu_count() > max(counts):
    counts.append(gpu_count())
  results = {}
  for num in counts:
    results[num] = steps_per_second(model_name, num, steps, **overrides)
    print(f'towers {model_name} N={num} on {",".join(devices(num))}: '
          f'{results[num]:.3f} steps/s (median of {steps} iterations)', flush=True)
  return results
