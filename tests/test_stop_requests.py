"""Stop requests while training (engine/run/signals.py ``StopRequests``): a second SIGINT stops the
process at once even when both arrive during one long ``sess.run`` (where Python's own handler
would see them as one, after the step)."""
import os
import signal
import subprocess
import sys
import textwrap
import time

from conftest import python_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LONG_STEP = textwrap.dedent('''
    import time
    import graphgan.engine
    from graphgan.engine.compat import tf, tf1
    from graphgan.engine.run.signals import StopRequests
    x = tf1.placeholder(tf.float32, (800, 800))
    import sys
    steps = int(sys.argv[1])
    _, y = tf.while_loop(lambda i, a: i < steps, lambda i, a: (i + 1, tf.tanh(a @ a) / 800.0),
                         (0, x))
    with tf1.Session() as sess, StopRequests() as stop:
        print('step', flush=True)
        start = time.time()
        sess.run(y, {x: [[0.5] * 800] * 800})
        print(f'step ended after {time.time() - start:.1f} s, stop request {stop.signum}',
              flush=True)
''')


def _long_step(matmuls):
  """A process whose one ``sess.run`` is ``matmuls`` 800x800 matrix products (~1 GFLOP each)."""
  return subprocess.Popen(python_command(LONG_STEP, str(matmuls)), cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_sigints_during_one_long_step_stop_at_once():
  process = _long_step(4000)       # minutes: cut short by the second signal
  assert process.stdout.readline() == 'step\n'
  time.sleep(1.0)
  process.send_signal(signal.SIGINT)
  time.sleep(1.0)
  sent = time.time()
  process.send_signal(signal.SIGINT)
  out, err = process.communicate(timeout=None)
  stopped_after = time.time() - sent
  assert process.returncode == 130, (out, err)
  assert 'step ended' not in out                  # the step was cut short
  assert stopped_after < 5.0, stopped_after        # the grace period, not the step's length
  lines = [line for line in err.splitlines() if 'interrupted' in line]
  assert len(lines) == 1 and 'a second stop request during one long step' in lines[0], err


def test_one_sigint_waits_for_the_step():
  process = _long_step(300)
  assert process.stdout.readline() == 'step\n'
  time.sleep(0.3)
  process.send_signal(signal.SIGINT)
  out, err = process.communicate(timeout=None)
  assert process.returncode == 0, err
  assert 'stop request 2' in out                   # remembered for after the step
  assert 'SIGINT: stopping after this iteration' in err
