"""``bin/evaluate``: a run's report metrics at any of its saved checkpoints.

bin/evaluate --run_dir=R [--checkpoints=newest|all|N[,N...]] [--metrics=frechet,kid,...]
             [--inception_weights=FILE [--inception_samples=50000]]

Reads ``R/flags.txt`` and ``R/checkpoints/``; writes nothing the training process owns: each
evaluation is a row of ``R/evaluations.jsonl`` (``{"step", "checkpoint", <metric>: value}``,
replaced when a step is evaluated again) and an ``eval/<metric>`` scalar in ``R/evaluate/``
(TensorBoard shows it as the run ``R/evaluate``). ``metrics.jsonl`` stays the training's: a resume
cuts it back to its checkpoint, which would drop rows written beside it. So it is safe beside a
running ``bin/train`` of the same run dir: checkpoints retired while it reads are skipped with a
line.

With ``--inception_weights`` (Keras InceptionV3 ImageNet weights without top; nothing is
downloaded) each image run's row adds ``inception_fid``, ``inception_kid`` and
``inception_kid_std`` on 2,048-d pool3 features of ``--inception_samples`` fixed-noise samples
against as many real images of the run's data set (``engine/evaluation/inception.py``: the resize
protocol and what the numbers compare with). Without it, one line says how to enable them.
"""
import fcntl
import json
import os

from absl import flags

from graphgan.engine import files
from graphgan.engine.cli.flags import FLAGS
from graphgan.engine.cli.main import run
from graphgan.engine.cli.sample import config_from_run_dir
from graphgan.engine.errors import UserError
from graphgan.engine.data.fingerprint import fingerprint
from graphgan.engine.evaluation import inception
from graphgan.engine.evaluation.classifier import default_cache_dir

EVALUATIONS = 'evaluations.jsonl'
EVENTS_DIR = 'evaluate'


def _steps(scan, choice):
  committed = scan.committed
  if not committed:
    raise UserError(f'--run_dir={FLAGS.run_dir}: no complete checkpoint to evaluate')
  if choice == 'newest':
    return committed[-1:]
  if choice == 'all':
    return committed
  try:
    wanted = [int(part) for part in choice.split(',')]
  except ValueError:
    raise UserError(f'--checkpoints={choice}: newest, all, or steps like 500,1000') from None
  missing = [step for step in wanted if step not in committed]
  if missing:
    raise UserError(f'--checkpoints={choice}: no complete checkpoint at step '
                    f'{", ".join(map(str, missing))} (there are: '
                    f'{", ".join(map(str, committed))})')
  return wanted


def _selected(report, names):
  if not names:
    return report
  unknown = [name for name in names if name not in report]
  if unknown:
    raise UserError(f'--metrics: {", ".join(unknown)} not in this model\'s report (it has '
                    f'{", ".join(report)})')
  return {name: report[name] for name in names}


def _merge_rows(path, rows):
  """Rows of ``path`` with ``rows`` replacing those of the same step; rewritten atomically under a
  lock (two evaluations of one run dir at once keep both)."""
  with open(path + '.lock', 'a') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    kept = {}
    if os.path.exists(path):
      with open(path, encoding='utf-8') as handle:
        for line in handle:
          if line.strip():
            row = json.loads(line)
            kept[row['step']] = row
    kept.update((row['step'], row) for row in rows)
    files.atomic_write(path, ''.join(json.dumps(kept[s]) + '\n' for s in sorted(kept)))


class _InceptionMetrics:
  """``inception.fid_kid`` of a model's samples against its data set's real images."""

  def __init__(self, session, weights, count):
    model = session.model
    if model.sample_kind != 'images':
      raise UserError(f'--inception_weights: model {model.name} draws 2-D points, not images '
                      '(its report has the mode metrics)')
    self.count, self.model = count, model
    self.features = inception.InceptionFeatures(weights)
    self.real = inception.real_features(self.features, session.data, count,
                                        fingerprint(session.data), default_cache_dir())

  def __call__(self, sess):
    try:
      return inception.fid_kid(self.real, self.features(self.model.sample(sess, self.count)))
    except ValueError as error:                # KID on a data set of fewer than 4 images
      raise UserError(f'--inception_weights: {error}') from None

  def close(self):
    self.features.close()


