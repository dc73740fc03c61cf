"""A data set's fingerprint: recorded in the run directory (``data.json``), checked on resume.

A run continues one configuration; a data set whose files changed under it (same shape, other
pixels) would make it neither the old run nor a new one. The fingerprint is cheap: the number and
shape of the examples, a hash of every example when there are at most ``FULL_HASH_BELOW``, else of
``SAMPLED`` of them spread over the set, and what the source adds (a folder: every file's size).
Endless generated data (the 2-D mixtures) has none: its settings are in ``flags.txt``.
"""
import hashlib
import json

import numpy as np

FULL_HASH_BELOW = 4096     # examples: hash them all
SAMPLED = 64               # examples hashed in a larger set
READ_BLOCK = 256


def fingerprint(sampler):
  """{examples, example_shape, hashed, sha256[, sizes]} of ``sampler``'s data set, or None."""
  view = sampler.reader_view()
  if view is None:
    return None
  read, _ = view
  count = sampler.num_examples
  if count <= FULL_HASH_BELOW:
    indices, hashed = np.arange(count), 'all'
  else:
    indices = np.unique(np.linspace(0, count - 1, SAMPLED).round().astype(np.int64))
    hashed = f'{len(indices)} of {count}, evenly spaced'
  digest = hashlib.sha256()
  for start in range(0, len(indices), READ_BLOCK):
    block = np.ascontiguousarray(read(indices[start:start + READ_BLOCK]))
    digest.update(str(block.dtype).encode() + block.tobytes())
  found = {'examples': int(count), 'example_shape': list(sampler.example_shape),
           'hashed': hashed, 'sha256': digest.hexdigest()}
  found.update(sampler.fingerprint_extra())
  return found


def differences(recorded, now):
  """What changed between two fingerprints, in words (empty: the same data set)."""
  changed = []
  for key, words in (('examples', 'examples'), ('example_shape', 'example shape'),
                     ('sizes', 'file sizes'), ('sha256', f'hash of {now.get("hashed")} examples')):
    if recorded.get(key) != now.get(key):
      if key in ('examples', 'example_shape'):
        changed.append(f'{words} {recorded.get(key)} then, {now.get(key)} now')
      else:
        changed.append(f'{words} differ')
  return changed


def dumps(value):
  return json.dumps(value, indent=1) + '\n'
