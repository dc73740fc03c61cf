"""The DCGAN v1-vs-v2 reproduction: train both BatchNormalization classes over seeds, then report.

``train_runs`` drives ``models.dcgan.DCGAN`` through the Model contract (build, before_finalize,
finalize, iteration) in a fresh graph per run, records every iteration's losses and snapshots
generated samples; ``report`` turns the run directories into curves, sample grids and the
quality table under ``docs/``. Training and reporting are separate so a report can be redrawn
from finished runs.
"""
import json
import os
import time

import numpy as np
from absl import logging

from engine.compat import tf, tf1, keras, K
from engine.config import make_config
from engine.data.source import make_source
from models.dcgan import DCGAN, format_progress

SAMPLE_COUNT = 1000     # generated images kept per snapshot (quality measure + grids)


def run_name(bn, seed):
  return f'{bn}-seed{seed}'


def train_run(bn, seed, iterations, batch_size, runs_dir, snapshot_every, data='glyphs28',
              data_path=''):
  """Train one (bn, seed) run; writes ``curve.json`` and ``samples_<iteration>.npy``."""
  out_dir = os.path.join(runs_dir, run_name(bn, seed))
  os.makedirs(out_dir, exist_ok=True)
  config = make_config(DCGAN.Config, dict(bn=bn, seed=seed, train_steps=iterations,
                                          batch_size=batch_size, data=data, data_path=data_path,
                                          log_every_steps=max(1, snapshot_every)))
  K.clear_session()
  graph = tf.Graph()
  with graph.as_default():
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = DCGAN(config, make_source(data, config, seed))
    model.build()
    noise = np.random.default_rng(10_000 + seed).standard_normal(
        (SAMPLE_COUNT, config.z_dim)).astype(np.float32)
    sess = tf1.Session(graph=graph)
    K.set_session(sess)
    model.before_finalize(sess)
    sess.run(tf1.global_variables_initializer())
    graph.finalize()
    curve, started = [], time.time()
    for step in range(iterations):
      losses = model.iteration(sess, step)
      curve.append([losses['d_loss'], losses['d_acc'], losses['g_loss']])
      if (step + 1) % snapshot_every == 0 or step + 1 == iterations:
        samples = model.generator.predict(noise, batch_size=250)
        np.save(os.path.join(out_dir, f'samples_{step + 1}.npy'), samples.astype(np.float16))
        logging.info('%s %s (%.0f s)', run_name(bn, seed), format_progress(step + 1, losses),
                     time.time() - started)
    sess.close()
  record = dict(bn=bn, seed=seed, iterations=iterations, batch_size=batch_size, data=data,
                seconds=time.time() - started, columns=['d_loss', 'd_acc', 'g_loss'], curve=curve)
  with open(os.path.join(out_dir, 'curve.json'), 'w') as f:
    json.dump(record, f)
  return record


def train_runs(bns, seeds, iterations, batch_size, runs_dir, snapshot_every, **data):
  """Every (bn, seed) run in turn, seed-major so partial results cover both classes."""
  for seed in seeds:
    for bn in bns:
      train_run(bn, seed, iterations, batch_size, runs_dir, snapshot_every, **data)
