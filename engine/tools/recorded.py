"""Recorded losses: write a run's first losses with their metadata; replay and compare them.

A recorded file (``recorded/<model>-<variant>-<device>.json``) holds the model, the flag
overrides, seed, step count, TensorFlow version, device kind and the command that wrote it, each
loss as a list, and its tolerance. ``replay`` re-runs exactly that configuration on this machine
and ``compare`` checks every value on its own: ``|now - recorded| <= atol + rtol * |recorded|``.

Recordings are per device kind: ``gpu``, or the CPU model ``cpu-<isa>-<vendor>-<family>-<model>``
(``cpu-avx512-intel-6-207``), else the widest vector instruction set the CPU offers (``cpu-avx512``,
``cpu-avx2``: the files of before the evening of 2026-12-07). TensorFlow's CPU kernels (oneDNN) pick their
code per instruction set, which changes float32 summation order, and training amplifies that:
measured 2026-12-07, the AVX-512 recordings re-run on an AVX2 CPU differ from the first
iteration's second update on, by up to 1e-2 relative within 10-20 steps (dcgan, lsgan and wgan
on images; bn_regression's test loss from step 41), 6 of 11 files beyond their tolerance (Adam's
and RMSProp's first steps move a weight by about its learning rate whatever the size of its
gradient, so a gradient near zero that rounds to the other sign moves it the other way). So a CPU
file replays only on its own kind, and every CPU recording has a twin per kind (the same stored
command run there). Within one instruction set CPU models differ too: measured 2026-12-07 (evening), an
Intel family-6 model-207 AVX-512 CPU replayed 4 of the 11 ``cpu-avx512`` files beyond tolerance,
from step 1's 8th digit on (oneDNN capped at AVX512_CORE gave the same numbers as native, and
capped at AVX2 it did not reproduce the AVX2 EPYC's files either); so a CPU model's
own file comes first (``device_kinds``).

Why these tolerances. One device kind + op determinism gives bit-identical CPU losses run to
run; the tolerance absorbs the rest of what a machine may change within a kind (another CPU
model or TensorFlow build of the same instruction set):

- ``rtol`` 1e-4 of each value itself (``DEFAULT_RTOL``), so a late small value gets no slack
  from the curve's early large ones;
- ``atol`` per loss, 1e-6 of that loss's largest magnitude in the recording
  (``ATOL_OF_LARGEST``): a floor only for values near zero. A loss that is a difference of larger
  terms (a Wasserstein ``d_loss``, a ``critic_loss`` crossing zero) carries the rounding of those
  terms, not of its own small value; the curve's largest magnitude stands for their scale, and
  1e-6 of it is ~8 float32 ulps. ``atol`` is 1% of the ``rtol`` term at the curve's peak and
  dominates only for values below 1% of the peak.

A 1% learning-rate change moves every recorded file beyond this (``tests/test_recorded_losses``).
"""
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np

from graphgan.engine import registry
from graphgan.engine.compat import CHECKOUT, module_command, tf
from graphgan.engine.config import make_config
from graphgan.engine.errors import UserError
from graphgan.engine.run import loop

DEFAULT_RTOL = 1e-4
ATOL_OF_LARGEST = 1e-6
# Settings forced for every recording: no files beyond the checkpoint, no resume.
_QUIET = dict(summary_every_steps=0, sample_every_steps=0, export_every_epochs=0,
              log_every_steps=1000000, resume=False)


def cpu_instruction_set():
  """``avx512``, ``avx2`` or ``avx`` (x86: the widest the CPU flags offer), else the machine name."""
  offered = set()
  try:
    with open('/proc/cpuinfo') as handle:
      offered = next((set(line.split(':', 1)[1].split()) for line in handle
                      if line.startswith('flags')), set())
  except OSError:
    pass
  for name, flag in (('avx512', 'avx512f'), ('avx2', 'avx2'), ('avx', 'avx')):
    if flag in offered:
      return name
  return platform.machine().lower() or 'unknown'


_VENDORS = {'GenuineIntel': 'intel', 'AuthenticAMD': 'amd'}


def cpu_model():
  """``<vendor>-<family>-<model>`` of /proc/cpuinfo's first CPU (``intel-6-207``), or ''."""
  fields = {}
  try:
    with open('/proc/cpuinfo') as handle:
      for line in handle:
        if not line.strip():
          break
        key, _, value = line.partition(':')
        fields[key.strip()] = value.strip()
  except OSError:
    return ''
  if not all(fields.get(k) for k in ('vendor_id', 'cpu family', 'model')):
    return ''
  vendor = _VENDORS.get(fields['vendor_id'], fields['vendor_id'].lower())
  return f'{vendor}-{fields["cpu family"]}-{fields["model"]}'


