"""The sampler interface every model draws from (the registry of sources: ``registry.py``).

It follows the documented WGAN input sampler: ``image_sample(batch)`` serves real examples,
``noise_sample(batch)`` serves generator noise, ``reload()`` pages in the next chunk of a data set
too big for memory. Unlike the documented sampler it keeps its position (epoch, offset, RNG
state) as JSON-able ``state()`` so a resumed run continues exactly where it stopped.
"""
import numpy as np

from engine.errors import UserError


class Sampler:
  """Base sampler: seeded numpy RNG, epoch counter, noise; subclasses serve ``image_sample``."""

  noise_distribution = 'normal'   # 'normal' N(0, 1) or 'uniform' U(-1, 1)

  def __init__(self, seed):
    self.rng = np.random.default_rng(seed)
    self.epoch = 0

  def image_sample(self, batch):
    raise NotImplementedError

  def noise_sample(self, batch, dim):
    if self.noise_distribution == 'uniform':
      return self.rng.uniform(-1.0, 1.0, size=(batch, dim)).astype(np.float32)
    return self.rng.standard_normal(size=(batch, dim)).astype(np.float32)

  def reload(self):
    """Page in the next chunk (no-op for in-memory sources)."""

  @property
  def completed_epochs(self):
    """Epochs whose every example has been served (``epoch`` counts lazily, at the next draw)."""
    return self.epoch

  @property
  def num_examples(self):
    """Examples per epoch (None for an endless generator)."""
    return None

  @property
  def example_shape(self):
    raise NotImplementedError

  def state(self):
    return {'epoch': self.epoch, 'rng': self.rng.bit_generator.state}

  def check_state(self, state):
    """ValueError unless ``state`` (from a checkpoint sidecar) fits this data source."""
    if not isinstance(state, dict):
      raise ValueError('data position is not a mapping')
    epoch = state.get('epoch')
    if not isinstance(epoch, int) or epoch < 0:
      raise ValueError(f'data position has no valid epoch ({epoch!r})')
    probe = np.random.default_rng(0)
    try:
      probe.bit_generator.state = state.get('rng')
    except (TypeError, ValueError, KeyError) as error:
      raise ValueError(f'data position has no valid RNG state ({error})') from None

  def set_state(self, state):
    self.check_state(state)
    self.epoch = int(state['epoch'])
    self.rng.bit_generator.state = state['rng']


class ArraySampler(Sampler):
  """Shuffled epochs over an in-memory array; examples are served as float32."""

  def __init__(self, examples, seed, transform=None):
    super().__init__(seed)
    if len(examples) == 0:
      raise UserError('data source has no examples')
    self.examples = examples
    self.transform = transform or (lambda batch: batch.astype(np.float32))
    self._order = self.rng.permutation(len(examples))
    self._offset = 0

  @property
  def num_examples(self):
    return len(self.examples)

  @property
  def completed_epochs(self):
    return self.epoch + (self._offset == len(self._order))

  @property
  def example_shape(self):
    return tuple(self.examples.shape[1:])

  def image_sample(self, batch):
    """The next ``batch`` examples; an epoch ends when every example was served once."""
    parts, needed = [], batch
    while needed:
      if self._offset == len(self._order):
        self.epoch += 1
        self._order = self.rng.permutation(len(self.examples))
        self._offset = 0
      take = min(needed, len(self._order) - self._offset)
      parts.append(self._order[self._offset:self._offset + take])
      self._offset += take
      needed -= take
    index = np.concatenate(parts)
    return self.transform(self.examples[index])

  def state(self):
    return dict(super().state(), offset=self._offset, order=self._order.tolist())

  def check_state(self, state):
    super().check_state(state)
    check_order(state.get('order'), len(self.examples))
    offset = state.get('offset')
    if not isinstance(offset, int) or not 0 <= offset <= len(self.examples):
      raise ValueError(f'data offset {offset!r} does not fit {len(self.examples)} examples')

  def set_state(self, state):
    super().set_state(state)
    self._offset = int(state['offset'])
    self._order = np.asarray(state['order'], dtype=np.int64)


def check_order(order, num_examples):
  """ValueError unless ``order`` is a permutation of ``range(num_examples)``."""
  if not isinstance(order, list) or len(order) != num_examples:
    raise ValueError(f'data order has {len(order) if isinstance(order, list) else "no"} '
                     f'entries, the data set {num_examples} examples (another data set?)')
  try:
    values = np.asarray(order, dtype=np.int64)
  except (TypeError, ValueError, OverflowError):
    raise ValueError('data order is not a list of integers') from None
  if not np.array_equal(np.sort(values), np.arange(num_examples)):
    raise ValueError(f'data order is not a permutation of the {num_examples} examples')
