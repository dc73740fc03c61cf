"""The contract between a training style and the engine's loop.

A model reads like the write-up it reproduces: ``build`` creates networks, losses and every op the
loop will run (the graph is finalized right after); ``iteration`` runs one training iteration
with those prebuilt ops and returns the losses to log. The engine owns the graph, seeding, the
session (shared with Keras), checkpoints, data position, summaries, samples and HDF5 exports.
"""
import numpy as np

from graphgan.engine.config import TrainConfig


class Model:
  """Base class; subclasses are registered with ``@engine.registry.register('name')``."""

  name = None                 # set by the registry
  Config = TrainConfig        # a TrainConfig subclass holding the documented defaults
  default_data = None         # embedded data source used when --data=embedded
  sample_kind = 'images'      # 'images' (NHWC in [-1, 1]) or 'points' (N x 2)
  supports_towers = False     # builds its losses with engine.towers for --num_gpus > 1
  towers_refusal = 'its training style has no tower form'   # why not, for the error message

  def __init__(self, config, data):
    self.config = config
    self.data = data

  # -- graph -------------------------------------------------------------------------------
  def build(self):
    """Create networks, losses, train ops, counters. Called once, inside the engine's graph."""
    raise NotImplementedError

  def networks(self):
    """Networks whose update ops must each be run by some train op (engine checks)."""
    return []

  def allow_unused_update_ops(self):
    """True only for styles that reproduce the unused-update-ops bug on purpose."""
    return False

  def before_finalize(self, sess):
    """Last chance to create ops that need a session (Keras functions, assign placeholders)."""

  # -- loop --------------------------------------------------------------------------------
  def iteration(self, sess, step):
    """Run one training iteration (prebuilt ops only); return {loss_name: float}."""
    raise NotImplementedError

  def logged_tensors(self):
    """{TensorBoard tag: scalar tensor} written with the losses (learning rates, say)."""
    return {}

  def sample(self, sess, num):
    """Samples for the grid: images NHWC in [-1, 1] or points N x 2 (fixed noise)."""
    return np.zeros((0,))

  sample_export = 'g'         # the keras_exports() key of the network ``sample`` draws with

  def keras_exports(self):
    """{prefix: keras.Model} exported as ``{prefix}_{epoch}epoch.h5`` after each epoch."""
    return {}

  def final_report(self, sess):
    """Optional metrics at the end of training: {name: float}."""
    return {}
