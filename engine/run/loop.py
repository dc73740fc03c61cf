"""The training loop every model shares: ``train()`` and ``TrainLoop``.

``train(model_cls, config)``: one graph, seeded; the model builds every op; the engine adds its
checkpointing and a finiteness check, then finalizes the graph before the first step. The session
is shared with Keras (``K.set_session``). The run directory (``run/rundir.py``) is locked and
checked before anything in it changes; resuming restores the newest complete checkpoint.

Each iteration, in this order: ``model.iteration``; the losses' finiteness; the ``losses.csv``
row; progress line, summaries, samples, HDF5 exports; the ``metrics.jsonl`` row at evaluation
steps; at checkpoint steps the logs are flushed and fsynced, then the checkpoint is written and
committed (``run/checkpoint.py``). A kill at any instant therefore loses nothing that the next run
does not redo bit for bit: it resumes from the newest committed checkpoint and cuts the logs back
to that step. SIGINT (Ctrl-C) or SIGTERM during training is honoured after the running iteration:
that step is checkpointed and the run stops with one line (``errors.Stopped``); a second one stops
at once (the newest checkpoint stays what it was).
"""
import dataclasses
import math
import os
import signal
import time

from absl import logging

from graphgan.engine import files
from graphgan.engine.compat import tf, tf1
from graphgan.engine.config import as_flag_lines, fixed_on_resume
from graphgan.engine.data import fingerprint as data_fingerprint
from graphgan.engine.errors import STOPPED_BY_SIGNAL, NonFiniteError, Stopped, UserError
from graphgan.engine.graph import scopes
from graphgan.engine.run import checkpoint as ckpt
from graphgan.engine.run import exports, faults, hparams, images, rundir
from graphgan.engine.run.logs import NoLog
from graphgan.engine.run.progress import Progress, crossed, format_values
from graphgan.engine.run.session import Session, run_dir_of
from graphgan.engine.run.signals import StopRequests


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
  restored: str = ''                                  # the checkpoint this call resumed from


def train(model_cls, config, max_steps=None):
  """Train ``model_cls`` under ``config`` until ``config.train_steps`` (or ``max_steps`` more)."""
  run = rundir.RunDirectory(run_dir_of(model_cls, config))
  run.check_location()
  if os.path.isdir(run.path):
    with run.locked():          # a second process is refused before it builds anything
      pass
  started = time.perf_counter()
  logging.info('Building the %s graph and its data...', model_cls.name)
  session = Session(model_cls, config)
  try:
    data_print = data_fingerprint.fingerprint(session.data)
    with run.locked():
      lines = as_flag_lines(model_cls.name, config)
      missing = run.check_contents(model_cls.name, lines, fixed_on_resume(type(config)))
      _check_data(run, data_print, config)
      with session.graph.as_default():
        checkpoints = ckpt.CheckpointManager(run.path, config.keep_checkpoints,
                                             legacy_keys=scopes.unscoped_build(
                                                 model_cls, config, session.data))
      if checkpoints.has_checkpoints() and not config.resume:
        raise UserError(f'{run.flag} already holds checkpoints; pass --resume to continue or '
                        'choose another --run_dir (nothing was overwritten)')
      restored = session.prepare(restore=lambda sess: checkpoints.restore_newest(
          sess, lambda state: session.data.check_state(state['data']),
          lambda s: _check_restored(session, s)))
      step = restored.step if restored else 0
      logging.info('Graph built and finalized in %.1f s (%d ops)', time.perf_counter() - started,
                   len(session.graph.get_operations()))
      cuts = run.check_logs(step)
      # Every check passed: from here on the run directory changes.
      rundir.warn_missing_flags(run, missing)
      try:
        run.begin(lines, cuts)
        run.record_data(data_print)
        checkpoints.recover(restored.skipped if restored else ())
      except OSError as error:
        raise UserError(f'{run.flag}: {files.os_error_message(error, error.filename)}') \
            from None
      with session.graph.as_default():
        return TrainLoop(session, checkpoints, run, restored, max_steps).run()
  finally:
    session.close()


def _check_data(run, now, config):
  """UserError when the data set is not the one the run started on (its ``data.json``)."""
  recorded = run.recorded_data()
  if recorded is None or now is None:
    return
  changed = data_fingerprint.differences(recorded, now)
  if not changed:
    return
  source = f'--data_path={config.data_path}' if config.data_path else f'--data={config.data}'
  if config.allow_changed_data:
    logging.warning('%s: the data set changed since %s started (%s); continuing on it as '
                    '--allow_changed_data asks', source, run.path, '; '.join(changed))
    return
  raise UserError(f'{source}: the data set changed since this run started ({"; ".join(changed)}'
                  f'; {run.join(rundir.DATA)}); resuming would continue on other data — restore '
                  'it, choose another --run_dir, or pass --allow_changed_data')
