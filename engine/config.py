"""Typed configs that become absl flags.

A model's hyper-parameters are a frozen dataclass whose fields carry their help text and bounds
(``hparam``). The registry turns every field of every registered config into one absl flag with
default ``None``; a flag given on the command line or in a flag file overrides the dataclass
default, a flag that does not belong to the chosen model is an error (no silent defaults).
"""
import dataclasses
from typing import Any, Optional, Sequence

from engine.errors import UserError


def hparam(default: Any, help: str, *, lower: Optional[float] = None,  # pylint: disable=redefined-builtin
           upper: Optional[float] = None, lower_exclusive: bool = False,
           choices: Optional[Sequence[str]] = None):
  """A config field: its default, one line of help (with its unit) and what values are valid."""
  return dataclasses.field(default=default, metadata=dict(
      help=help, lower=lower, upper=upper, lower_exclusive=lower_exclusive,
      choices=tuple(choices) if choices else None))


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """Engine-wide settings every model has; models subclass it and override defaults."""
  run_dir: str = hparam('', 'Run directory (checkpoints, samples, events); default runs/<model>.')
  train_steps: int = hparam(1000, 'Training iterations to run in total (generator iterations '
                            'for GANs), counted across resumes.', lower=1)
  batch_size: int = hparam(64, 'Examples per batch.', lower=1)
  seed: int = hparam(0, 'Random seed for weights, data order and noise.', lower=0)
  deterministic: bool = hparam(True, 'Enable TensorFlow op determinism (same losses run to run '
                               'on one device kind).')
  data: str = hparam('embedded', "Data source: 'embedded' (the model's generated default) or a "
                     "loader name (folder, npz, hdf5, ring, grid, ...).")
  data_path: str = hparam('', 'Path for file-based data sources (image folder, .npz, .h5).')
  data_key: str = hparam('', 'Array name inside a .npz/HDF5 file (default: the first of images, '
                         'x_train, x).')
  data_chunk_size: int = hparam(0, 'Examples held in memory at once when streaming a data source '
                                '(0 = load it all).', lower=0)
  log_every_steps: int = hparam(10, 'Progress line (losses, steps/s, ETA) every N iterations.',
                                lower=1)
  summary_every_steps: int = hparam(50, 'TensorBoard loss scalars every N iterations (0 = off).',
                                    lower=0)
  sample_every_steps: int = hparam(500, 'PNG sample grid + TensorBoard image every N iterations '
                                   '(0 = only at the end).', lower=0)
  save_every_steps: int = hparam(500, 'Checkpoint every N iterations (and always at the end).',
                                 lower=1)
  eval_every_steps: int = hparam(0, 'Evaluate the model (its report metrics, e.g. modes '
                                 'captured) every N iterations into metrics.jsonl and TensorBoard '
                                 'eval/ (0 = only at the end).', lower=0)
  export_every_epochs: int = hparam(1, 'Save Keras HDF5 weights ({prefix}_{epoch}epoch.h5) every '
                                    'N epochs (0 = off).', lower=0)
  num_gpus: int = hparam(1, 'Towers: replicas of the losses, one per GPU (N logical CPU devices '
                         'when there are fewer GPUs); the batch is split evenly between them.',
                         lower=1)
  keep_checkpoints: int = hparam(5, 'Checkpoints kept in the run directory.', lower=1)
  resume: bool = hparam(True, 'Resume from the run directory\'s latest checkpoint when there is '
                        'one; with --noresume an existing checkpoint is an error (nothing is '
                        'overwritten).')

  def replace(self, **changes):
    return dataclasses.replace(self, **changes)


def fields(config_cls):
  return dataclasses.fields(config_cls)


def validate_value(name: str, value: Any, meta: dict) -> None:
  """Raise UserError naming the flag when ``value`` is outside what ``meta`` allows."""
  choices, lower, upper = meta.get('choices'), meta.get('lower'), meta.get('upper')
  if choices and value not in choices:
    raise UserError(f'--{name} must be one of {", ".join(choices)}; got {value!r}')
  if lower is not None:
    if meta.get('lower_exclusive') and not value > lower:
      raise UserError(f'--{name} must be > {lower:g}; got {value!r}')
    if value < lower:
      raise UserError(f'--{name} must be >= {lower:g}; got {value!r}')
  if upper is not None and value > upper:
    raise UserError(f'--{name} must be <= {upper:g}; got {value!r}')


def make_config(config_cls, overrides: dict):
  """Build and validate ``config_cls`` from its defaults and ``overrides`` (name -> value)."""
  known = {f.name: f for f in fields(config_cls)}
  unknown = sorted(set(overrides) - set(known))
  if unknown:
    raise UserError(f'{config_cls.__name__} has no setting {unknown[0]!r}')
  values = {}
  for name, field in known.items():
    value = overrides.get(name, field.default)
    validate_value(name, value, field.metadata)
    values[name] = value
  return config_cls(**values)