def _evaluate_main():
  # pylint: disable-next=import-outside-toplevel
  from graphgan.engine.compat import tf, tf1
  from graphgan.engine.graph import scopes  # pylint: disable=import-outside-toplevel
  from graphgan.engine.run import checkpoint, loop  # pylint: disable=import-outside-toplevel
  if not FLAGS.run_dir or not os.path.isfile(os.path.join(FLAGS.run_dir, 'flags.txt')):
    raise UserError(f'--run_dir={FLAGS.run_dir or ""}: not a run directory (no flags.txt)')
  model_cls, config = config_from_run_dir(FLAGS.run_dir)
  names = [name for name in FLAGS.metrics.split(',') if name]
  scan = checkpoint.Scan(checkpoint.checkpoint_dir(FLAGS.run_dir))
  steps = _steps(scan, FLAGS.checkpoints)
  if FLAGS.inception_weights:
    inception.check_weights_path(FLAGS.inception_weights)
  session = loop.Session(model_cls, config)
  rows, measure = [], None
  try:
    with session.graph.as_default():
      manager = checkpoint.CheckpointManager(      # reads only: never saves nor retires
          FLAGS.run_dir, 1, legacy_keys=scopes.unscoped_build(model_cls, config, session.data))
      savers = {step: manager.saver_for(scan.path(step)) for step in steps}   # before finalize
    session.prepare()
    if FLAGS.inception_weights:
      measure = _InceptionMetrics(session, FLAGS.inception_weights, FLAGS.inception_samples)
    elif session.model.sample_kind == 'images':
      print(inception.HOW_TO_ENABLE, flush=True)
    writer = tf1.summary.FileWriter(os.path.join(FLAGS.run_dir, EVENTS_DIR))
    for step in steps:
      path = scan.path(step)
      try:
        savers[step].restore(session.sess, path)
      except (tf.errors.OpError, ValueError) as error:
        print(f'step {step}: skipped ({files.first_line(error)}; retired by the training '
              'process meanwhile?)', flush=True)
        continue
      with session.graph.as_default():
        report = session.model.final_report(session.sess)
      if measure is not None:
        report.update(measure(session.sess))
      report = _selected(report, names)
      if not report:
        raise UserError(f'model {model_cls.name} has no report to evaluate on this data')
      rows.append(dict(step=step, checkpoint=os.path.basename(path), **report))
      writer.add_summary(tf1.Summary(value=[
          tf1.Summary.Value(tag=f'eval/{name}', simple_value=float(value))
          for name, value in report.items()]), step)
      print(f'step {step}: ' + ' '.join(f'{name} {value:.6g}' for name, value in report.items()),
            flush=True)
    writer.close()
  finally:
    session.close()
    if measure is not None:
      measure.close()
  if rows:
    out = os.path.join(FLAGS.run_dir, EVALUATIONS)
    try:
      _merge_rows(out, rows)
    except OSError as error:
      raise UserError(f'{out}: {files.os_error_message(error, out)}') from None
    print(f'wrote {out}: {len(rows)} evaluation(s)')


def evaluate_entry_point():
  flags.DEFINE_string('checkpoints', 'newest', 'Which checkpoints: newest, all, or steps '
                      '(500,1000).')
  flags.DEFINE_string('metrics', '', 'Report metrics to keep, comma separated (default: all).')
  flags.DEFINE_string('inception_weights', '', 'Keras InceptionV3 ImageNet weights without top '
                      '(inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5): adds '
                      'inception_fid, inception_kid, inception_kid_std (nothing is downloaded).')
  flags.DEFINE_integer('inception_samples', inception.INCEPTION_SAMPLES, 'Generated images per '
                       'Inception evaluation, and real images (all of a smaller data set).',
                       lower_bound=4)
  run(_evaluate_main)
