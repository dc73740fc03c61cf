"""``bin/device_report``: the evidence a machine can give about itself, in one command.

Made for a user with a GPU (none was lent to graphgan's development): the machine and its
TensorFlow build; every recorded configuration recorded here (``bin/record_losses --all``);
the GPU tests, the kernel and placement checks, the cross-device agreement and the recorded-loss
replays against that local baseline; and ``bin/bench --model=wgan``. Everything lands in
``--out`` (``report.md`` plus each step's full output), and the summary is printed.
"""
import datetime
import os
import platform
import subprocess
import sys

from graphgan.engine.compat import CHECKOUT, TF32, tf

ROOT = CHECKOUT   # the repository root
TESTS = ('tests/test_gpu.py', 'tests/test_gpu_kernels.py', 'tests/test_cross_device.py',
         'tests/test_recorded_losses.py')


def machine_lines():
  """What the report opens with: the machine, TensorFlow's build, the devices it sees."""
  from graphgan.engine.tools import recorded  # pylint: disable=import-outside-toplevel
  build = tf.sysconfig.get_build_info()
  lines = [f'- date: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}',
           f'- machine: {platform.machine()}, {_cpu_model()}, {os.cpu_count()} CPUs',
           f'- python {platform.python_version()}, tensorflow {tf.__version__} (CUDA '
           f'{build.get("cuda_version", "-")}, cuDNN {build.get("cudnn_version", "-")})',
           f'- graphgan device kind: {recorded.device_kind()}; TF32 '
           f'{"allowed" if TF32 else "off"}']
  gpus = tf.config.list_physical_devices('GPU')
  for gpu in gpus:
    details = tf.config.experimental.get_device_details(gpu)
    lines.append(f'- {gpu.name}: {details.get("device_name", "?")}, compute capability '
                 f'{details.get("compute_capability", "?")}')
  if not gpus:
    lines.append('- no GPU visible to TensorFlow: this is a CPU report')
  return lines


def _cpu_model():
  try:
    with open('/proc/cpuinfo') as handle:
      return next((line.split(':', 1)[1].strip() for line in handle
                   if line.startswith('model name')), '?')
  except OSError:
    return platform.processor() or '?'


def steps(out, bench_iterations):
  """(name, command, extra environment) of each step, in order."""
  baseline = os.path.join(out, 'recorded')
  return [
      ('record every configuration here', [sys.executable, 'bin/record_losses', '--all',
                                           f'--out={baseline}'], {}),
      ('GPU, kernel, cross-device and recorded-loss tests',
       [sys.executable, '-m', 'pytest', '-q', '-rs', '-p', 'no:randomly'] + list(TESTS),
       {'GRAPHGAN_RECORDED_DIR': baseline}),
      ('bench (documented widths)', [sys.executable, 'bin/bench', '--model=wgan',
                                     f'--bench_iterations={bench_iterations}',
                                     '--bench_rounds=2'], {}),
  ]


def run(out, bench_iterations=4, dry_run=False, log=print):
  """Run every step (or, ``dry_run``, list them); write ``out/report.md``; return its text."""
  os.makedirs(out, exist_ok=True)
  report = ['# graphgan device report', ''] + machine_lines() + ['']
  for number, (name, command, env) in enumerate(steps(out, bench_iterations), start=1):
    shown = ' '.join([f'{k}={v}' for k, v in env.items()] +
                     ['python' if c == sys.executable else c for c in command])
    log(f'[{number}/3] {name}: {shown}')
    report += [f'## {number}. {name}', '', f'`{shown}`', '']
    if dry_run:
      continue
    done = subprocess.run(command, cwd=ROOT, env=dict(os.environ, **env), capture_output=True,
                          text=True, check=False)
    output = done.stdout + done.stderr
    with open(os.path.join(out, f'step{number}.log'), 'w') as handle:
      handle.write(output)
    tail = [line for line in output.splitlines() if line.strip()][-12:]
    report += [f'exit code {done.returncode}; last lines (all of it: step{number}.log):', '',
               '```'] + tail + ['```', '']
  text = '\n'.join(report) + '\n'
  with open(os.path.join(out, 'report.md'), 'w') as handle:
    handle.write(text)
  return text
