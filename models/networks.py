"""Shared Keras network builders (Functional API): DCGAN-style 64x64 generator and critic.

Both follow the DCGAN recipe the documented WGAN code uses: 4x4 kernels, stride 2, 'same' padding.
The generator maps z to a 4x4 map and doubles it four times to 64x64x3 (tanh); the critic halves
64x64 four times to 4x4 and ends in one unbounded score (no sigmoid: a Wasserstein critic).
``base_channels`` is the width of the outermost hidden layer (DCGAN: 64); the inner layers double it.
"""
import dataclasses

from graphgan.engine.compat import keras, tf
from graphgan.engine.config import hparam
from graphgan.engine.gan import GANConfig
from graphgan.engine.errors import UserError

_NORMS = ('batch', 'layer', 'layer_per_pixel', 'none')
LAYER_NORM_EPSILON = 1e-5   # the WGAN-GP authors' tflib/ops/layernorm.py


@dataclasses.dataclass(frozen=True)
class ImageNetworkConfig(GANConfig):
  """Settings of the DCGAN-style image networks, shared by the models that build them."""
  g_base_channels: int = hparam(64, 'Generator width: channels of its last hidden layer '
                                '(inner layers x2, x4, x8).', lower=1)
  d_base_channels: int = hparam(64, 'Critic width: channels of its first layer.', lower=1)
  image_size: int = hparam(64, 'Image side in pixels (multiple of 16); image folders are '
                           'resized to it.', lower=16, multiple_of=16)
  embedded_size: int = hparam(2048, 'Images in the embedded shapes64 data set.', lower=1)


@dataclasses.dataclass(frozen=True)
class GANNetworkConfig(ImageNetworkConfig):
  """Settings of ``gan_generator``/``gan_discriminator``: DCGAN-style networks for images, MLPs for 2-D points."""
  z_dim: int = hparam(100, 'Generator noise dimension.', lower=1)
  mlp_hidden_layers: int = hparam(3, 'Hidden ReLU layers of the point-data (2-D) MLPs.', lower=1)
  mlp_hidden_units: int = hparam(512, 'Units per hidden layer of the point-data MLPs.', lower=1)


class ExampleLayerNormalization(keras.layers.Layer):
  """Layer norm as the WGAN-GP authors' critic: each example normalised over (H, W, C).

  ``tflib/ops/layernorm.py`` (``Layernorm(name, [1, 2, 3], x)``): mean and variance per example
  over all its activations, one scale and one offset per channel, epsilon 1e-5, written with
  ``tf.nn.moments``/``tf.nn.batch_normalization`` so the gradient penalty can differentiate it
  twice. (Keras' ``LayerNormalization(axis=[1, 2, 3])`` normalises the same way but has a scale
  and offset per activation, H*W*C of each, and runs the fused batch-norm kernel whenever its
  epsilon is >= 1.001e-5.)
  """

  def __init__(self, epsilon=LAYER_NORM_EPSILON, **kwargs):
    super().__init__(**kwargs)
    self.epsilon = epsilon

  def build(self, input_shape):
    channels = int(input_shape[-1])
    self.gamma = self.add_weight('gamma', (channels,), initializer='ones')
    self.beta = self.add_weight('beta', (channels,), initializer='zeros')
    super().build(input_shape)

  def call(self, inputs):
    axes = list(range(1, inputs.shape.rank))
    mean, variance = tf.nn.moments(inputs, axes=axes, keepdims=True)
    return tf.nn.batch_normalization(inputs, mean, variance, self.beta, self.gamma, self.epsilon)

  def get_config(self):
    return dict(super().get_config(), epsilon=self.epsilon)


def _normalization(norm, name):
  """'layer': per example over (H, W, C), as the WGAN-GP authors; 'layer_per_pixel': Keras'
  default LayerNormalization (each pixel over its channels)."""
  if norm == 'batch':
    return keras.layers.BatchNormalization(name=name)
  if norm == 'layer':
    return ExampleLayerNormalization(name=name)
  if norm == 'layer_per_pixel':
    return keras.layers.LayerNormalization(name=name)
  if norm == 'none':
    return None
  raise ValueError(f'norm must be one of {_NORMS}, got {norm!r}')


PROJECTION_NORMS = ('per_unit', 'per_channel')


