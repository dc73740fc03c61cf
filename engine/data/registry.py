"""The registry of data sources: ``--data`` name -> ``factory(config, seed) -> Sampler``.

Built-in sources register when ``engine.data`` is imported (its ``__init__`` imports their
modules); a model may register its own (``@register_source('name')`` in its module).
"""
from engine.errors import UserError

_SOURCES = {}


def register_source(name):
  """Decorator for ``factory(config, seed) -> Sampler``; ``name`` is a valid ``--data`` value."""
  def decorate(factory):
    if name in _SOURCES:
      raise ValueError(f'data source {name!r} registered twice')
    _SOURCES[name] = factory
    return factory
  return decorate


def source_names():
  return sorted(_SOURCES)


def make_source(name, config, seed):
  """The sampler for ``--data=name``; UserError listing the valid names otherwise."""
  if name not in _SOURCES:
    raise UserError(f'--data={name!r} is not a data source; choose one of: '
                    f'{", ".join(sorted(_SOURCES))}')
  return _SOURCES[name](config, seed)
