"""keras-GAN DCGAN with the "frozen discriminator" compile trick (MISSION style D).

GANs in Action, chapter 4, in Keras ``Sequential`` / ``compile`` / ``train_on_batch`` form:
the discriminator is compiled, then ``discriminator.trainable = False``, then the combined
generator -> discriminator model is compiled (the freeze only affects models compiled after it).
Each iteration: D on real (label 1), D on ``generator.predict(z)`` (label 0), combined on z (label 1).

``--bn`` picks the BatchNormalization class. ``v1`` (``tf.compat.v1.keras.layers``) behaves like
the original Keras 2: a frozen layer still normalises with batch statistics while training. ``v2``
(``tf.keras.layers``) switches to inference mode whenever ``trainable`` is False, so inside the
combined model the frozen D normalises with its moving statistics while D itself trains on batch
statistics — the documented TF2 failure.
"""
import dataclasses
import warnings

import numpy as np
from absl import logging

from graphgan.engine.compat import tf, keras, K
from graphgan.engine.config import TrainConfig, hparam
from graphgan.engine.evaluation import quality
from graphgan.engine.model import Model
from graphgan.engine.registry import register

BATCH_NORM_CLASSES = {
    'v1': tf.compat.v1.keras.layers.BatchNormalization,   # never switches on ``trainable``
    'v2': keras.layers.BatchNormalization,                # inference mode when not trainable
}
IMAGE_SHAPE = (28, 28, 1)
PROGRESS_FORMAT = '%d [D loss: %f, acc.: %.2f%%] [G loss: %f]'   # the book's line
ADAM_DEFAULT_LEARNING_RATE = 0.001   # the book compiles both models with Adam()'s defaults


def build_generator(z_dim, batch_norm):
  """Dense 7x7x256 -> transposed convolutions 14x14x128, 14x14x64, 28x28x1 -> tanh."""
  return keras.Sequential([
      keras.layers.Dense(256 * 7 * 7, input_dim=z_dim),
      keras.layers.Reshape((7, 7, 256)),
      keras.layers.Conv2DTranspose(128, kernel_size=3, strides=2, padding='same'),
      batch_norm(),
      keras.layers.LeakyReLU(alpha=0.01),
      keras.layers.Conv2DTranspose(64, kernel_size=3, strides=1, padding='same'),
      batch_norm(),
      keras.layers.LeakyReLU(alpha=0.01),
      keras.layers.Conv2DTranspose(1, kernel_size=3, strides=2, padding='same'),
      keras.layers.Activation('tanh'),
  ], name='generator')


def build_discriminator(image_shape, batch_norm):
  """Three stride-2 convolutions (32, 64, 128; BN on the last two) -> one sigmoid unit."""
  return keras.Sequential([
      keras.layers.Conv2D(32, kernel_size=3, strides=2, input_shape=image_shape, padding='same'),
      keras.layers.LeakyReLU(alpha=0.01),
      keras.layers.Conv2D(64, kernel_size=3, strides=2, padding='same'),
      batch_norm(),
      keras.layers.LeakyReLU(alpha=0.01),
      keras.layers.Conv2D(128, kernel_size=3, strides=2, padding='same'),
      batch_norm(),
      keras.layers.LeakyReLU(alpha=0.01),
      keras.layers.Flatten(),
      keras.layers.Dense(1, activation='sigmoid'),
  ], name='discriminator')


def build_compiled_models(z_dim, image_shape, bn, learning_rate=ADAM_DEFAULT_LEARNING_RATE):
  """(generator, discriminator, gan) compiled in the documented order around the freeze."""
  batch_norm = BATCH_NORM_CLASSES[bn]
  adam = lambda: tf.compat.v1.keras.optimizers.Adam(learning_rate=learning_rate)
  discriminator = build_discriminator(image_shape, batch_norm)
  discriminator.compile(loss='binary_crossentropy', optimizer=adam(), metrics=['accuracy'])
  generator = build_generator(z_dim, batch_norm)
  discriminator.trainable = False          # takes effect only in models compiled from now on
  gan = keras.Sequential([generator, discriminator], name='gan')
  gan.compile(loss='binary_crossentropy', optimizer=adam())
  return generator, discriminator, gan


def make_keras_functions(generator, discriminator, gan):
  """Build the functions ``train_on_batch``/``predict`` would build lazily (no ops after this).

  They are built after the freeze, exactly as the first ``train_on_batch`` call would build them,
  so which BatchNormalization updates each one runs is what Keras decides at that point.
  """
  with warnings.catch_warnings():         # Keras' own deprecation notice about state_updates
    warnings.filterwarnings('ignore', message='.*state_updates', category=UserWarning)
    discriminator._make_train_function()   # pylint: disable=protected-access
    gan._make_train_function()             # pylint: disable=protected-access
    generator._make_predict_function()     # pylint: disable=protected-access


