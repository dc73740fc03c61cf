"""Typed configs that become absl flags.

A model's hyper-parameters are a frozen dataclass whose fields carry their help text and bounds
(``hparam``). The registry turns every field of every registered config into one absl flag with
default ``None``; a flag given on the command line or in a flag file overrides the dataclass
default, a flag that does not belong to the chosen model is an error (no silent defaults).
"""
import dataclasses
import math
from typing import Any, Optional, Sequence

from graphgan.engine.errors import UserError


def hparam(default: Any, help: str, *, lower: Optional[float] = None,  # pylint: disable=redefined-builtin
           upper: Optional[float] = None, lower_exclusive: bool = False,
           choices: Optional[Sequence[str]] = None, multiple_of: Optional[int] = None,
           on_resume: str = 'fixed'):
  """A config field: its default, one line of help (with its unit) and what values are valid.

  ``on_resume``: 'fixed' (a run directory continues only with the value it was started with:
  shapes, data, seeds, algorithm) or 'free' (schedule and logging settings a resumed run may
  change; ``flags.txt`` then records the new value). Floats must be finite (no NaN, no inf).
  """
  if on_resume not in ('fixed', 'free'):
    raise ValueError(f'on_resume must be fixed or free, got {on_resume!r}')
  return dataclasses.field(default=default, metadata=dict(
      help=help, lower=lower, upper=upper, lower_exclusive=lower_exclusive,
      choices=tuple(choices) if choices else None, multiple_of=multiple_of,
      on_resume=on_resume))


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """Engine-wide settings every model has; models subclass it and override defaults."""
  run_dir: str = hparam('', 'Run directory (checkpoints, samples, events); default '
                        'runs/<model>.', on_resume='free')
  train_steps: int = hparam(1000, 'Training iterations to run in total (generator iterations '
                            'for GANs), counted across resumes.', lower=1, on_resume='free')
  batch_size: int = hparam(64, 'Examples per batch.', lower=1)
  seed: int = hparam(0, 'Random seed for weights, data order and noise.', lower=0,
                     upper=2**32 - 1)
  deterministic: bool = hparam(True, 'Enable TensorFlow op determinism (same losses run to run '
                               'on one device kind).', on_resume='free')
  data: str = hparam('embedded', "Data source: 'embedded' (the model's generated default) or a "
                     "loader name (folder, npz, hdf5, ring, grid, ...).")
  data_path: str = hparam('', 'Path for file-based data sources (image folder, .npz, .h5).')
  data_key: str = hparam('', 'Array name inside a .npz/HDF5 file (default: the first of images, '
                         'x_train, x).')
  data_chunk_size: int = hparam(0, 'Examples held in memory at once when streaming a data source '
                                '(0 = load it all).', lower=0)
  data_sampling: str = hparam('epochs', "'epochs': every example once per shuffled epoch; "
                              "'subsets': the WGAN author's sampler (a random 1/--data_split of "
                              "the set loaded --data_split times per epoch of N/batch "
                              "iterations, each batch drawn at random from it).",
                              choices=('epochs', 'subsets'))
  data_split: int = hparam(5, "--data_sampling=subsets: the set is loaded 1/N at a time (the "
                           "author's --split).", lower=1)
  allow_changed_data: bool = hparam(False, 'Resume even though the data set changed since the '
                                    'run started (its fingerprint, data.json in the run '
                                    'directory, is then replaced by the new one).',
                                    on_resume='free')
  log_every_steps: int = hparam(10, 'Progress line (losses, steps/s, ETA) every N iterations.',
                                lower=1, on_resume='free')
  summary_every_steps: int = hparam(50, 'TensorBoard loss scalars every N iterations (0 = off).',
                                    lower=0, on_resume='free')
  sample_every_steps: int = hparam(500, 'PNG sample grid + TensorBoard image every N iterations '
                                   '(0 = only at the end).', lower=0, on_resume='free')
  save_every_steps: int = hparam(500, 'Checkpoint every N iterations (and always at the end).',
                                 lower=1, on_resume='free')
  eval_every_steps: int = hparam(0, 'Evaluate the model (its report metrics, e.g. modes '
                                 'captured) every N iterations into metrics.jsonl and TensorBoard '
                                 'eval/ (0 = only at the end).', lower=0, on_resume='free')
  export_every_epochs: int = hparam(1, 'Save Keras HDF5 weights ({prefix}_{epoch}epoch.h5) every '
                                    'N epochs (0 = off).', lower=0, on_resume='free')
  keep_exports: int = hparam(0, 'Per-epoch HDF5 exports kept: the newest N epochs (0 = all, '
                             'the documented behaviour).', lower=0, on_resume='free')
  num_gpus: int = hparam(1, 'Towers: replicas of the losses, one per GPU (N logical CPU devices '
                         'when there are fewer GPUs); the batch is split evenly between them.',
                         lower=1, upper=64, on_resume='free')
  keep_checkpoints: int = hparam(5, 'Checkpoints kept in the run directory.', lower=1,
                                 on_resume='free')
  resume: bool = hparam(True, 'Resume from the run directory\'s latest checkpoint when there is '
                        'one; with --noresume an existing checkpoint is an error (nothing is '
                        'overwritten).', on_resume='free')

  def replace(self, **changes):
    return dataclasses.replace(self, **changes)