def dcgan_generator(z_dim=100, base_channels=64, image_shape=(64, 64, 3), norm='batch',
                    name='generator', projection_norm='per_channel'):
  """z -> Dense(4x4x8c) -> norm -> ReLU -> [ConvT(4, s2) -> norm -> ReLU] x3 -> ConvT(channels,
  4, s2) -> tanh.

  ``projection_norm``: where the Dense projection is normalised. 'per_unit': on the Dense output,
  before the Reshape, so each of its 4x4x8c units has its own statistics (the WGAN author's
  model.py); 'per_channel': after the Reshape, statistics per channel over the 4x4 map (DCGAN).
  """
  height, width, channels = image_shape
  if height != width or height % 16:
    raise ValueError(f'image side must be square and divisible by 16, got {image_shape}')
  if projection_norm not in PROJECTION_NORMS:
    raise ValueError(f'projection_norm must be one of {PROJECTION_NORMS}, got {projection_norm!r}')
  start = height // 16
  z = keras.Input((z_dim,), name='z')
  h = keras.layers.Dense(start * start * base_channels * 8, name='project')(z)
  reshape = keras.layers.Reshape((start, start, base_channels * 8))
  if projection_norm == 'per_channel':
    h = reshape(h)
  norm_layer = _normalization(norm, 'project_norm')
  if norm_layer is not None:
    h = norm_layer(h)
  h = keras.layers.ReLU()(h)
  if projection_norm == 'per_unit':
    h = reshape(h)
  for i, multiple in enumerate((4, 2, 1)):
    h = keras.layers.Conv2DTranspose(base_channels * multiple, 4, strides=2, padding='same',
                                     name=f'deconv{i}')(h)
    norm_layer = _normalization(norm, f'deconv{i}_norm')
    if norm_layer is not None:
      h = norm_layer(h)
    h = keras.layers.ReLU()(h)
  h = keras.layers.Conv2DTranspose(channels, 4, strides=2, padding='same', name='to_image')(h)
  images = keras.layers.Activation('tanh')(h)
  return keras.Model(z, images, name=name)


def dcgan_critic(base_channels=64, image_shape=(64, 64, 3), norm='batch', name='critic'):
  """image -> Conv(c, 4, s2) -> LReLU -> [Conv(4, s2) -> norm -> LReLU] x3 -> Dense(1), no sigmoid."""
  images = keras.Input(image_shape, name='image')
  h = keras.layers.Conv2D(base_channels, 4, strides=2, padding='same', name='conv0')(images)
  h = keras.layers.LeakyReLU(0.2)(h)
  for i, multiple in enumerate((2, 4, 8), start=1):
    h = keras.layers.Conv2D(base_channels * multiple, 4, strides=2, padding='same',
                            name=f'conv{i}')(h)
    norm_layer = _normalization(norm, f'conv{i}_norm')
    if norm_layer is not None:
      h = norm_layer(h)
    h = keras.layers.LeakyReLU(0.2)(h)
  h = keras.layers.Flatten()(h)
  score = keras.layers.Dense(1, name='score')(h)
  return keras.Model(images, score, name=name)


def mlp(input_dim, output_dim, hidden_layers, hidden_units, name):
  """Input -> [Dense(hidden_units) -> ReLU] x hidden_layers -> Dense(output_dim), linear output.

  Hidden layers use He-uniform initialisation, as the WGAN-GP authors' toy code (tflib Linear, 'he').
  """
  inputs = keras.Input((input_dim,), name='inputs')
  h = inputs
  for i in range(hidden_layers):
    h = keras.layers.Dense(hidden_units, activation='relu', kernel_initializer='he_uniform',
                           name=f'hidden{i}')(h)
  outputs = keras.layers.Dense(output_dim, name='outputs')(h)
  return keras.Model(inputs, outputs, name=name)


def _check_examples(example_shape, model_name):
  if len(example_shape) == 1:
    return
  if len(example_shape) != 3 or example_shape[0] % 16:
    raise UserError(f'--data: {model_name} needs 2-D points or square HxWxC images with a side '
                    f'divisible by 16; got examples of shape {tuple(example_shape)}')


def gan_generator(config, example_shape, model_name, norm='batch', name='generator'):
  """The generator following the data: an MLP for points, DCGAN-style for images.

  ``config`` is a ``GANNetworkConfig``; ``name`` is the Keras model's name.
  """
  c = config
  _check_examples(example_shape, model_name)
  if len(example_shape) == 1:
    return mlp(c.z_dim, example_shape[0], c.mlp_hidden_layers, c.mlp_hidden_units, name)
  return dcgan_generator(c.z_dim, c.g_base_channels, example_shape, norm=norm, name=name)


def gan_discriminator(config, example_shape, model_name, norm='batch', name='critic'):
  """The discriminator (critic) following the data, as ``gan_generator``."""
  c = config
  _check_examples(example_shape, model_name)
  if len(example_shape) == 1:
    return mlp(example_shape[0], 1, c.mlp_hidden_layers, c.mlp_hidden_units, name)
  return dcgan_critic(c.d_base_channels, example_shape, norm=norm, name=name)