def _check_restored(session, sess):
  bad = session.finite.non_finite(sess)
  if bad:
    raise ValueError(f'holds non-finite values in {len(bad)} variable(s), e.g. {bad[0]}')


class TrainLoop:
  """The per-iteration schedule: step, log, summarize, sample, export, evaluate, checkpoint.

  ``engine/cluster/train.py`` subclasses it: the step is then the cluster's shared global step
  (``_advance``), and only the chief (``is_chief``) writes anything.
  """

  is_chief = True

  def __init__(self, session, checkpoints, run, restored, max_steps):
    self.session, self.checkpoints, self.run_dir = session, checkpoints, run
    self.model, self.data, self.config = session.model, session.data, session.config
    self.step = 0
    self.last_checkpoint = None          # (step, path) of the newest committed checkpoint
    if restored:
      self.data.set_state(restored.state['data'])
      self.step = restored.step
      self.last_checkpoint = (restored.step, restored.path)
      logging.info('Resumed %s at step %d (epoch %d) from %s.', run.path, self.step,
                   self.data.completed_epochs, os.path.basename(restored.path))
    self.exported_epoch = self.data.completed_epochs
    end = self.config.train_steps
    self.end = min(end, self.step + max_steps) if max_steps else end
    self.writer = None
    self.loss_log = self.metrics_log = NoLog()
    if self.is_chief:
      if self.config.summary_every_steps:
        self.writer = tf1.summary.FileWriter(run.path, graph=None)
        if self.step:     # TensorBoard drops earlier events from this step on: the killed
          self.writer.add_session_log(     # process's events after checkpoint self.step
              tf1.SessionLog(status=tf1.SessionLog.START), self.step + 1)
        hparams.write_session_start(self.writer, session.model.name, self.config, run.path)
      self.loss_log, self.metrics_log = rundir.open_logs(run)

  def run(self):
    result = TrainResult(self.run_dir.path, self.step + 1, self.step,
                         restored=self.last_checkpoint[1] if self.last_checkpoint else '')
    try:
      self._train(result)
    except OSError as error:
      what = files.error_filename(error) or self.run_dir.path
      raise UserError(f'{files.os_error_message(error, what)}; stopped at step {self.step} — '
                      f'{self._last_good()}') from None
    except tf.errors.OpError as error:
      if 'No space left' not in str(error) and 'Read-only' not in str(error):
        raise
      cause = next((line.strip() for line in str(error).splitlines()
                    if 'No space left' in line or 'Read-only' in line), '')
      raise UserError(f'cannot write a checkpoint in {self.run_dir.path}: '
                      f'{" ".join(cause.split())[:200]}; stopped at step {self.step} — '
                      f'{self._last_good()}') from None
    finally:
      self.loss_log.close()
      self.metrics_log.close()
      if self.writer:
        try:
          self.writer.close()
        except (OSError, tf.errors.OpError):
          pass       # events after the last checkpoint; the first error is the one reported
    result.last_step = self.step
    return result

  def _train(self, result):
    with StopRequests() as stop:
      self._train_until_stopped(result, stop)

  def _train_until_stopped(self, result, stop):
    with Progress(self.step, self.end, self.config.log_every_steps) as progress:
      self._iterations(result, stop, progress)

  def _iterations(self, result, stop, progress):
    sess, model = self.session.sess, self.model
    if self.step < self.end:
      logging.info('Training %s: steps %d..%d in %s', model.name, self.step + 1, self.end,
                   self.run_dir.path)
    while self.step < self.end:
      progress.doing = f"running step {self.step + 1}/{self.end}"
      if stop.signum is not None:
        self._stop(result, stop.signum)
      started = time.perf_counter()
      previous = self.step
      self.data.begin_iteration(self.step)
      losses = model.iteration(sess, self.step)
      self._advance()
      faults.point('step:done')
      self._check_finite_losses(losses)
      result.losses.append((self.step, losses))
      self.loss_log.append(self.step, losses)
      faults.point('log:row')
      self._after_step(losses, progress, previous)
      last = self.step >= self.end
      if self.is_chief and (crossed(previous, self.step, self.config.eval_every_steps) or last):
        progress.doing = f'evaluating the model at step {self.step}'
        result.report = self._evaluate()
      if self.is_chief and (crossed(previous, self.step, self.config.save_every_steps) or last):
        progress.doing = f'writing the checkpoint of step {self.step}'
        result.checkpoint = self._save()
      result.step_seconds.append(time.perf_counter() - started)
    self._finish(result)
    if self.is_chief and not result.report:
      result.report = model.final_report(sess)    # nothing left to train: report only
    if result.report:
      logging.info('Final report: %s', format_values(result.report))
    if self.step >= self.end and not result.checkpoint and self._step_unsaved():
      result.checkpoint = self._save()
    if self.writer and self.step >= self.config.train_steps:
      hparams.write_session_end(self.writer, self.step)

  def _stop(self, result, signum):
    """A stop request between iterations: checkpoint this step (chief), then stop in one line."""
    if self._step_unsaved():
      result.checkpoint = self._save()
    where = (f'checkpoint {self.last_checkpoint[1]}' if self.last_checkpoint else
             'no checkpoint yet')
    raise Stopped(signum, f'{STOPPED_BY_SIGNAL} {signum} ({signal.Signals(signum).name}) at step '
                          f'{self.step} ({where}); the same command continues from there')

  def _step_unsaved(self):
    """This process is the chief, has trained, and no checkpoint holds this step yet."""
    return (self.is_chief and self.step > 0 and
            (not self.last_checkpoint or self.last_checkpoint[0] != self.step))

  def _advance(self):
    """Count the iteration just run (a cluster reads the shared global step instead)."""
    self.step += 1

  def _finish(self, result):
    """After the last iteration, before the final report (a cluster's chief waits for workers)."""

  def _after_step(self, losses, progress, previous):
    config, step = self.config, self.step
    if progress.due(previous, step):
      logging.info('%s', progress.line(step, losses, self.data.completed_epochs))
    if not self.is_chief:
      return
    if config.summary_every_steps and (crossed(previous, step, config.summary_every_steps) or
                                       step >= self.end):    # final losses: HParams metrics
      self._scalars(losses, step)
      logged = self.model.logged_tensors()
      if logged:
        self._scalars(self.session.sess.run(logged), step)
    if (config.sample_every_steps and crossed(previous, step, config.sample_every_steps)) or \
        step >= self.end:
      self._samples(step)
    epochs = self.data.completed_epochs
    if config.export_every_epochs and epochs >= self.exported_epoch + config.export_every_epochs:
      self._export(epochs)
    if step >= self.end and config.export_every_epochs:
      self._export_final()

  def _evaluate(self):
    """The model's report metrics at this step: a row of metrics.jsonl and eval/ scalars."""
    report = self.model.final_report(self.session.sess)
    if report:
      self.metrics_log.append(self.step, report)
      self._scalars(report, self.step, prefix='eval/')
    return report

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
    path = self.run_dir.join('samples', f'samples_step{step:07d}.png')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    files.atomic_write(path, data)
    faults.point('samples:written')
    if self.writer:
      image = tf1.Summary.Image(height=shape[0], width=shape[1], colorspace=shape[2],
                                encoded_image_string=data)
      self.writer.add_summary(tf1.Summary(value=[tf1.Summary.Value(tag='samples', image=image)]),
                              step)
      self.writer.flush()

  def _export(self, epoch):
    """``{prefix}_{epoch}epoch.h5`` of every exported network (the documented per-epoch save)."""
    self.exported_epoch = epoch
    networks = self.model.keras_exports()
    for prefix, keras_model in networks.items():
      path = self.run_dir.join('weights', f'{prefix}_{epoch}epoch.h5')
      exports.save_keras_weights(keras_model, path)
      faults.point('export:written')
      if self.config.keep_exports:
        exports.remove_old_exports(self.run_dir.join('weights'), prefix, self.config.keep_exports)
    if networks:
      logging.info('Epoch %d: exported HDF5 weights to %s', epoch, self.run_dir.join('weights'))

  def _export_final(self):
    """``{prefix}_final.h5``: the weights at the end of training (mid-epoch, usually)."""
    for prefix, keras_model in self.model.keras_exports().items():
      exports.save_keras_weights(keras_model, self.run_dir.join('weights', f'{prefix}_final.h5'))

  def _save(self):
    """Check every variable is finite, flush the logs, then write and commit checkpoint N."""
    bad = self.session.finite.non_finite(self._checkpoint_session())
    if bad:
      raise NonFiniteError(
          f'step {self.step}: {len(bad)} variable(s) hold NaN or Inf after this step\'s update '
          f'(e.g. {", ".join(bad[:3])}); stopped without writing a checkpoint — '
          f'{self._last_good()}')
    self.loss_log.flush(sync=True)
    self.metrics_log.flush(sync=True)
    state = {'step': self.step, 'data': self.data.state()}
    path = self.checkpoints.save(self._checkpoint_session(), self.step, state)
    self.last_checkpoint = (self.step, path)
    return path

  def _checkpoint_session(self):
    """The session the Saver runs in (a cluster chief's raw session, not the monitored one)."""
    return self.session.sess

  def _check_finite_losses(self, losses):
    bad = {name: value for name, value in losses.items() if not math.isfinite(value)}
    if bad:
      raise NonFiniteError(f'step {self.step}: non-finite loss {format_values(bad)}; stopped — '
                           f'{self._last_good()}')

  def _last_good(self):
    if self.last_checkpoint:
      step, path = self.last_checkpoint
      return f'the last good checkpoint is step {step} ({path}), intact; re-running resumes there'
    return 'no checkpoint was written yet (re-running starts from step 0)'