def fields(config_cls):
  return dataclasses.fields(config_cls)


def validate_value(name: str, value: Any, meta: dict) -> None:
  """Raise UserError naming the flag when ``value`` is outside what ``meta`` allows."""
  choices, lower, upper = meta.get('choices'), meta.get('lower'), meta.get('upper')
  if isinstance(value, float) and not math.isfinite(value):
    raise UserError(f'--{name} must be a finite number; got {value!r}')
  if choices and value not in choices:
    raise UserError(f'--{name} must be one of {", ".join(choices)}; got {value!r}')
  if lower is not None:
    if meta.get('lower_exclusive') and not value > lower:
      raise UserError(f'--{name} must be > {_number(lower)}; got {value!r}')
    if value < lower:
      raise UserError(f'--{name} must be >= {_number(lower)}; got {value!r}')
  if upper is not None and value > upper:
    raise UserError(f'--{name} must be <= {_number(upper)}; got {value!r}')
  multiple = meta.get('multiple_of')
  if multiple and value % multiple:
    raise UserError(f'--{name} must be a multiple of {multiple}; got {value!r}')


def _number(bound):
  return str(int(bound)) if float(bound).is_integer() else f'{bound:g}'


def schedule_flags():
  """The engine fields a resumed run may change (``on_resume='free'``: schedule, logging,
  retention, towers); every other flag is fixed for the life of a run directory."""
  return tuple(f.name for f in fields(TrainConfig) if f.metadata['on_resume'] == 'free')


def fixed_on_resume(config_cls):
  """Names of the fields a run directory keeps for life (``hparam(on_resume='fixed')``).

  A model that overrides an engine field (say, its own ``train_steps`` default) keeps the engine
  field's rule.
  """
  engine_free = {f.name for f in fields(TrainConfig) if f.metadata['on_resume'] == 'free'}
  return [f.name for f in fields(config_cls)
          if f.name not in engine_free and f.metadata.get('on_resume', 'fixed') == 'fixed']


_WITH_SOURCE = {}


def config_class(config_cls, data=None):
  """``config_cls`` plus the settings the data source ``data`` owns (``register_source``).

  A model's Config already holds its embedded source's settings; ``--data=ring`` (say) adds
  ``ring_*`` to any model, as fixed settings of its run directory (they are in ``flags.txt``).
  """
  from graphgan.engine.data import registry as sources  # pylint: disable=import-outside-toplevel
  own = {f.name for f in fields(config_cls)}
  extra = [f for f in sources.source_fields(data) if f.name not in own] if data else []
  if not extra:
    return config_cls
  key = (config_cls, data)
  if key not in _WITH_SOURCE:
    _WITH_SOURCE[key] = dataclasses.make_dataclass(
        config_cls.__name__,
        [(f.name, f.type, dataclasses.field(default=f.default, metadata=f.metadata))
         for f in extra], bases=(config_cls,),
        frozen=True)
  return _WITH_SOURCE[key]


def make_config(config_cls, overrides: dict):
  """Build and validate ``config_cls`` (with its data source's settings) from its defaults and
  ``overrides`` (name -> value)."""
  config_cls = config_class(config_cls, overrides.get('data'))
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


def as_flag_lines(model_name, config):
  """The resolved ``config`` as flag-file lines (what ``<run_dir>/flags.txt`` holds)."""
  lines = [f'--model={model_name}']
  for field in fields(config):
    value = getattr(config, field.name)
    if isinstance(value, bool):
      lines.append(f'--{field.name}' if value else f'--no{field.name}')
    else:
      lines.append(f'--{field.name}={value}')
  return '\n'.join(lines) + '\n'
