"""Real data loaders: image folders (png/jpg), ``.npz`` and HDF5, streamed in chunks.

Each loader is a ``Reader`` (how many examples, read a sorted index list); ``ChunkedSampler`` pages
through a shuffled epoch ``chunk_size`` examples at a time (the documented sampler's ``reload()``),
so a data set larger than memory (CelebA, >200k images) trains with bounded memory. Arrays are
served as float32 in [-1, 1]: uint8 is scaled from [0, 255]; float data must already be in [-1, 1].
"""
import concurrent.futures
import hashlib
import os
import stat

import numpy as np

from graphgan.engine.data.registry import register_source
from graphgan.engine.data.source import Sampler
from graphgan.engine.errors import UserError

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg')
ARRAY_KEYS = ('images', 'x_train', 'x')


class Reader:
  """Random access to a data set on disk."""
  num_examples = 0
  example_shape = ()

  def read(self, sorted_indices):
    raise NotImplementedError

  def fingerprint_extra(self):
    return {}


class FolderReader(Reader):
  """Every .png/.jpg under ``path`` (recursively), centre-cropped and resized to ``size`` x ``size``."""

  def __init__(self, path, size, channels=3):
    if not os.path.isdir(path):
      raise UserError(f'--data_path={path!r}: no such directory')
    self.files = sorted(os.path.join(root, name) for root, _, names in os.walk(path)
                        for name in names if name.lower().endswith(IMAGE_SUFFIXES))
    if not self.files:
      raise UserError(f'--data_path={path!r}: no .png/.jpg images in this folder')
    self.sizes = []
    for file in self.files:     # a FIFO among the images would block the first read forever
      try:
        status = os.stat(file)
      except OSError as error:
        raise UserError(f'{file}: cannot read it ({error.strerror})') from None
      if not stat.S_ISREG(status.st_mode):
        raise UserError(f'{file}: not a regular file (a FIFO or device named like an image)')
      self.sizes.append(status.st_size)
    self.size, self.channels = size, channels
    self.num_examples = len(self.files)
    self.example_shape = (size, size, channels)

  def read(self, sorted_indices):
    from PIL import Image  # pylint: disable=import-outside-toplevel
    batch = np.empty((len(sorted_indices),) + self.example_shape, np.uint8)
    for row, index in enumerate(sorted_indices):
      try:
        with Image.open(self.files[index]) as image:
          image = image.convert('RGB' if self.channels == 3 else 'L')
          side = min(image.size)
          left, top = (image.size[0] - side) // 2, (image.size[1] - side) // 2
          image = image.crop((left, top, left + side, top + side)).resize(
              (self.size, self.size), Image.BILINEAR)
          batch[row] = np.asarray(image).reshape(self.example_shape)
      except OSError as error:
        raise UserError(f'{self.files[index]}: not a readable image ({error})') from None
      except Image.DecompressionBombError as error:
        raise UserError(f'{self.files[index]}: refused as a possible decompression bomb '
                        f'({error})') from None
    return batch

  def fingerprint_extra(self):
    sizes = hashlib.sha256(np.asarray(self.sizes, np.int64).tobytes()).hexdigest()
    return {'sizes': sizes, 'bytes': int(sum(self.sizes))}


def _pick_key(keys, key, path):
  if key:
    if key not in keys:
      raise UserError(f'{path}: no array named {key!r} (has: {", ".join(sorted(keys))})')
    return key
  for candidate in ARRAY_KEYS:
    if candidate in keys:
      return candidate
  raise UserError(f'{path}: expected an array named one of {", ".join(ARRAY_KEYS)} '
                  f'(has: {", ".join(sorted(keys)) or "nothing"}); set --data_key')


def _regular_file(path):
  """UserError unless ``path`` is a regular file (a FIFO would block, a device never end)."""
  if os.path.isdir(path):
    raise UserError(f'--data_path={path!r} is a directory; this data source reads one file')
  if not os.path.exists(path):
    raise UserError(f'--data_path={path!r}: no such file')
  if not os.path.isfile(path):
    raise UserError(f'--data_path={path!r}: not a regular file (a FIFO or a device)')


