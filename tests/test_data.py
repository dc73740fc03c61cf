"""Data sources: embedded shapes, folder/npz/HDF5 loaders, chunked streaming, exact resume."""
import json
import threading
import time

import h5py
import numpy as np
import pytest
from PIL import Image

from graphgan.engine.config import TrainConfig, make_config
from graphgan.engine.data import make_source
from graphgan.engine.data.loaders import ChunkedSampler, FolderReader, NpzReader
from graphgan.engine.data.shapes import CLASS_NAMES, shape_images
from graphgan.engine.errors import UserError


def _config(**overrides):
  return make_config(TrainConfig, overrides)


def test_embedded_shapes_are_deterministic_with_all_classes():
  images, labels = shape_images(64, seed=5)
  again, labels_again = shape_images(64, seed=5)
  assert images.shape == (64, 64, 64, 3) and images.dtype == np.uint8
  np.testing.assert_array_equal(images, again)
  np.testing.assert_array_equal(labels, labels_again)
  assert set(labels) == set(range(len(CLASS_NAMES)))
  assert not np.array_equal(images, shape_images(64, seed=6)[0])


def test_unknown_source_lists_the_valid_ones():
  with pytest.raises(UserError, match='shapes64'):
    make_source('nope', _config(), 0)


def _serve(sampler, batches, size):
  return np.concatenate([sampler.image_sample(size) for _ in range(batches)])


def test_chunked_npz_serves_every_example_once_per_epoch(tmp_path):
  images = np.arange(10 * 2 * 2, dtype=np.uint8).reshape(10, 2, 2, 1) * 3
  np.savez(tmp_path / 'd.npz', x_train=images)
  sampler = ChunkedSampler(NpzReader(str(tmp_path / 'd.npz')), seed=1, chunk_size=4)
  served = _serve(sampler, 5, 2)          # one epoch of 10 examples in chunks of 4, 4, 2
  first_pixels = sorted(((served[:, 0, 0, 0] + 1) * 127.5).round().astype(int))
  assert first_pixels == sorted(images[:, 0, 0, 0].astype(int))
  assert sampler.epoch == 0
  sampler.image_sample(1)
  assert sampler.epoch == 1


def _npz(tmp_path, count=23):
  images = (np.random.default_rng(0).random((count, 4, 4, 3)) * 255).astype(np.uint8)
  np.savez(tmp_path / 'd.npz', images=images)
  return str(tmp_path / 'd.npz')


def test_sampler_state_resumes_the_same_sequence(tmp_path):
  config = _config(data_path=_npz(tmp_path), data_chunk_size=5)
  sampler = make_source('npz', config, 7)
  _serve(sampler, 3, 4)
  state = sampler.state()
  expected = _serve(sampler, 9, 4)
  resumed = make_source('npz', config, 7)
  resumed.set_state(state)
  np.testing.assert_array_equal(_serve(resumed, 9, 4), expected)


@pytest.mark.parametrize('chunk_size', [0, 5])
def test_a_checkpoints_data_state_does_not_grow_with_the_data_set(tmp_path, chunk_size):
  """The epoch's order is re-derived from the RNG state it was drawn from (issue 32): the state
  of 23 and of 23,000 examples is the same size, and either resumes the same batches."""
  sizes = {}
  for count in (23, 23000):
    images = (np.random.default_rng(0).random((count, 2, 2, 1)) * 255).astype(np.uint8)
    np.savez(tmp_path / f'{count}.npz', images=images)
    config = _config(data_path=str(tmp_path / f'{count}.npz'), data_chunk_size=chunk_size)
    sampler = make_source('npz', config, 7)
    _serve(sampler, 9, 4)                 # past an epoch of 23
    state = sampler.state()
    expected = _serve(sampler, 9, 4)
    resumed = make_source('npz', config, 7)
    resumed.set_state(json.loads(json.dumps(state)))
    np.testing.assert_array_equal(_serve(resumed, 9, 4), expected)
    sizes[count] = len(json.dumps(state))
  # The RNG states' 128-bit integers vary in digits; the whole order of 23,000 would be ~150 KB.
  assert max(sizes.values()) < 600, sizes


def test_an_older_sidecar_with_the_whole_order_still_resumes(tmp_path):
  config = _config(data_path=_npz(tmp_path), data_chunk_size=5)
  sampler = make_source('npz', config, 7)
  _serve(sampler, 3, 4)
  state = sampler.state()
  older = dict(state, order=sampler._order.tolist())   # pylint: disable=protected-access
  del older['order_rng']                                  # as written before the evening of 2026-12-07
  expected = _serve(sampler, 9, 4)
  resumed = make_source('npz', config, 7)
  resumed.set_state(older)
  assert 'order' in resumed.state()     # its order came from the file: kept whole this epoch
  np.testing.assert_array_equal(_serve(resumed, 9, 4), expected)
  assert 'order' not in resumed.state()          # a new epoch's order: its RNG state again


class _RecordingReader(NpzReader):
  """An npz reader that notes the thread of each read."""

  def __init__(self, path):
    super().__init__(path)
    self.threads = []

  def read(self, sorted_indices):
    self.threads.append(threading.current_thread().name)
    return super().read(sorted_indices)


