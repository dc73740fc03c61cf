"""WGAN benchmark: the engine vs the documented loop vs a minimal hand-written loop.

All three run on the same graph, networks, batch and data in one process, interleaved in rounds:
- engine: the engine's loop (``engine.loop``) running ``WGAN.iteration`` with its bookkeeping;
- documented: numpy clipping before each critic step (``get_weights`` -> ``np.clip`` ->
  ``set_weights`` of every critic weight, as the documented code did) and a separate ``sess.run``
  for each loss;
- minimal: the engine's prebuilt ops in a bare ``sess.run`` loop (no logging, no checks).
"""
import numpy as np

from graphgan.engine.config import make_config
from graphgan.engine.run import checkpoint, loop, rundir
from graphgan.engine.tools import timing
from graphgan.models.wgan import WGAN


def _documented_iteration(model, sess):
  config, data, critic = model.config, model.data, model.discriminator.model
  lp = {model.learning_phase: 1}
  for _ in range(config.critic_steps):
    critic.set_weights([np.clip(w, -config.clip_value, config.clip_value)
                        for w in critic.get_weights()])
    feed = {model.real: data.image_sample(config.batch_size),
            model.z: data.noise_sample(config.batch_size, config.z_dim), **lp}
    sess.run(model.train_discriminator, feed)
    sess.run(model.loss_tensors['d_loss'], feed)
  feed = {model.z: data.noise_sample(config.batch_size, config.z_dim), **lp}
  sess.run(model.train_generator, feed)
  sess.run(model.loss_tensors['g_loss'], feed)


def _minimal_iteration(model, sess):
  config, data = model.config, model.data
  lp = {model.learning_phase: 1}
  sess.run(model.constrain)
  for i in range(config.critic_steps):
    train = model.train_discriminator if i == config.critic_steps - 1 else model.train_discriminator_then_constrain
    sess.run([train, model.loss_tensors['d_loss']], {
        model.real: data.image_sample(config.batch_size),
        model.z: data.noise_sample(config.batch_size, config.z_dim), **lp})
  sess.run([model.train_generator, model.loss_tensors['g_loss']],
           {model.z: data.noise_sample(config.batch_size, config.z_dim), **lp})


def bench_wgan(iterations=20, rounds=3, warmup=3, **overrides):
  """Print seconds per generator iteration for the three loops and their ratios."""
  model_cls = WGAN
  with timing.temporary_run_dir() as run_dir:
    settings = dict(run_dir=run_dir, summary_every_steps=0, sample_every_steps=0,
                    export_every_epochs=0, log_every_steps=10 ** 9, save_every_steps=10 ** 9,
                    train_steps=10 ** 9)
    settings.update(overrides)
    config = make_config(model_cls.Config, settings)
    session = loop.Session(model_cls, config)
    with session.graph.as_default():
      saver = checkpoint.CheckpointManager(run_dir, 1)
    session.prepare()
    model, sess = session.model, session.sess
    times = {'engine': [], 'documented (numpy clip)': [], 'minimal sess.run loop': []}
    with session.graph.as_default():
      for _ in range(warmup):
        _minimal_iteration(model, sess)
        _documented_iteration(model, sess)
      # The three loops take turns every iteration, so a load change on a busy machine falls on
      # all of them alike (timed in blocks, two runs of identical work gave ratios 0.79 and 1.16).
      for _ in range(rounds * iterations):
        result = loop.TrainLoop(session, saver, rundir.RunDirectory(run_dir), None, 2).run()
        times['engine'].append(result.step_seconds[0])     # the second one ends with a save
        for name, fn in (('documented (numpy clip)', _documented_iteration),
                         ('minimal sess.run loop', _minimal_iteration)):
          times[name].append(timing.time_iterations(lambda _, f=fn: f(model, sess), 1, 0)['median'])
    session.close()
  rows = {name: timing.summarize(seconds) for name, seconds in times.items()}
  print(f'wgan: batch {config.batch_size}, widths g{config.g_base_channels}/'
        f'd{config.d_base_channels}, {config.critic_steps} critic steps, {rounds} rounds x '
        f'{iterations} iterations (the loops take turns every iteration)')
  timing.print_table('seconds per generator iteration:', rows, 'engine')
  engine = rows['engine']['median']
  print(f'documented / engine = {rows["documented (numpy clip)"]["median"] / engine:.3f}   '
        f'(>1: the engine is faster than the documented loop)')
  print(f'engine / minimal    = {engine / rows["minimal sess.run loop"]["median"]:.3f}   '
        f'(engine overhead over a bare loop on the same ops)')
  return rows