KIND_VARIABLE = 'GRAPHGAN_DEVICE_KIND'        # overrides device_kind() (a user's own name)
BASELINE_VARIABLE = 'GRAPHGAN_RECORDED_DIR'   # a local baseline, searched before recorded/
REPOSITORY_DIR = os.path.join(CHECKOUT, 'recorded')


def device_kind():
  """``gpu``, or ``cpu-<instruction set>``: recorded losses replay on their own kind only.

  ``$GRAPHGAN_DEVICE_KIND`` replaces it (a machine that needs its own baseline, or a test that
  simulates a kind no file was recorded on).
  """
  override = os.environ.get(KIND_VARIABLE, '').strip()
  if override:
    return override
  if tf.config.list_physical_devices('GPU'):
    return 'gpu'
  model = cpu_model()
  return f'cpu-{cpu_instruction_set()}' + (f'-{model}' if model else '')


def device_kinds():
  """The kinds whose recordings replay here, most specific first: this CPU model's
  (``cpu-avx512-intel-6-207``), then its instruction set's (``cpu-avx512``: files recorded before
  2026-12-07 evening, when the model was not part of the kind, on one machine of that set)."""
  kind = device_kind()
  generic = f'cpu-{cpu_instruction_set()}'
  return [kind, generic] if kind.startswith(generic + '-') else [kind]


def file_name(model_name, variant, kind):
  return f'{model_name}-{variant}-{kind}.json'


def configurations(directory=REPOSITORY_DIR):
  """{(model, variant): one of its recordings}, over every file in ``directory``: the
  configurations the suite replays (each file's stored command and overrides are its kind's
  twin's too)."""
  found = {}
  for name in sorted(os.listdir(directory)):
    if name.endswith('.json'):
      recording = load(os.path.join(directory, name))
      found.setdefault((recording['model'], recording['variant']), recording)
  return found


def baseline_dirs():
  """Where recordings are looked up: ``$GRAPHGAN_RECORDED_DIR`` (if set), then recorded/."""
  local = os.environ.get(BASELINE_VARIABLE, '').strip()
  return ([local] if local else []) + [REPOSITORY_DIR]


def find(model_name, variant, kinds=None):
  """The recording of (model, variant) for the first of ``kinds`` (default ``device_kinds()``)
  that has one, searching ``baseline_dirs()`` for each; None when none has."""
  kinds = device_kinds() if kinds is None else [kinds] if isinstance(kinds, str) else kinds
  for kind in kinds:
    for directory in baseline_dirs():
      path = os.path.join(directory, file_name(model_name, variant, kind))
      if os.path.isfile(path):
        return path
  return None


def record_all(out_dir, log=print):
  """Record every configuration of recorded/ on this machine into ``out_dir``; the paths."""
  written = []
  for (model_name, variant), known in sorted(configurations().items()):
    recording = record(model_name, known['overrides'], known['steps'], variant,
                       known['command'], rtol=known['rtol'])
    path = os.path.join(out_dir, file_name(model_name, variant, recording['device_kind']))
    write(recording, path)
    log(f'wrote {path}: {known["steps"]} steps of {", ".join(recording["losses"])}')
    written.append(path)
  return written


def run_losses(model_name, overrides, steps):
  """Train ``steps`` iterations from scratch in a temporary run dir; return {name: [values]}."""
  model_cls = registry.get(model_name)
  with tempfile.TemporaryDirectory() as run_dir:
    settings = dict(overrides, **_QUIET, run_dir=run_dir, train_steps=steps,
                    save_every_steps=max(steps, 1))
    result = loop.train(model_cls, make_config(model_cls.Config, settings))
  names = list(result.losses[0][1])
  return {name: [float(values[name]) for _, values in result.losses] for name in names}


def absolute_tolerances(losses):
  """{name: atol}: ``ATOL_OF_LARGEST`` times each loss curve's largest magnitude."""
  return {name: ATOL_OF_LARGEST * float(np.max(np.abs(values)))
          for name, values in losses.items()}


def record(model_name, overrides, steps, variant, command, rtol=DEFAULT_RTOL):
  losses = run_losses(model_name, overrides, steps)
  return {
      'model': model_name, 'variant': variant, 'overrides': overrides, 'steps': steps,
      'seed': overrides.get('seed', make_config(registry.get(model_name).Config, {}).seed),
      'device_kind': device_kind(), 'tensorflow': tf.__version__,
      'machine': platform.machine(), 'python': platform.python_version(),
      'recorded_at': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
      'command': command, 'rtol': rtol, 'atol': absolute_tolerances(losses),
      'losses': losses}


