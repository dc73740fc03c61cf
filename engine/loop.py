"""The training loop every model shares.

``train(model_cls, config)``: one graph, seeded; the model builds every op; the engine adds its
checkpointing, then finalizes the graph before the first step. The session is shared with Keras
(``K.set_session``). Each iteration calls ``model.iteration``; around it the loop logs progress,
writes TensorBoard scalars and sample grids, exports Keras HDF5 weights at epoch ends and saves
checkpoints (variables + data position) — resuming from the newest one restarts the same sequence.
"""
import dataclasses
import json
import math
import os
import time

from absl import logging

from engine import checkpoint as ckpt
from engine import images
from engine import towers
from engine.compat import tf, tf1, keras, K
from engine.data import make_source
from engine.errors import NonFiniteLossError, UserError
from engine.train_ops import check_update_ops_used


@dataclasses.dataclass
class TrainResult:
  """What a run did: steps run in this process, their losses, where things were written."""
  run_dir: str
  first_step: int                                     # the first iteration run by this call
  last_step: int
  losses: list = dataclasses.field(default_factory=list)   # [(step, {name: value})]
  checkpoint: str = ''
  report: dict = dataclasses.field(default_factory=dict)
  step_seconds: list = dataclasses.field(default_factory=list)   # wall time of each iteration


def run_dir_of(model_cls, config):
  return config.run_dir or os.path.join('runs', model_cls.name)


def session_config():
  config = tf1.ConfigProto(allow_soft_placement=True)
  config.gpu_options.allow_growth = True
  return config


class Session:
  """A built, finalized graph with its model, session and data — shared by train, bench, tests."""

  def __init__(self, model_cls, config, target='', device=None, make_session=True):
    """``device``: a device function for every op (a cluster's ``replica_device_setter``);
    ``make_session=False``: the caller creates the session (a cluster's session creator)."""
    towers.check_towers(model_cls, config)
    self.config = config
    self.graph = tf.Graph()
    self.sess = None
    with self.graph.as_default(), tf1.device(device):
      keras.utils.set_random_seed(config.seed)
      if config.deterministic:
        tf.config.experimental.enable_op_determinism()
      data_name = model_cls.default_data if config.data == 'embedded' else config.data
      self.data = make_source(data_name, config, config.seed)
      self.model = model_cls(config, self.data)
      self.model.build()
      _check_example_shape(self.model, self.data, data_name)
      check_update_ops_used(self.model.networks(),
                            allow_unused=self.model.allow_unused_update_ops())
      self.init_op = tf1.global_variables_initializer()
      self.local_init_op = tf1.local_variables_initializer()   # not in checkpoints
      if make_session:
        self.sess = tf1.Session(target, graph=self.graph,
                               config=towers.session_config(config.num_gpus, session_config()))
        K.set_session(self.sess)

  def prepare(self, restore=None):
    """Initialize (or ``restore()``), let Keras create its lazy ops, then finalize the graph."""
    with self.graph.as_default():
      if restore is None:
        self.sess.run(self.init_op)
        state = None
      else:
        state = restore(self.sess)
      self.sess.run(self.local_init_op)
      K.get_session()                       # Keras' one-time variable-initialisation ops
      for keras_model in self.model.keras_exports().values():
        keras_model.set_weights(keras_model.get_weights())  # Keras' assign placeholders
      self.model.before_finalize(self.sess)
    self.graph.finalize()
    return state

  def close(self):
    if self.sess is not None:
      self.sess.close()
    K.clear_session()


def _check_example_shape(model, data, data_name):
  expected = getattr(model, 'example_shape', None)
  if expected is not None and tuple(data.example_shape) != tuple(expected):
    raise UserError(f'--data={data_name}: examples are shaped {tuple(data.example_shape)}, '
                    f'model {model.name} expects {tuple(expected)}')


def train(model_cls, config, max_steps=None):
  """Train ``model_cls`` under ``config`` until ``config.train_steps`` (or ``max_steps`` more)."""
  run_dir = run_dir_of(model_cls, config)
  latest = ckpt.latest_checkpoint(run_dir)
  if latest and not config.resume:
    raise UserError(f'--run_dir={run_dir} already holds checkpoints; pass --resume to continue '
                    'or choose another --run_dir (nothing was overwritten)')
  session = Session(model_cls, config)
  try:
    with session.graph.as_default():
      saver = ckpt.CheckpointManager(run_dir, config.keep_checkpoints)
    state = session.prepare(
        restore=(lambda sess: saver.restore(sess, latest)) if latest else None)
    with session.graph.as_default():
      return _Loop(session, saver, run_dir, state, max_steps).run()
  finally:
    session.close()


