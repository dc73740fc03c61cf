"""Samples from a run's saved checkpoints: what the generator drew at several points of training.

The run's graph is rebuilt from its ``flags.txt`` (the engine's ``Session``, as ``bin/train``
builds it) and each ``checkpoints/model.ckpt-N`` is restored with a tf1 Saver over the variables
the checkpoint holds; ``model.sample`` then draws from its fixed noise.
"""
import os

from graphgan.engine import registry
from graphgan.engine.compat import tf1
from graphgan.engine.config import make_config
from graphgan.engine.run import loop
from graphgan.experiments import collect, flagfiles


def pick(steps, count):
  """Up to ``count`` of ``steps`` spread evenly, always the last."""
  steps = sorted(steps)
  if len(steps) <= count:
    return steps
  return sorted({steps[round(i * (len(steps) - 1) / (count - 1))] for i in range(count)})


def samples_at(run_dir, steps, num):
  """({step: samples}, data sampler) for checkpoints at ``steps`` of the run in ``run_dir``."""
  model_name, values = flagfiles.read_flags_txt(os.path.join(run_dir, 'flags.txt'))
  model_cls = registry.get(model_name)
  session = loop.Session(model_cls, make_config(model_cls.Config, values))
  prefixes = collect.checkpoint_steps(run_dir)
  try:
    with session.graph.as_default():
      held = set(tf1.train.load_checkpoint(prefixes[steps[0]]).get_variable_to_shape_map())
      saver = tf1.train.Saver({v.op.name: v for v in tf1.global_variables() if v.op.name in held})
    session.prepare(restore=lambda sess: saver.restore(sess, prefixes[steps[0]]))
    drawn = {}
    with session.graph.as_default():
      for step in steps:
        saver.restore(session.sess, prefixes[step])
        drawn[step] = session.model.sample(session.sess, num)
    return drawn, session.data
  finally:
    session.close()