def default_path(model_name, variant):
  return os.path.join('recorded', file_name(model_name, variant, device_kind()))


def write(recording, path):
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  with open(path, 'w') as handle:
    json.dump(recording, handle, indent=1)
    handle.write('\n')


def load(path):
  with open(path) as handle:
    return json.load(handle)


def replay(recording, **changed):
  """Re-run a recording's configuration (optionally with ``changed`` settings) on this machine."""
  overrides = dict(recording['overrides'], **changed)
  return run_losses(recording['model'], overrides, recording['steps'])


def compare(expected, actual, rtol, atol):
  """List of mismatch descriptions (empty when every value is within ``atol + rtol * |value|``).

  ``atol`` is one number or {loss name: number} (a recorded file's ``atol``).
  """
  if sorted(expected) != sorted(actual):
    return [f'loss names differ: recorded {sorted(expected)}, now {sorted(actual)}']
  problems = []
  for name, want in expected.items():
    want, got = np.asarray(want), np.asarray(actual[name])
    if want.shape != got.shape:
      problems.append(f'{name}: {len(want)} recorded steps, {len(got)} now')
      continue
    floor = atol[name] if isinstance(atol, dict) else atol
    tolerance = floor + rtol * np.abs(want)
    bad = np.flatnonzero(~(np.abs(got - want) <= tolerance))
    if bad.size:
      step = int(bad[0])
      problems.append(f'{name}: step {step + 1} recorded {want[step]!r}, now {got[step]!r} '
                      f'(tolerance {tolerance[step]:.3g}; {bad.size} of {want.size} steps differ)')
  return problems


# -- how far CPU arithmetic alone moves a recording: the spread between oneDNN instruction sets ---
ISA_CAPS = ('native', 'AVX2', 'AVX')   # oneDNN's ONEDNN_MAX_CPU_ISA values (native: unset)
SPREAD_FLOOR = 1e-7                      # relative: below float32's resolution the spread is 0


def replay_all(path):
  """Replay every configuration of recorded/ here; write {model-variant: {loss: [values]}}."""
  losses = {f'{m}-{v}': replay(r) for (m, v), r in sorted(configurations().items())}
  with open(path, 'w') as handle:
    json.dump(losses, handle)


def relative_spread(runs):
  """Per loss, per step: the largest relative difference between any two of ``runs`` (each
  {loss: [values]}), floored at ``SPREAD_FLOOR``."""
  spread = {}
  for name in runs[0]:
    values = np.array([run[name] for run in runs], dtype=np.float64)
    scale = np.maximum(np.max(np.abs(values), axis=0), np.finfo(np.float32).tiny)
    spread[name] = np.maximum((values.max(axis=0) - values.min(axis=0)) / scale,
                              SPREAD_FLOOR).tolist()
  return spread


def measure_spread(out_path, command, log=print):
  """Replay every configuration once per oneDNN ISA cap (each in a fresh process: the cap is read
  when oneDNN starts) and write each configuration's relative spread between them: what CPU
  arithmetic alone does to a recording, the yardstick of a comparison across devices."""
  runs = {}
  with tempfile.TemporaryDirectory() as scratch:
    for cap in ISA_CAPS:
      env = dict(os.environ)
      env.pop('ONEDNN_MAX_CPU_ISA', None)
      if cap != 'native':
        env['ONEDNN_MAX_CPU_ISA'] = cap
      path = os.path.join(scratch, f'{cap}.json')
      log(f'replaying every configuration with oneDNN capped at {cap}')
      done = subprocess.run(module_command('graphgan.engine.tools.recorded', path), env=env,
                            cwd=os.path.dirname(REPOSITORY_DIR), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, check=False)
      if done.returncode:
        last = (done.stderr.strip().splitlines() or ['no output'])[-1]
        raise UserError(f'the replay with oneDNN capped at {cap} failed: {last}')
      runs[cap] = load(path)
  result = {'device_kind': device_kind(), 'tensorflow': tf.__version__, 'caps': list(ISA_CAPS),
            'command': command,
            'recorded_at': datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec='seconds'),
            'spread': {key: relative_spread([runs[cap][key] for cap in ISA_CAPS])
                       for key in runs[ISA_CAPS[0]]}}
  write(result, out_path)
  return result


if __name__ == '__main__':
  replay_all(sys.argv[1])