class _Loop:
  """The per-iteration schedule: step, log, summarize, sample, export, checkpoint.

  ``engine/cluster_train.py`` subclasses it: the step is then the cluster's shared global step
  (``_advance``), and only the chief (``is_chief``) writes anything.
  """

  is_chief = True

  def __init__(self, session, saver, run_dir, state, max_steps):
    self.session, self.saver, self.run_dir = session, saver, run_dir
    self.model, self.data, self.config = session.model, session.data, session.config
    self.step = 0
    if state:
      self.data.set_state(state['data'])
      self.step = int(state['step'])
      logging.info('Resumed %s at step %d (epoch %d).', run_dir, self.step, self.data.epoch)
    self.exported_epoch = self.data.epoch
    end = self.config.train_steps
    self.end = min(end, self.step + max_steps) if max_steps else end
    self.writer = tf1.summary.FileWriter(run_dir, graph=None) \
        if self.config.summary_every_steps and self.is_chief else None
    self.loss_log = _LossLog(os.path.join(run_dir, 'losses.csv'), self.step) \
        if self.is_chief else _NoLossLog()
    self.metrics_log = _MetricsLog(os.path.join(run_dir, 'metrics.jsonl'), self.step) \
        if self.is_chief else _NoLossLog()

  def run(self):
    result = TrainResult(self.run_dir, self.step + 1, self.step)
    sess, model = self.session.sess, self.model
    progress = _Progress(self.step, self.end)
    last_saved = self.step
    try:
      while self.step < self.end:
        started = time.perf_counter()
        previous = self.step
        losses = model.iteration(sess, self.step)
        self._advance()
        _check_finite(losses, self.step, last_saved, self.run_dir)
        result.losses.append((self.step, losses))
        self.loss_log.append(self.step, losses)
        self._after_step(losses, progress, previous)
        if self.is_chief and (_crossed(previous, self.step, self.config.eval_every_steps) or
                              self.step >= self.end):
          result.report = self._evaluate()
        if self.is_chief and (_crossed(previous, self.step, self.config.save_every_steps) or
                              self.step >= self.end):
          result.checkpoint = self._save()
          last_saved = self.step
        result.step_seconds.append(time.perf_counter() - started)
      self._finish(result)
      if self.is_chief and not result.report:
        result.report = model.final_report(sess)    # nothing left to train: report only
      if result.report:
        logging.info('Final report: %s', _format(result.report))
      if self.is_chief and self.step >= self.end and not result.checkpoint and self.step > 0:
        result.checkpoint = self._save()
    finally:
      self.loss_log.close()
      self.metrics_log.close()
      if self.writer:
        self.writer.close()
    result.last_step = self.step
    return result

  def _evaluate(self):
    """The model's report metrics at this step: a row of metrics.jsonl and eval/ scalars."""
    report = self.model.final_report(self.session.sess)
    if report:
      self.metrics_log.append(self.step, report)
      self._scalars(report, self.step, prefix='eval/')
    return report

  def _advance(self):
    """Count the iteration just run (a cluster reads the shared global step instead)."""
    self.step += 1

  def _finish(self, result):
    """After the last iteration, before the final report (a cluster's chief waits for workers)."""

  def _after_step(self, losses, progress, previous):
    config, step = self.config, self.step
    if _crossed(previous, step, config.log_every_steps) or step >= self.end:
      logging.info('%s', progress.line(step, losses, self.data.epoch))
    if not self.is_chief:
      return
    if config.summary_every_steps and _crossed(previous, step, config.summary_every_steps):
      self._scalars(losses, step)
    if (config.sample_every_steps and _crossed(previous, step, config.sample_every_steps)) or \
        step >= self.end:
      self._samples(step)
    if config.export_every_epochs and self.data.epoch >= self.exported_epoch + \
        config.export_every_epochs:
      self._export(self.data.epoch)

  def _scalars(self, values, step, prefix=''):
    if not self.writer:
      return
    summary = tf1.Summary(value=[tf1.Summary.Value(tag=prefix + name, simple_value=float(value))
                                 for name, value in values.items()])
    self.writer.add_summary(summary, step)

  def _samples(self, step):
    samples = self.model.sample(self.session.sess, 64)
    if not len(samples):
      return
    data, shape = images.sample_png(samples, self.model.sample_kind, f'step {step}')
    path = os.path.join(self.run_dir, 'samples', f'samples_step{step:07d}.png')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as handle:
      handle.write(data)
    if self.writer:
      image = tf1.Summary.Image(height=shape[0], width=shape[1], colorspace=shape[2],
                                encoded_image_string=data)
      self.writer.add_summary(tf1.Summary(value=[tf1.Summary.Value(tag='samples', image=image)]),
                              step)
      self.writer.flush()

  def _export(self, epoch):
    self.exported_epoch = epoch
    exports = self.model.keras_exports()
    for prefix, keras_model in exports.items():
      path = os.path.join(self.run_dir, 'weights', f'{prefix}_{epoch}epoch.h5')
      ckpt.save_keras_weights(keras_model, path)
    if exports:
      logging.info('Epoch %d: exported HDF5 weights to %s', epoch,
                   os.path.join(self.run_dir, 'weights'))

  def _save(self):
    state = {'step': self.step, 'data': self.data.state()}
    self.loss_log.flush()
    self.metrics_log.flush()
    return self.saver.save(self._checkpoint_session(), self.step, state)

  def _checkpoint_session(self):
    """The session the Saver runs in (a cluster chief's raw session, not the monitored one)."""
    return self.session.sess


