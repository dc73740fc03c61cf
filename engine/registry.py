"""Model registry: name -> (model class, config class); unknown names raise with the list.

Models register with ``@register`` when their module is imported; the registry imports them
through the ``graphgan.models`` entry points (``engine.plugins``), never by name.
"""
from graphgan.engine import plugins
from graphgan.engine.config import config_class
from graphgan.engine.errors import UserError

_MODELS = {}


def register(name):
  """Class decorator: ``@register('wgan')`` on a Model subclass that defines ``Config``.

  The Config gains the settings of the model's embedded data source (``default_data``) that it
  does not declare itself, so ``--data=embedded`` reads them like an explicit ``--data``.
  """
  def decorate(model_cls):
    if name in _MODELS:
      raise ValueError(f'model {name!r} registered twice')
    model_cls.name = name
    if model_cls.default_data:
      model_cls.Config = config_class(model_cls.Config, model_cls.default_data)
    _MODELS[name] = model_cls
    return model_cls
  return decorate


def names():
  _load_models()
  return sorted(_MODELS)


def get(name):
  """The model class registered as ``name``; UserError listing the registered ones otherwise."""
  _load_models()
  if name not in _MODELS:
    raise UserError(f'--model={name!r} is not a registered model; choose one of: '
                    f'{", ".join(sorted(_MODELS))} (a model outside this package: '
                    '--import=its.module, or a graphgan.models entry point)')
  return _MODELS[name]


def all_models():
  _load_models()
  return dict(_MODELS)


def _load_models():
  plugins.load_all(plugins.MODELS)
  plugins.load_all(plugins.DATA, required=False)
