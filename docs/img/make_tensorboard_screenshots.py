"""Makes docs/img/tensorboard_{scalars,images,hparams}.png with TensorBoard and headless Chromium.

python docs/img/make_tensorboard_screenshots.py [RUN_DIR]      (from the repository root)

Scalars and images: README's quick run, ``bin/train --flagfile=flags/wgan_quick.cfg
--run_dir=RUN_DIR`` (default runs/wgan_quick; a finished run is left as it is). HParams: the
``smoke`` campaign (2 seeds, ``bin/reproduce --experiment=smoke`` into runs/experiments/smoke).
Each is served with ``tensorboard`` on 127.0.0.1 and taken with Chromium (Debian package
``chromium``). Not a test: it needs Chromium and a few minutes of CPU.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, 'docs', 'img')
RUN_PAGES = {'scalars': '#scalars', 'images': '#images'}
CAMPAIGN_PAGES = {'hparams': '#hparams'}
WINDOW = '1280,1300'
# Chromium as root on a machine without a network (docs: /work/.library/env/machines/python.md).
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                  '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--hide-scrollbars']


def train(run_dir):
  subprocess.run([sys.executable, os.path.join(ROOT, 'bin', 'train'),
                  '--flagfile=flags/wgan_quick.cfg', f'--run_dir={run_dir}'], cwd=ROOT,
                 check=True)


def train_campaign(scratch):
  """runs/experiments/smoke: the smoke campaign's 2 runs (its results go to ``scratch``)."""
  subprocess.run([sys.executable, os.path.join(ROOT, 'bin', 'reproduce'), '--experiment=smoke',
                  f'--results_dir={scratch}/results', f'--docs_dir={scratch}/docs',
                  '--processes=2'], cwd=ROOT, check=True)
  return os.path.join(ROOT, 'runs', 'experiments', 'smoke')


def serve(logdir_spec, log):
  """``tensorboard`` on 127.0.0.1 and a free port: (process, URL)."""
  process = subprocess.Popen(
      [sys.executable, '-m', 'tensorboard.main', f'--logdir_spec={logdir_spec}', '--host=127.0.0.1',
       '--port=0'], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
  deadline = time.monotonic() + 120
  while time.monotonic() < deadline:
    log.flush()
    with open(log.name) as handle:
      found = re.search(r'at (http://127\.0\.0\.1:\d+)/', handle.read())
    if found:
      return process, found.group(1)
    if process.poll() is not None:
      break
    time.sleep(0.5)
  raise SystemExit(f'tensorboard did not start; see {log.name}')


def wait_for_runs(url, seconds=60):
  deadline = time.monotonic() + seconds
  while time.monotonic() < deadline:
    with urllib.request.urlopen(f'{url}/data/runs', timeout=10) as response:
      if json.loads(response.read()):
        return
    time.sleep(1)
  raise SystemExit('tensorboard lists no runs')


def screenshot(chromium, url, path, profile):
  subprocess.run([chromium, *CHROMIUM_FLAGS, f'--user-data-dir={profile}',
                  f'--window-size={WINDOW}', '--virtual-time-budget=20000',
                  f'--screenshot={path}', url], check=True, capture_output=True, timeout=180)


def take(chromium, logdir_spec, pages, scratch):
  """Serve ``logdir_spec`` and take ``pages`` ({name: URL fragment}) into docs/img."""
  with open(os.path.join(scratch, 'tensorboard.log'), 'w') as log:
    process, url = serve(logdir_spec, log)
    try:
      wait_for_runs(url)
      for name, fragment in pages.items():
        path = os.path.join(OUT_DIR, f'tensorboard_{name}.png')
        screenshot(chromium, f'{url}/{fragment}', path, os.path.join(scratch, f'chromium_{name}'))
        print(f'wrote {os.path.relpath(path, ROOT)} ({url}/{fragment})')
    finally:
      os.killpg(process.pid, signal.SIGTERM)
      process.wait(timeout=30)


def main(run_dir='runs/wgan_quick'):
  chromium = shutil.which('chromium') or shutil.which('chromium-browser')
  if not chromium:
    raise SystemExit('needs Chromium: apt-get install chromium')
  run_dir = os.path.abspath(os.path.join(ROOT, run_dir))
  train(run_dir)
  with tempfile.TemporaryDirectory() as scratch:
    take(chromium, f'{os.path.basename(run_dir)}:{run_dir}', RUN_PAGES, scratch)  # run's name
    take(chromium, train_campaign(scratch), CAMPAIGN_PAGES, scratch)


if __name__ == '__main__':
  main(*sys.argv[1:2])