def _crossed(previous, step, every):
  """True when a multiple of ``every`` lies in (previous, step] (a cluster's step may jump).

  ``every`` 0 means never.
  """
  return bool(every) and step // every > previous // every


def _check_finite(losses, step, last_saved, run_dir):
  bad = {name: value for name, value in losses.items() if not math.isfinite(value)}
  if bad:
    raise NonFiniteLossError(
        f'step {step}: non-finite loss {_format(bad)}; stopped — the last good checkpoint '
        f'(step {last_saved}) in {ckpt.checkpoint_dir(run_dir)} is intact')


def _format(values):
  return ' '.join(f'{name} {value:.6g}' for name, value in values.items())


class _Progress:
  """A progress line: step/total, losses, steps/s over the last interval, ETA."""

  def __init__(self, start, end):
    self.end = end
    self.last_step, self.last_time = start, time.perf_counter()

  def line(self, step, losses, epoch):
    now = time.perf_counter()
    rate = (step - self.last_step) / max(now - self.last_time, 1e-9)
    self.last_step, self.last_time = step, now
    eta = (self.end - step) / rate if rate > 0 else float('inf')
    return (f'step {step}/{self.end} epoch {epoch} | {_format(losses)} | '
            f'{rate:.2f} steps/s | ETA {_duration(eta)}')


def _duration(seconds):
  if not math.isfinite(seconds):
    return '?'
  minutes, seconds = divmod(int(seconds), 60)
  hours, minutes = divmod(minutes, 60)
  return f'{hours}h{minutes:02d}m{seconds:02d}s' if hours else f'{minutes}m{seconds:02d}s'


class _LossLog:
  """``losses.csv``: one row per step; on resume, rows after the restored step are dropped."""

  def __init__(self, path, resumed_step):
    self.path = path
    rows = []
    if os.path.exists(path):
      with open(path) as handle:
        rows = handle.read().splitlines()
    self.header = rows[0] if rows else None
    kept = [r for r in rows[1:] if int(r.split(',', 1)[0]) <= resumed_step]
    self.handle = open(path, 'w')
    if self.header:
      self.handle.write('\n'.join([self.header] + kept) + '\n')

  def append(self, step, losses):
    if self.header is None:
      self.header = ','.join(['step'] + list(losses))
      self.handle.write(self.header + '\n')
    if ','.join(['step'] + list(losses)) != self.header:
      raise ValueError(f'loss names changed at step {step}: {list(losses)} vs {self.header}')
    self.handle.write(','.join([str(step)] + [repr(float(v)) for v in losses.values()]) + '\n')

  def flush(self):
    self.handle.flush()

  def close(self):
    self.handle.close()


class _MetricsLog:
  """``metrics.jsonl``: one JSON object per evaluation, ``{"step": N, name: value, ...}``.

  On resume, rows after the restored step are dropped (as in ``losses.csv``).
  """

  def __init__(self, path, resumed_step):
    self.path = path
    rows = []
    if os.path.exists(path):
      with open(path) as handle:
        rows = [line for line in handle.read().splitlines() if line.strip()]
    kept = [r for r in rows if json.loads(r)['step'] <= resumed_step]
    self.handle = open(path, 'w')
    for row in kept:
      self.handle.write(row + '\n')

  def append(self, step, metrics):
    row = dict(step=step, **{name: float(value) for name, value in metrics.items()})
    self.handle.write(json.dumps(row) + '\n')

  def flush(self):
    self.handle.flush()

  def close(self):
    self.handle.close()


class _NoLossLog:
  """A non-chief worker's loss log: it writes nothing."""

  def append(self, step, losses):
    pass

  def flush(self):
    pass

  def close(self):
    pass