@pytest.mark.parametrize('chunk_size', [5, 23])
def test_prefetch_serves_exactly_the_batches_of_no_prefetch_and_resumes_them(tmp_path, chunk_size):
  path = _npz(tmp_path)
  plain = ChunkedSampler(NpzReader(path), seed=3, chunk_size=chunk_size, prefetch=False)
  ahead = ChunkedSampler(NpzReader(path), seed=3, chunk_size=chunk_size)
  np.testing.assert_array_equal(_serve(ahead, 11, 4), _serve(plain, 11, 4))   # two epochs
  state = json.loads(json.dumps(ahead.state()))
  expected = _serve(plain, 17, 4)
  resumed = ChunkedSampler(NpzReader(path), seed=3, chunk_size=chunk_size)
  resumed.set_state(state)
  np.testing.assert_array_equal(_serve(resumed, 17, 4), expected)
  np.testing.assert_array_equal(_serve(ahead, 17, 4), expected)


def _wait_for_reads(reader, count):
  """Until the background thread has started ``count`` reads (it runs on its own time)."""
  deadline = time.monotonic() + 10
  while len(reader.threads) < count and time.monotonic() < deadline:
    time.sleep(0.01)


def test_the_next_chunk_is_read_in_the_background_while_this_one_is_served(tmp_path):
  reader = _RecordingReader(_npz(tmp_path))
  sampler = ChunkedSampler(reader, seed=3, chunk_size=5)
  sampler.image_sample(1)                              # chunk 1 read: chunk 2 is on its way
  _wait_for_reads(reader, 2)
  assert reader.threads[0] == threading.current_thread().name
  assert reader.threads[1].startswith('prefetch'), reader.threads
  _serve(sampler, 3, 2)                                # into chunk 2: no read of its own,
  _wait_for_reads(reader, 3)                           # and chunk 3 on its way
  assert len(reader.threads) == 3 and all(t.startswith('prefetch') for t in reader.threads[1:])


def test_a_whole_set_is_decoded_once_and_re_permuted_each_epoch(tmp_path):
  reader = _RecordingReader(_npz(tmp_path))
  sampler = ChunkedSampler(reader, seed=3, chunk_size=0)
  epochs = [_serve(sampler, 23, 1)]
  decoded = sampler._chunk                                  # pylint: disable=protected-access
  epochs += [_serve(sampler, 23, 1) for _ in range(3)]
  assert sampler.epoch == 3 and len(reader.threads) == 1   # one read for four epochs
  assert sampler._chunk is decoded and len(decoded) == 23  # pylint: disable=protected-access
  assert not np.array_equal(epochs[0], epochs[1])           # another order each epoch
  np.testing.assert_array_equal(np.sort(epochs[0], axis=0), np.sort(epochs[3], axis=0))


def test_a_generated_folder_is_decoded_once_read_ahead_in_chunks_and_its_state_is_small(tmp_path):
  """The scale mechanisms on a folder of PNGs (issue 32; the 50,000/200,000-file numbers are the
  data bench's, docs/usage.md): a whole set is read once for three epochs; chunks after the first
  are read by the prefetch thread; the state is the same size for 40 and 400 files."""
  sizes = {}
  for count in (40, 400):
    folder = tmp_path / str(count)
    folder.mkdir()
    pixels = (np.random.default_rng(count).random((count, 8, 8, 3)) * 255).astype(np.uint8)
    for i, image in enumerate(pixels):
      Image.fromarray(image).save(folder / f'{i:04d}.png')
    reads = []

    class Recording(FolderReader):
      def read(self, sorted_indices):
        reads.append((threading.current_thread().name, len(sorted_indices)))
        return super().read(sorted_indices)

    whole = ChunkedSampler(Recording(str(folder), 8), seed=1, chunk_size=0)
    _serve(whole, 3 * count // 8, 8)
    assert whole.epoch == 2 and reads == [(threading.current_thread().name, count)]
    reads.clear()
    chunked = ChunkedSampler(Recording(str(folder), 8), seed=1, chunk_size=10)
    _serve(chunked, count // 8 - 1, 8)                  # most of one epoch, chunk by chunk
    assert all(name.startswith('prefetch') for name, _ in reads[1:]) and len(reads) >= 3
    sizes[count] = len(json.dumps(chunked.state()))
  assert max(sizes.values()) < 600, sizes


def test_hdf5_and_folder_sources(tmp_path):
  images = (np.random.default_rng(1).random((6, 8, 8, 3)) * 255).astype(np.uint8)
  with h5py.File(tmp_path / 'd.h5', 'w') as handle:
    handle.create_dataset('images', data=images)
  h5 = make_source('hdf5', _config(data_path=str(tmp_path / 'd.h5'), data_chunk_size=4), 0)
  assert h5.example_shape == (8, 8, 3) and h5.num_examples == 6
  assert h5.image_sample(6).min() >= -1.0
  folder = tmp_path / 'images' / 'nested'
  folder.mkdir(parents=True)
  for i, image in enumerate(images):
    Image.fromarray(np.repeat(image, 4, axis=0)).save(folder / f'{i}.png')   # 32x8: cropped
  source = make_source('folder', _config(data_path=str(tmp_path / 'images')), 0)
  batch = source.image_sample(6)
  assert batch.shape == (6, 64, 64, 3) and batch.dtype == np.float32


@pytest.mark.parametrize('array, message', [
    (np.zeros((3, 4, 4, 2), np.uint8), 'expected images shaped'),
    (np.zeros((3, 4), np.uint8), 'expected images shaped'),
    (np.full((3, 4, 4, 1), 7.0, np.float32), 'must lie in'),
])
def test_bad_arrays_are_one_line_errors(tmp_path, array, message):
  np.savez(tmp_path / 'd.npz', x=array)
  with pytest.raises(UserError, match=message):
    make_source('npz', _config(data_path=str(tmp_path / 'd.npz')), 0).image_sample(2)
