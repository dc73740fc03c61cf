"""The registry of data sources: ``--data`` name -> ``factory(config, seed) -> Sampler``.

Built-in sources register when ``engine.data`` is imported (its ``__init__`` imports their
modules); a model or a plugin may register its own (``@register_source('name')`` in its module).

A source owns its settings: ``register_source(name, settings=Dataclass)`` declares them as
``hparam`` fields. They become flags valid for every model run with ``--data=name``
(``engine.config.config_class`` adds them to the model's Config), so the factory reads
``config.<field>`` directly, whatever the model.
"""
import dataclasses

from graphgan.engine.data.source import SubsetSampler
from graphgan.engine.errors import UserError

_SOURCES = {}
_SETTINGS = {}


def register_source(name, settings=None):
  """Decorator for ``factory(config, seed) -> Sampler``; ``name`` is a valid ``--data`` value.

  ``settings``: a frozen dataclass of ``hparam`` fields the source reads from the config.
  """
  def decorate(factory):
    if name in _SOURCES:
      raise ValueError(f'data source {name!r} registered twice')
    _SOURCES[name] = factory
    _SETTINGS[name] = tuple(dataclasses.fields(settings)) if settings else ()
    return factory
  return decorate


def source_names():
  return sorted(_SOURCES)


def source_fields(name):
  """The dataclass fields of ``--data=name``'s own settings (none for an unknown name)."""
  return _SETTINGS.get(name, ())


def all_source_fields():
  """{source name: its fields}: what becomes flags besides the models' Config fields."""
  return {name: fields for name, fields in _SETTINGS.items() if fields}


SAMPLINGS = ('epochs', 'subsets')


def make_source(name, config, seed):
  """The sampler for ``--data=name`` in the config's ``--data_sampling``; UserError listing the
  valid names otherwise.

  'epochs': the source's own sampler (every example once per shuffled epoch, chunk by chunk);
  'subsets': the WGAN author's (``SubsetSampler``) over the same examples.
  """
  if name not in _SOURCES:
    raise UserError(f'--data={name!r} is not a data source; choose one of: '
                    f'{", ".join(sorted(_SOURCES))}')
  sampler = _SOURCES[name](config, seed)
  if config.data_sampling == 'epochs':
    return sampler
  view = sampler.reader_view()
  if view is None:
    raise UserError(f'--data_sampling={config.data_sampling} needs a finite data set; '
                    f'--data={name} is not one (use --data_sampling=epochs)')
  if config.data_chunk_size:
    raise UserError(f'--data_chunk_size={config.data_chunk_size} pages shuffled epochs; with '
                    f'--data_sampling=subsets the loaded part is 1/--data_split of the set')
  read, transform = view
  return SubsetSampler(read, transform, sampler.num_examples, sampler.example_shape, seed,
                       config.data_split, config.batch_size, sampler.fingerprint_extra)
