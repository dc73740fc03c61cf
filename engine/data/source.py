"""The sampler interface every model draws from (the registry of sources: ``registry.py``).

It follows the documented WGAN input sampler: ``image_sample(batch)`` serves real examples,
``noise_sample(batch)`` serves generator noise, ``reload()`` pages in the next chunk of a data set
too big for memory. Unlike the documented sampler it keeps its position (epoch, offset, RNG
state) as JSON-able ``state()`` so a resumed run continues exactly where it stopped.
"""
import numpy as np

from graphgan.engine.errors import UserError


NOISE_DISTRIBUTIONS = ('normal', 'uniform')


def draw_noise(rng, shape, distribution='normal'):
  """float32 noise of ``shape``: 'normal' N(0, 1) or 'uniform' U(-1, 1) (the WGAN author's)."""
  if distribution == 'uniform':
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
  if distribution == 'normal':
    return rng.standard_normal(size=shape).astype(np.float32)
  raise ValueError(f'noise distribution must be one of {NOISE_DISTRIBUTIONS}, got {distribution!r}')


class Sampler:
  """Base sampler: seeded numpy RNG, epoch counter, noise; subclasses serve ``image_sample``."""

  def __init__(self, seed):
    self.rng = np.random.default_rng(seed)
    self.epoch = 0
    self._order, self._order_rng = None, None

  def image_sample(self, batch):
    raise NotImplementedError

  def noise_sample(self, batch, dim, distribution='normal'):
    return draw_noise(self.rng, (batch, dim), distribution)

  def reload(self):
    """Page in the next chunk (no-op for in-memory sources)."""

  def begin_iteration(self, step):
    """Called by the loop before training iteration ``step`` (0-based); samplers whose paging
    follows the iteration count (``SubsetSampler``) act on it."""

  def reader_view(self):
    """(read(sorted_indices) -> examples, transform) for a finite data set, else None."""
    return None

  def fingerprint_extra(self):
    """What the data set's fingerprint adds beyond hashed examples (a folder: file sizes)."""
    return {}

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

  # An epoch's order is drawn from the shared RNG; a checkpoint keeps the RNG state it was drawn
  # from (``order_rng``, a few numbers) and re-derives it, instead of the order itself (O(N): 1.45
  # MiB of JSON for 200,000 files). Sidecars written before the evening of 2026-12-07 hold ``order``: still read.
  def _new_order(self, num_examples):
    self._order_rng = self.rng.bit_generator.state
    return self.rng.permutation(num_examples)

  def _order_state(self):
    return ({'order_rng': self._order_rng} if self._order_rng is not None
            else {'order': self._order.tolist()})      # restored from an older sidecar

  @staticmethod
  def _check_order_state(state, num_examples):
    if 'order_rng' not in state:
      check_order(state.get('order'), num_examples)
      return
    try:
      np.random.default_rng(0).bit_generator.state = state['order_rng']
    except (TypeError, ValueError, KeyError) as error:
      raise ValueError(f'data position has no valid order RNG state ({error})') from None

  def _restore_order(self, state, num_examples):
    self._order_rng = state.get('order_rng')
    if self._order_rng is None:
      return np.asarray(state['order'], dtype=np.int64)
    rng = np.random.default_rng(0)
    rng.bit_generator.state = self._order_rng
    return rng.permutation(num_examples)


class ArraySampler(Sampler):
  """Shuffled epochs over an in-memory array; examples are served as float32."""

  def __init__(self, examples, seed, transform=None):
    super().__init__(seed)
    if len(examples) == 0:
      raise UserError('data source has no examples')
    self.examples = examples
    self.transform = transform or (lambda batch: batch.astype(np.float32))
    self._order = self._new_order(len(examples))
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

  def reader_view(self):
    return (lambda sorted_indices: self.examples[sorted_indices]), self.transform

  def image_sample(self, batch):
    """The next ``batch`` examples; an epoch ends when every example was served once."""
    parts, needed = [], batch
    while needed:
      if self._offset == len(self._order):
        self.epoch += 1
        self._order = self._new_order(len(self.examples))
        self._offset = 0
      take = min(needed, len(self._order) - self._offset)
      parts.append(self._order[self._offset:self._offset + take])
      self._offset += take
      needed -= take
    index = np.concatenate(parts)
    return self.transform(self.examples[index])

  def state(self):
    return dict(super().state(), offset=self._offset, **self._order_state())

  def check_state(self, state):
    super().check_state(state)
    self._check_order_state(state, len(self.examples))
    offset = state.get('offset')
    if not isinstance(offset, int) or not 0 <= offset <= len(self.examples):
      raise ValueError(f'data offset {offset!r} does not fit {len(self.examples)} examples')

  def set_state(self, state):
    super().set_state(state)
    self._offset = int(state['offset'])
    self._order = self._restore_order(state, len(self.examples))


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


