"""What feeding the graph costs: ``bin/bench --model=M --data=folder|npz|hdf5 --data_path=P``.

For each ``--bench_chunk_sizes`` variant (default: ``--data_chunk_size``'s value, then 1,000 and
the whole set), a child process (peak RSS is per process) builds the model on the data, trains
``--bench_iterations`` iterations and reports, next to the step time: the data wait per iteration
(time inside the sampler: ``begin_iteration``, ``image_sample``, ``reload``) and its share of the
loop's wall time after the first iteration, the first iteration's load, peak RSS beside the
engine's baseline (RSS after the first iteration less the examples the sampler then holds) and
the decoded set's size — (peak - baseline) / decoded is what holding the data costs, 1.0 for
exactly one decoded copy — and the size of the sampler's checkpoint state. Numbers from one run, side by side; absolute times only mean
something on the machine at hand.
"""
import json
import resource
import subprocess
import sys
import time

import numpy as np

from graphgan.engine.compat import module_command

CHILD_MODULE = 'graphgan.engine.tools.data_bench'
TIMED = ('begin_iteration', 'image_sample', 'reload')


def _rss_mib():
  with open('/proc/self/status') as handle:
    for line in handle:
      if line.startswith('VmRSS:'):
        return int(line.split()[1]) / 1024
  return float('nan')


def measure(model_name, overrides, iterations):
  """One variant in this process: {step, wait, share, first, rss, baseline, decoded, state}."""
  from graphgan.engine import registry  # pylint: disable=import-outside-toplevel
  from graphgan.engine.config import make_config  # pylint: disable=import-outside-toplevel
  from graphgan.engine.run.session import Session  # pylint: disable=import-outside-toplevel
  model_cls = registry.get(model_name)
  session = Session(model_cls, make_config(model_cls.Config, overrides))
  session.prepare()
  data, waited = session.data, [0.0]
  for name in TIMED:
    original = getattr(data, name)

    def timed(*args, _original=original, **kwargs):
      started = time.perf_counter()
      try:
        return _original(*args, **kwargs)
      finally:
        waited[0] += time.perf_counter() - started
    setattr(data, name, timed)
  steps, waits, baseline = [], [], None
  with session.graph.as_default():
    for step in range(iterations + 1):
      waited[0] = 0.0
      started = time.perf_counter()
      data.begin_iteration(step)
      session.model.iteration(session.sess, step)
      steps.append(time.perf_counter() - started)
      waits.append(waited[0])
      if baseline is None:      # the engine after one step, less the examples the sampler holds
        held = getattr(data, '_chunk', None)
        baseline = _rss_mib() - (held.nbytes / 2 ** 20 if held is not None else 0.0)
  state = json.dumps(data.state())
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  session.close()
  decoded = data.num_examples * int(np.prod(data.example_shape)) / 2 ** 20
  return dict(step=float(np.median(steps[1:])), wait=float(np.median(waits[1:])),
              share=sum(waits[1:]) / sum(steps[1:]), first=waits[0], rss=peak,
              baseline=baseline, decoded=decoded, state=len(state), examples=data.num_examples)


def bench_data(model_name, overrides, iterations, chunk_sizes):
  """Each chunk size in a child process; print one line per variant; return the rows."""
  rows = {}
  print(f'data: {overrides.get("data")} {overrides.get("data_path")}, model {model_name}, '
        f'{iterations} iterations per variant (each in its own process)', flush=True)
  for chunk in chunk_sizes:
    settings = dict(overrides, data_chunk_size=chunk)
    done = subprocess.run(module_command(CHILD_MODULE, model_name, json.dumps(settings),
                                         str(iterations)),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
      print(f'  chunk {chunk}: failed: {(done.stderr.strip().splitlines() or ["?"])[-1]}')
      continue
    row = rows[chunk] = json.loads(done.stdout.strip().splitlines()[-1])
    label = 'whole set' if chunk == 0 or chunk >= row['examples'] else f'chunk {chunk:,}'
    print(f'  {label:<12} step {row["step"] * 1e3:8.1f} ms  data wait {row["wait"] * 1e3:7.2f} ms '
          f'({row["share"] * 100:5.2f}% of the loop)  first load {row["first"]:6.2f} s  '
          f'peak RSS {row["rss"]:7.0f} MiB (baseline {row["baseline"]:.0f}, decoded set '
          f'{row["decoded"]:.0f} MiB: x{(row["rss"] - row["baseline"]) / max(row["decoded"], 1e-9):.2f})  '
          f'sidecar {row["state"]:,} bytes', flush=True)
  return rows


def main(argv):
  model_name, settings, iterations = argv[1], json.loads(argv[2]), int(argv[3])
  print(json.dumps(measure(model_name, settings, iterations)), flush=True)


if __name__ == '__main__':
  main(sys.argv)