class NpzReader(Reader):
  """An array in a ``.npz`` (memory-mapped when stored uncompressed)."""

  def __init__(self, path, key=''):
    _regular_file(path)
    try:
      archive = np.load(path, mmap_mode='r', allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
      raise UserError(f'--data_path={path!r}: not a readable .npz ({error})') from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
      raise UserError(f'--data_path={path!r}: a single .npy array, not an .npz archive (save '
                      'it with np.savez(path, images=array))')
    name = _pick_key(list(archive.keys()), key, path)
    try:
      array = archive[name]       # never unpickled: object arrays are refused here
    except (OSError, ValueError, EOFError) as error:
      raise UserError(f'{path}: array {name!r} is not loadable ({error})') from None
    self.array = _with_channels(array, path)
    self.num_examples = len(self.array)
    self.example_shape = tuple(self.array.shape[1:])

  def read(self, sorted_indices):
    return np.asarray(self.array[sorted_indices])


class Hdf5Reader(Reader):
  """A dataset in an HDF5 file, read chunk by chunk (never loaded whole)."""

  def __init__(self, path, key=''):
    import h5py  # pylint: disable=import-outside-toplevel
    _regular_file(path)
    try:
      self.file = h5py.File(path, 'r')
    except OSError as error:
      raise UserError(f'--data_path={path!r}: not a readable HDF5 file ({error})') from None
    datasets = []
    for name in self.file.keys():
      link = self.file.get(name, getlink=True)
      try:
        if isinstance(self.file[name], h5py.Dataset):
          datasets.append(name)
      except (KeyError, OSError) as error:
        if isinstance(link, h5py.ExternalLink):
          raise UserError(f'{path}: {name!r} is an external link to {link.filename}:{link.path}, '
                          f'which cannot be opened ({error})') from None
        raise UserError(f'{path}: {name!r} cannot be opened ({error})') from None
    name = _pick_key(datasets, key, path)
    self.dataset = self.file[name]
    _with_channels(np.empty((0,) + self.dataset.shape[1:], self.dataset.dtype), path)
    self.num_examples = self.dataset.shape[0]
    self.example_shape = tuple(self.dataset.shape[1:]) + ((1,) if self.dataset.ndim == 3 else ())

  def read(self, sorted_indices):
    batch = self.dataset[np.asarray(sorted_indices)]
    return batch[..., None] if batch.ndim == 3 else batch


def _with_channels(array, path):
  """Accept NHW (grey) or NHWC arrays of uint8 or float; anything else is a one-line error."""
  if array.ndim == 3:
    array = array[..., None]
  if array.ndim != 4 or array.shape[-1] not in (1, 3):
    raise UserError(f'{path}: expected images shaped (N, H, W) or (N, H, W, 1|3), '
                    f'got {tuple(array.shape)}')
  if not (array.dtype == np.uint8 or np.issubdtype(array.dtype, np.floating)):
    raise UserError(f'{path}: expected uint8 or float images, got {array.dtype}')
  return array


def to_unit_range(batch, source='data'):
  if batch.dtype == np.uint8:
    # In place: one new array instead of three (each a fresh allocation that page-faults: with a
    # whole 50,000-image set in memory that was 1.25 ms per batch of 16, now 0.25). Same values.
    unit = batch.astype(np.float32)
    unit /= 127.5
    unit -= 1.0
    return unit
  batch = batch.astype(np.float32)
  if batch.size and (batch.min() < -1.0 - 1e-6 or batch.max() > 1.0 + 1e-6):
    raise UserError(f'{source}: float images must lie in [-1, 1] '
                    f'(got [{batch.min():g}, {batch.max():g}]); store uint8 to have them scaled')
  return batch


class ChunkedSampler(Sampler):
  """Shuffled epochs over a ``Reader``, holding ``chunk_size`` examples in memory at a time.

  A chunk is read in sorted index order and served through its positions in the shuffled order
  (no reordered copy). While one is served, the next chunk of the same epoch is read in a
  background thread, so a chunk load does not stall training; the first chunk of an epoch is read
  when the epoch begins (its order comes from the shared RNG at that point, as without prefetch),
  so the batches are the same with or without it. A whole set (``chunk_size`` 0 or >= the set)
  is decoded once and re-permuted each epoch.
  """

  def __init__(self, reader, seed, chunk_size=0, source='data', prefetch=True):
    super().__init__(seed)
    if reader.num_examples == 0:
      raise UserError(f'{source}: the data set is empty')
    self.reader, self.source = reader, source
    self.chunk_size = min(chunk_size or reader.num_examples, reader.num_examples)
    self.whole = self.chunk_size == reader.num_examples
    self._order = self._new_order(reader.num_examples)
    self._chunk_start = 0       # where the chunk in memory starts in ``_order``
    self._offset = 0            # examples of that chunk already served
    self._chunk = None          # examples in sorted index order (the whole set: decoded once)
    self._positions = None      # the chunk's shuffled order as rows of ``_chunk``
    self._next = None           # ((epoch, start), Future) of the chunk read in the background
    self._pool = (concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix='prefetch')
                  if prefetch and not self.whole else None)

  @property
  def num_examples(self):
    return self.reader.num_examples

  def fingerprint_extra(self):
    return self.reader.fingerprint_extra()

  @property
  def completed_epochs(self):
    served = self._chunk_start + (self._offset if self._positions is not None else 0)
    return self.epoch + (served >= len(self._order))

  @property
  def example_shape(self):
    return tuple(self.reader.example_shape)

  def reader_view(self):
    return self.reader.read, lambda batch: to_unit_range(batch, self.source)

  def reload(self):
    """Page in the next chunk of this epoch (a new shuffled epoch after the last chunk)."""
    if self._positions is not None:
      self._chunk_start += len(self._positions)
    if self._chunk_start >= len(self._order):
      self.epoch += 1
      self._order = self._new_order(self.reader.num_examples)
      self._chunk_start = 0
    self._load_chunk()
    self._offset = 0

  def _load_chunk(self):
    wanted = self._order[self._chunk_start:self._chunk_start + self.chunk_size]
    if self.whole:
      if self._chunk is None:
        self._chunk = self.reader.read(np.arange(self.reader.num_examples))
      self._positions = wanted
      return
    self._chunk = self._positions = None      # the old chunk goes before the next arrives
    sorted_indices = np.sort(wanted)
    pending, self._next = self._next, None
    data = pending[1].result() if pending else None
    if pending is None or pending[0] != (self.epoch, self._chunk_start):
      data = self.reader.read(sorted_indices)   # (a stale prefetch is awaited first: one reader)
    self._chunk, self._positions = data, np.searchsorted(sorted_indices, wanted)
    start = self._chunk_start + self.chunk_size
    if self._pool is not None and start < len(self._order):
      indices = np.sort(self._order[start:start + self.chunk_size])
      self._next = ((self.epoch, start), self._pool.submit(self.reader.read, indices))

  def image_sample(self, batch):
    if self._positions is None:
      self._load_chunk()
    parts, needed = [], batch
    while needed:
      if self._offset == len(self._positions):
        self.reload()
      take = min(needed, len(self._positions) - self._offset)
      parts.append(self._chunk[self._positions[self._offset:self._offset + take]])
      self._offset += take
      needed -= take
    return to_unit_range(np.concatenate(parts), self.source)

  def state(self):
    return dict(super().state(), chunk_start=self._chunk_start, offset=self._offset,
                **self._order_state())

  def check_state(self, state):
    super().check_state(state)
    self._check_order_state(state, self.reader.num_examples)
    start, offset = state.get('chunk_start'), state.get('offset')
    if not isinstance(start, int) or not 0 <= start <= self.reader.num_examples:
      raise ValueError(f'data chunk start {start!r} does not fit {self.num_examples} examples')
    if not isinstance(offset, int) or not 0 <= offset <= self.chunk_size:
      raise ValueError(f'data offset {offset!r} does not fit chunks of {self.chunk_size}')

  def set_state(self, state):
    super().set_state(state)
    self._order = self._restore_order(state, self.reader.num_examples)
    self._chunk_start = int(state['chunk_start'])
    self._offset = int(state['offset'])
    if self._next is not None:
      self._next[1].result()                # one reader at a time
      self._next = None
    self._load_chunk()


def _require_path(config, name):
  if not config.data_path:
    raise UserError(f'--data={name} needs --data_path')
  return config.data_path


@register_source('folder')
def folder_source(config, seed):
  path = _require_path(config, 'folder')
  reader = FolderReader(path, getattr(config, 'image_size', 64), getattr(config, 'image_channels', 3))
  return ChunkedSampler(reader, seed, config.data_chunk_size, source=path)


@register_source('npz')
def npz_source(config, seed):
  path = _require_path(config, 'npz')
  return ChunkedSampler(NpzReader(path, config.data_key), seed, config.data_chunk_size, source=path)


@register_source('hdf5')
def hdf5_source(config, seed):
  path = _require_path(config, 'hdf5')
  return ChunkedSampler(Hdf5Reader(path, config.data_key), seed, config.data_chunk_size,
                        source=path)