@register('dcgan')
class DCGAN(Model):
  """The chapter-4 DCGAN; ``iteration`` is the book's loop body."""

  @dataclasses.dataclass(frozen=True)
  class Config(TrainConfig):
    train_steps: int = hparam(20000, 'Training iterations (one D real + D fake + combined '
                              'train_on_batch each), counted across resumes.', lower=1)
    batch_size: int = hparam(128, 'Images per train_on_batch call.', lower=1)
    z_dim: int = hparam(100, 'Generator noise dimension (N(0, 1)).', lower=1)
    learning_rate: float = hparam(ADAM_DEFAULT_LEARNING_RATE, 'Adam learning rate of the '
                                  'discriminator and the combined model (the book: Adam() '
                                  'defaults).', lower=0.0, lower_exclusive=True)
    bn: str = hparam('v1', 'BatchNormalization class: v1 = tf.compat.v1.keras (original Keras 2 '
                     'semantics, trains), v2 = tf.keras (inference mode when frozen, fails).',
                     choices=['v1', 'v2'])
    log_every_steps: int = hparam(1000, 'Book-format loss/accuracy line every N iterations.',
                                  lower=1)
    sample_every_steps: int = hparam(1000, 'PNG sample grid every N iterations (0 = only at the '
                                     'end).', lower=0)
    save_every_steps: int = hparam(1000, 'Checkpoint every N iterations (and at the end).',
                                   lower=1)
    export_every_epochs: int = hparam(0, 'Save Keras HDF5 weights (g_/d_{epoch}epoch.h5) every N '
                                      'epochs (0 = off; an epoch of glyphs28 is 157 iterations).',
                                      lower=0)

  default_data = 'glyphs28'
  sample_kind = 'images'
  towers_refusal = 'Keras compile/train_on_batch builds its own train functions'
  example_shape = IMAGE_SHAPE

  def build(self):
    config = self.config
    self.generator, self.discriminator, self.gan = build_compiled_models(
        config.z_dim, IMAGE_SHAPE, config.bn, config.learning_rate)
    make_keras_functions(self.generator, self.discriminator, self.gan)
    self.real = np.ones((config.batch_size, 1), dtype=np.float32)
    self.fake = np.zeros((config.batch_size, 1), dtype=np.float32)
    self.sample_noise = np.random.default_rng(config.seed + 1).standard_normal(
        (64, config.z_dim)).astype(np.float32)

  def networks(self):
    # Keras train_on_batch runs the layer updates it collected itself; the engine's update-op
    # check is about hand-built train ops and does not apply here.
    return []

  def before_finalize(self, sess):
    K.get_session()   # Keras creates its variable-initialisation bookkeeping on first use
    for model in (self.discriminator, self.gan):
      model.reset_metrics()   # train_on_batch resets metrics through lazily made assign ops

  def iteration(self, sess, step):
    """One book iteration; ``step`` counts from 0, the book's line prints ``step + 1``."""
    del sess   # Keras runs in the session the engine shared with it (K.set_session)
    batch, z_dim = self.config.batch_size, self.config.z_dim
    images = self.data.image_sample(batch)
    fakes = self.generator.predict(self.data.noise_sample(batch, z_dim), batch_size=batch)
    d_loss_real, d_acc_real = self.discriminator.train_on_batch(images, self.real)
    d_loss_fake, d_acc_fake = self.discriminator.train_on_batch(fakes, self.fake)
    d_loss, d_acc = 0.5 * (d_loss_real + d_loss_fake), 0.5 * (d_acc_real + d_acc_fake)
    g_loss = self.gan.train_on_batch(self.data.noise_sample(batch, z_dim), self.real)
    losses = dict(d_loss=float(d_loss), d_acc=float(d_acc), g_loss=float(g_loss),
                  d_loss_real=float(d_loss_real), d_loss_fake=float(d_loss_fake))
    if (step + 1) % self.config.log_every_steps == 0:
      logging.info(format_progress(step + 1, losses))
    return losses

  def sample(self, sess, num):
    noise = self.sample_noise[:num]
    if len(noise) < num:
      noise = np.random.default_rng(self.config.seed + 2).standard_normal(
          (num, self.config.z_dim)).astype(np.float32)
    return self.generator.predict(noise, batch_size=min(num, 128))

  def keras_exports(self):
    return {'g': self.generator, 'd': self.discriminator}

  def final_report(self, sess):
    """Sample quality of 1,000 fixed-noise images on glyphs28 (``engine/evaluation/quality.py``)."""
    return quality.sample_quality_report(self, sess)


def format_progress(iteration, losses):
  """The book's progress line: ``1000 [D loss: 0.235, acc.: 92.60%] [G loss: 4.60]``."""
  return PROGRESS_FORMAT % (iteration, losses['d_loss'], 100.0 * losses['d_acc'],
                            losses['g_loss'])
