"""TensorBoard HParams for a run: its resolved flags when it starts, its status when it ends.

TensorBoard's HParams dashboard lists every run directory holding a session-start summary: its
hyper-parameters as columns, the last value of each of its scalar tags (losses, ``eval/``
metrics) as metric columns. No experiment summary is written, so the runs of a campaign (seeds x
variants, each its own run directory) line up by TensorBoard's inference over all of them.
"""
import dataclasses

from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import summary as hparams_v1
from tensorboard.plugins.hparams import summary_v2


def flag_values(model_name, config, run_path):
  """{flag: value} as ``flags.txt`` resolves them, with the run directory's real path."""
  values = {'model': model_name}
  for field in dataclasses.fields(config):
    values[field.name] = getattr(config, field.name)
  values['run_dir'] = run_path
  return values


def write_session_start(writer, model_name, config, run_path):
  """The run's resolved flags as an HParams session-start summary (step 0)."""
  summary = summary_v2.hparams_pb(flag_values(model_name, config, run_path))
  writer.add_summary(summary.SerializeToString(), 0)


def write_session_end(writer, step):
  """Marks the run finished (status 'Success' in the HParams table)."""
  writer.add_summary(hparams_v1.session_end_pb(api_pb2.STATUS_SUCCESS).SerializeToString(),
                     step)