class SubsetSampler(Sampler):
  """The WGAN author's ``InputSampler`` (misc/dataIO.py, daigo0927/WGAN_GP at 43e1375).

  ``reload()`` loads a random ``1/split`` of the data set (drawn without replacement; at least one
  batch), and each batch is drawn at random from what is loaded (without replacement within the
  batch). An epoch
  is ``N // batch`` generator iterations (the author's ``num_batches``), and the author's loop
  reloads at its iterations ``linspace(0, num_batches, split + 1)``: ``split`` times per epoch.
  The loaded subset is re-derived on resume from the RNG state it was drawn with, so the state
  stays a few numbers whatever the data set's size.
  """

  def __init__(self, read, transform, num_examples, example_shape, seed, split, batch,
               fingerprint_extra=dict):
    super().__init__(seed)
    self.read, self.transform = read, transform
    self.fingerprint_extra = fingerprint_extra
    self.total, self.shape, self.split = num_examples, tuple(example_shape), split
    if num_examples < batch:
      raise UserError(f'the data set holds {num_examples} examples, fewer than one batch of '
                      f'{batch} (--batch_size)')
    # The author's sampler fails outright when 1/split of the set is less than a batch; here the
    # subset then holds one batch.
    self.chunk_size = max(num_examples // split, batch)
    self.batches = max(1, num_examples // batch)
    self.reload_at = {int(b) for b in np.linspace(0, self.batches, split + 1, dtype=int)
                      if b < self.batches}
    self.iterations = 0          # begin_iteration calls so far (the next step to run)
    self._chunk_rng = None       # RNG state the loaded subset was drawn with
    self._chunk = None

  @property
  def num_examples(self):
    return self.total

  @property
  def example_shape(self):
    return self.shape

  @property
  def completed_epochs(self):
    return self.iterations // self.batches

  def reader_view(self):
    return self.read, self.transform

  def begin_iteration(self, step):
    self.iterations = step + 1
    self.epoch = step // self.batches
    if step % self.batches in self.reload_at or self._chunk is None:
      self.reload()

  def reload(self):
    """Load a new random ``1/split`` of the data set."""
    self._chunk_rng = self.rng.bit_generator.state
    self._load()

  def _load(self):
    wanted = np.sort(self.rng.choice(self.total, self.chunk_size, replace=False))
    self._chunk = self.read(wanted)

  def image_sample(self, batch):
    if self._chunk is None:
      self.reload()
    index = self.rng.choice(len(self._chunk), batch, replace=False)
    return self.transform(self._chunk[index])

  def state(self):
    return dict(super().state(), iterations=self.iterations, chunk_rng=self._chunk_rng)

  def check_state(self, state):
    super().check_state(state)
    iterations = state.get('iterations')
    if not isinstance(iterations, int) or iterations < 0:
      raise ValueError(f'data position has no valid iteration count ({iterations!r}; a run '
                       'of another --data_sampling?)')
    if state.get('chunk_rng') is not None:
      probe = np.random.default_rng(0)
      try:
        probe.bit_generator.state = state['chunk_rng']
      except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f'data position has no valid subset RNG state ({error})') from None

  def set_state(self, state):
    super().set_state(state)
    self.iterations = int(state['iterations'])
    self._chunk_rng, self._chunk = state['chunk_rng'], None
    if self._chunk_rng is not None:
      now = self.rng.bit_generator.state
      self.rng.bit_generator.state = self._chunk_rng
      self._load()
      self.rng.bit_generator.state = now
