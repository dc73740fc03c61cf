"""Parity: each write-up's own training loop and graphgan's model, from identical initial weights
and identical batches and noise, end bit-identical.

Each test ports a listing of ``../shared/seeds`` (or, where the write-up shows no code, the loop it
describes) to ``tf.compat.v1`` in a graph of its own, copies graphgan's initial weights into it,
feeds it what graphgan's sampler draws (a second sampler of the same seed, called in the
listing's order), runs ``ITERATIONS`` iterations of each and compares every weight. Changes to a
listing are only those TF 2.21 requires, or smaller sizes for a 2-core CPU; each test's docstring
lists them, and names the difference it allows and why. Every listing runs in a session with
graphgan's session options (``run/session.py: session_config``: Grappler's remapper off): a graph
rewrite, not the algorithm, but its fused kernels round differently from the unfused ones on AVX2
CPUs (measured: the WGAN test differs from iteration 1 on an AVX2 EPYC with the default session,
is bit-identical with these options).
"""
import numpy as np
import pytest

from graphgan.engine import registry
from graphgan.engine.compat import K, keras, tf, tf1
from graphgan.engine.config import make_config
from graphgan.engine.data import make_source
from graphgan.engine.run import loop
from graphgan.engine.run.session import session_config
from graphgan.engine.tools.recorded import cpu_instruction_set, device_kind

ITERATIONS = 20
QUIET = dict(summary_every_steps=0, sample_every_steps=0, log_every_steps=100000,
             export_every_epochs=0, eval_every_steps=0)


def _graphgan(model_name, run_dir, **overrides):
  """graphgan's Session of ``model_name``: (initial values of every variable by name, session)."""
  model_cls = registry.get(model_name)
  config = make_config(model_cls.Config, dict(QUIET, run_dir=str(run_dir), **overrides))
  built = loop.Session(model_cls, config)
  built.prepare()
  with built.graph.as_default():
    names = [v.name for v in tf1.global_variables()]
    initial = dict(zip(names, built.sess.run(tf1.global_variables())))
  return initial, built


def _train_graphgan(built, iterations=ITERATIONS):
  """The engine loop's iteration body: the sampler's hook, then the model's iteration."""
  with built.graph.as_default():
    for step in range(iterations):
      built.data.begin_iteration(step)
      built.model.iteration(built.sess, step)


def _values(sess, variables):
  return [np.asarray(v) for v in sess.run(list(variables))]


def _assert_bit_identical(ours, theirs, what):
  assert len(ours) == len(theirs), what
  for i, (a, b) in enumerate(zip(ours, theirs)):
    assert a.shape == b.shape and a.dtype == b.dtype, f'{what}[{i}]'
    assert np.array_equal(a, b), f'{what}[{i}]: max |difference| {np.max(np.abs(a - b)):.3g}'


# -- WGAN: the article's WassersteinGAN (seed 004) and the author's model.py / dataIO.py ----------
def author_generator(base, image_size=64):
  """model.py GeneratorDeconv (daigo0927/WGAN_GP at 43e1375); widths 8b, 4b, 2b, b (listing: b=64)."""
  L = image_size
  inputs = keras.layers.Input(shape=(100,))
  x = keras.layers.Dense(base * 8 * (L // 16) ** 2)(inputs)
  x = keras.layers.BatchNormalization()(x)
  x = keras.layers.Activation('relu')(x)
  x = keras.layers.Reshape((L // 16, L // 16, base * 8))(x)
  for channels in (base * 4, base * 2, base):
    x = keras.layers.Conv2DTranspose(channels, (4, 4), strides=(2, 2), padding='same')(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation('relu')(x)
  x = keras.layers.Conv2DTranspose(3, (4, 4), strides=(2, 2), padding='same')(x)
  images = keras.layers.Activation('tanh')(x)
  return keras.models.Model(inputs=inputs, outputs=images)


def author_discriminator(base, image_size=64):
  """model.py Discriminator (43e1375); widths b, 2b, 4b, 8b (listing: b=64)."""
  L = image_size
  images = keras.layers.Input(shape=(L, L, 3))
  x = keras.layers.Conv2D(base, (4, 4), strides=(2, 2), padding='same')(images)
  x = keras.layers.LeakyReLU(0.2)(x)
  for channels in (base * 2, base * 4, base * 8):
    x = keras.layers.Conv2D(channels, (4, 4), strides=(2, 2), padding='same')(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.LeakyReLU(0.2)(x)
  x = keras.layers.Flatten()(x)
  outputs = keras.layers.Dense(1)(x)
  return keras.models.Model(inputs=images, outputs=outputs)


class WassersteinGAN:
  """The article's class: Keras networks, TF1 losses and RMSProp, one session shared with Keras."""

  def __init__(self, gen, disc, z_dim=100, image_size=64):
    self.gen, self.disc, self.z_dim = gen, disc, z_dim
    self.x = tf1.placeholder(tf.float32, (None, image_size, image_size, 3), name='x')
    self.z = tf1.placeholder(tf.float32, (None, z_dim), name='z')
    self.x_ = self.gen(self.z)
    self.d = self.disc(self.x)
    self.d_ = self.disc(self.x_)
    self.d_loss = -(tf.reduce_mean(self.d) - tf.reduce_mean(self.d_))
    self.g_loss = -tf.reduce_mean(self.d_)
    self.d_opt = tf1.train.RMSPropOptimizer(learning_rate=5e-5).minimize(
        self.d_loss, var_list=self.disc.trainable_weights)
    self.g_opt = tf1.train.RMSPropOptimizer(learning_rate=1e-5).minimize(
        self.g_loss, var_list=self.gen.trainable_weights)
    self.sess = tf1.Session(config=session_config())
    K.set_session(self.sess)

  def train(self, sampler, batch_size, split, iterations):
    """The article's loop (epochs of ``num_batches``, main.py's reload rule), ``iterations``
    generator iterations in all."""
    num_batches = int(sampler.num_examples / batch_size)
    done = 0
    while done < iterations:
      for batch in range(num_batches):
        if batch in np.linspace(0, num_batches, split + 1, dtype=int):
          sampler.reload()
        for _ in range(5):
          d_weights = [np.clip(w, -0.01, 0.01) for w in self.disc.get_weights()]
          self.disc.set_weights(d_weights)
          bx = sampler.image_sample(batch_size)
          bz = sampler.noise_sample(batch_size, self.z_dim, 'uniform')
          self.sess.run(self.d_opt, feed_dict={self.x: bx, self.z: bz, K.learning_phase(): 1})
        bz = sampler.noise_sample(batch_size, self.z_dim, 'uniform')
        self.sess.run(self.g_opt, feed_dict={self.z: bz, K.learning_phase(): 1})
        done += 1
        if done == iterations:
          return


def _biases_feeding_batch_norm(model):
  """Indices (in ``model.trainable_weights``) of the biases of layers whose output goes straight
  into a BatchNormalization."""
  feeding = set()
  for layer in model.layers:
    if isinstance(layer, keras.layers.BatchNormalization):
      inbound = layer.inbound_nodes[0].inbound_layers
      feeding.add(id(inbound))
  return [i for i, w in enumerate(model.trainable_weights)
          if w.name.endswith('bias:0') and any(id(l) in feeding for l in model.layers
                                                  if any(w is v for v in l.trainable_weights))]


def test_wgan_matches_the_articles_loop_with_the_authors_networks_and_sampler(tmp_path):
  """The article's loop over model.py / dataIO.py, against ``--model=wgan``'s defaults.

  Changes to the listings: widths /8 (base 8, listing 64), batch 16 (listing 64) and the embedded
  shapes64 set (256 images) for a 2-core CPU; ``tf.compat.v1`` names; the sampler is graphgan's
  ``SubsetSampler`` of the same seed (same draws), driven by the listing's reload rule and call
  order.

  Allowed differences, both in what BatchNormalization makes of its inputs:
  - its moving statistics: the listing never runs them (a TF optimizer's ``minimize`` does not
    run Keras' updates), so they stay at their clipped initial values; graphgan runs them with
    each network's train op (WORKSPACE.md, decisions). Training reads batch statistics only.
  - the bias of a convolution that feeds one: BN subtracts any constant, so that bias's gradient
    is rounding noise (~1e-15), and oneDNN's graph rewrite treats the listing's graph (whose
    update ops are pruned) and graphgan's (which runs them) differently there: those biases
    differ below 1e-11, every other weight is bit-identical, and so are the critic's scores
    (measured: with ``TF_ENABLE_ONEDNN_OPTS=0`` the biases agree to the bit too).
  """
  settings = dict(g_base_channels=8, d_base_channels=8, batch_size=16, embedded_size=256)
  initial, built = _graphgan('wgan', tmp_path / 'run', **settings)
  config = built.config
  _train_graphgan(built)
  probe = make_source('shapes64', config, config.seed + 99).image_sample(config.batch_size)
  with built.graph.as_default():
    generator, critic = built.model.generator.model, built.model.discriminator.model
    ours = {'generator': (_values(built.sess, generator.trainable_weights),
                          _values(built.sess, generator.non_trainable_weights)),
            'critic': (_values(built.sess, critic.trainable_weights),
                       _values(built.sess, critic.non_trainable_weights))}
    our_scores = built.sess.run(built.model.real_scores, {built.model.real: probe,
                                                          built.model.learning_phase: 1})
    initial_weights = {'generator': [initial[w.name] for w in generator.weights],
                       'critic': [initial[w.name] for w in critic.weights]}
  built.close()

  graph = tf.Graph()
  with graph.as_default():
    gen, disc = author_generator(8), author_discriminator(8)
    wgan = WassersteinGAN(gen, disc)
    with wgan.sess.as_default():
      wgan.sess.run(tf1.global_variables_initializer())
      gen.set_weights(initial_weights['generator'])
      disc.set_weights(initial_weights['critic'])
      sampler = make_source('shapes64', config, config.seed)
      wgan.train(sampler, config.batch_size, config.data_split, ITERATIONS)
      theirs = {'generator': (_values(wgan.sess, gen.trainable_weights),
                              _values(wgan.sess, gen.non_trainable_weights)),
                'critic': (_values(wgan.sess, disc.trainable_weights),
                           _values(wgan.sess, disc.non_trainable_weights))}
      their_scores = wgan.sess.run(wgan.d, {wgan.x: probe, K.learning_phase(): 1})
      noise_biases = {'generator': _biases_feeding_batch_norm(gen),
                      'critic': _biases_feeding_batch_norm(disc)}
    wgan.sess.close()
  K.clear_session()
  assert noise_biases == {'generator': [1, 5, 9, 13], 'critic': [3, 7, 11]}
  for network in ('generator', 'critic'):
    mine, listing = ours[network][0], theirs[network][0]
    exact = [i for i in range(len(mine)) if i not in noise_biases[network]]
    _assert_bit_identical([mine[i] for i in exact], [listing[i] for i in exact],
                          f'{network} trainable weights')
    for i in noise_biases[network]:
      assert np.max(np.abs(mine[i] - listing[i])) < 1e-11, f'{network} bias {i}'
    moved = [not np.array_equal(a, b) for a, b in zip(ours[network][1], theirs[network][1])]
    assert any(moved), f'{network}: graphgan runs BatchNormalization updates, the listing not'
  # The listing's critic statistics are the initial ones clipped to the box: variance 1 -> 0.01.
  assert all(np.all(v == np.float32(0.01)) for v in theirs['critic'][1][1::2])
  assert np.array_equal(our_scores, their_scores)


# -- DCGAN: GANs in Action ch. 4 / keras-GAN, as the TF2 write-up (seed 000) ran it ----------------
def book_generator(z_dim, batch_norm):
  model = keras.models.Sequential()
  model.add(keras.layers.Dense(256 * 7 * 7, input_dim=z_dim))
  model.add(keras.layers.Reshape((7, 7, 256)))
  model.add(keras.layers.Conv2DTranspose(128, kernel_size=3, strides=2, padding='same'))
  model.add(batch_norm())
  model.add(keras.layers.LeakyReLU(alpha=0.01))
  model.add(keras.layers.Conv2DTranspose(64, kernel_size=3, strides=1, padding='same'))
  model.add(batch_norm())
  model.add(keras.layers.LeakyReLU(alpha=0.01))
  model.add(keras.layers.Conv2DTranspose(1, kernel_size=3, strides=2, padding='same'))
  model.add(keras.layers.Activation('tanh'))
  return model


def book_discriminator(img_shape, batch_norm):
  model = keras.models.Sequential()
  model.add(keras.layers.Conv2D(32, kernel_size=3, strides=2, input_shape=img_shape,
                                padding='same'))
  model.add(keras.layers.LeakyReLU(alpha=0.01))
  model.add(keras.layers.Conv2D(64, kernel_size=3, strides=2, input_shape=img_shape,
                                padding='same'))
  model.add(batch_norm())
  model.add(keras.layers.LeakyReLU(alpha=0.01))
  model.add(keras.layers.Conv2D(128, kernel_size=3, strides=2, input_shape=img_shape,
                                padding='same'))
  model.add(batch_norm())
  model.add(keras.layers.LeakyReLU(alpha=0.01))
  model.add(keras.layers.Flatten())
  model.add(keras.layers.Dense(1, activation='sigmoid'))
  return model


def book_train(generator, discriminator, gan, sampler, iterations, batch_size, z_dim=100):
  """The book's ``train`` loop without its printing and sampling."""
  real = np.ones((batch_size, 1))
  fake = np.zeros((batch_size, 1))
  for _ in range(iterations):
    imgs = sampler.image_sample(batch_size)              # book: X_train[randint(...)]
    z = sampler.noise_sample(batch_size, z_dim)           # book: np.random.normal(0, 1, ...)
    gen_imgs = generator.predict(z)
    discriminator.train_on_batch(imgs, real)
    discriminator.train_on_batch(gen_imgs, fake)
    z = sampler.noise_sample(batch_size, z_dim)
    gan.train_on_batch(z, real)


@pytest.mark.xfail(cpu_instruction_set() == 'avx2' and device_kind() != 'gpu', strict=True,
                   reason='bit-identical on AVX-512 CPUs; on AVX2 (EPYC family 25, 2026-12-07) the '
                          'book\'s loop and graphgan\'s differ from iteration 1 at rounding level '
                          '(2.9e-6 on a dense kernel after one Adam step of 1e-3), cause not found yet')
@pytest.mark.parametrize('bn', ['v1', 'v2'])
def test_dcgan_matches_the_books_loop(tmp_path, bn):
  """The book's chapter-4 code against ``--model=dcgan --bn=v1|v2``, at the book's batch 128.

  Changes to the listing: ``tf.compat.v1.keras.optimizers.Adam()`` (TF 2.21's Keras optimizers
  cannot train a Keras v1 graph: "no attribute get_updates"); BatchNormalization is
  ``tf.compat.v1.keras.layers``' (v1, the write-up's fix) or ``tf.keras.layers``' (v2, what the
  write-up ran first); images and noise come from graphgan's sampler of the same seed (the book
  draws ``randint`` batches of MNIST and ``np.random.normal`` noise) in the book's order. No
  difference allowed: every weight and every BatchNormalization statistic is bit-identical.
  """
  from graphgan.models.dcgan import BATCH_NORM_CLASSES, IMAGE_SHAPE  # pylint: disable=import-outside-toplevel
  initial, built = _graphgan('dcgan', tmp_path / 'run', bn=bn)
  config = built.config
  _train_graphgan(built)
  with built.graph.as_default():
    networks = (built.model.generator, built.model.discriminator)
    ours = [_values(built.sess, n.weights) for n in networks]
    initial_weights = [[initial[w.name] for w in n.weights] for n in networks]
  built.close()

  graph = tf.Graph()
  with graph.as_default():
    sess = tf1.Session(config=session_config())
    K.set_session(sess)
    batch_norm = BATCH_NORM_CLASSES[bn]
    discriminator = book_discriminator(IMAGE_SHAPE, batch_norm)
    discriminator.compile(loss='binary_crossentropy', metrics=['accuracy'],
                          optimizer=tf1.keras.optimizers.Adam())
    generator = book_generator(config.z_dim, batch_norm)
    discriminator.trainable = False
    gan = keras.models.Sequential([generator, discriminator])
    gan.compile(loss='binary_crossentropy', optimizer=tf1.keras.optimizers.Adam())
    generator.set_weights(initial_weights[0])
    discriminator.set_weights(initial_weights[1])
    book_train(generator, discriminator, gan, make_source('glyphs28', config, config.seed),
               ITERATIONS, config.batch_size, config.z_dim)
    theirs = [_values(sess, n.weights) for n in (generator, discriminator)]
    sess.close()
  K.clear_session()
  _assert_bit_identical(ours[0], theirs[0], f'{bn} generator weights and statistics')
  _assert_bit_identical(ours[1], theirs[1], f'{bn} discriminator weights and statistics')


# -- Unrolled GAN: the loop the write-up (seed 002) describes, with its fixed restore -----------
def _write_up_dense(inputs, units, name, activation=None):
  with tf1.variable_scope(name):
    kernel = tf1.get_variable('kernel', (inputs.shape[-1], units))
    bias = tf1.get_variable('bias', (units,), initializer=tf1.zeros_initializer())
  outputs = tf.matmul(inputs, kernel) + bias
  return activation(outputs) if activation else outputs


def _write_up_mlp(name, inputs, hidden_units, output_dim, reuse=None):
  with tf1.variable_scope(name, reuse=reuse):
    hidden = inputs
    for layer in range(2):
      hidden = _write_up_dense(hidden, hidden_units, f'hidden_{layer}', tf.nn.relu)
    return _write_up_dense(hidden, output_dim, 'output')


# graphgan keeps each Adam's beta powers under its network's scope (issue 30); the listing's two
# optimizers name theirs by creation order. Nothing else is renamed.
_LISTING_NAME = {'discriminator/beta1_power': 'beta1_power',
                 'discriminator/beta2_power': 'beta2_power',
                 'generator/beta1_power': 'beta1_power_1', 'generator/beta2_power': 'beta2_power_1'}


def test_unrolled_gan_matches_the_write_ups_loop_with_its_prebuilt_restore(tmp_path):
  """The write-up's iteration against ``--model=unrolled_gan`` (documented mode, k=5).

  The write-up shows no listing, so the port follows its text: one discriminator update (the one
  kept), ``copy_dis_w1 = sess.run(discriminator weights)``, k-1 more discriminator updates, the
  generator update, then the weights written back through assign ops built once from
  placeholders before training (its fix for the growing graph). Networks: 2x128 ReLU MLPs written
  with ``get_variable``; sigmoid cross-entropy, minimax generator loss, Adam as the flag file.
  Changes: 32-unit layers, batch 64, z dim 50 for a 2-core CPU; the ring's points and the noise
  come from graphgan's sampler of the same seed, in the loop's order. No difference allowed:
  weights and both Adam optimizers' slots are bit-identical (weights-only restore: the look-ahead
  steps stay in the discriminator's Adam moments in both). Names: graphgan's Adam beta powers
  (``discriminator/beta1_power``) are compared with the listing's (``beta1_power``,
  ``beta1_power_1`` for the generator's) through ``_LISTING_NAME``.
  """
  settings = dict(generator_hidden_units=32, discriminator_hidden_units=32, batch_size=64)
  initial, built = _graphgan('unrolled_gan', tmp_path / 'run', **settings)
  config = built.config
  _train_graphgan(built)
  with built.graph.as_default():
    kept = [v for v in tf1.global_variables()
            if not v.op.name.startswith('counters/')]   # graphgan's step counters
    ours = dict(zip([_LISTING_NAME.get(v.op.name, v.op.name) for v in kept],
                    built.sess.run(kept)))
  built.close()
  initial = {_LISTING_NAME.get(name[:-2], name[:-2]) + name[-2:]: value
             for name, value in initial.items()}

  graph = tf.Graph()
  with graph.as_default():
    tf1.set_random_seed(0)   # initial values are overwritten; op determinism wants a seed
    real = tf1.placeholder(tf.float32, (None, 2))
    noise = tf1.placeholder(tf.float32, (None, config.z_dim))
    fake = _write_up_mlp('generator', noise, 32, 2)
    real_logits = _write_up_mlp('discriminator', real, 32, 1)
    fake_logits = _write_up_mlp('discriminator', fake, 32, 1, reuse=True)
    xent = tf.nn.sigmoid_cross_entropy_with_logits
    d_loss = (tf.reduce_mean(xent(labels=tf.ones_like(real_logits), logits=real_logits)) +
              tf.reduce_mean(xent(labels=tf.zeros_like(fake_logits), logits=fake_logits)))
    g_loss = -d_loss
    d_vars = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, 'discriminator')
    g_vars = tf1.get_collection(tf1.GraphKeys.TRAINABLE_VARIABLES, 'generator')
    adam = dict(beta1=config.adam_beta1, epsilon=config.adam_epsilon)
    d_opt = tf1.train.AdamOptimizer(config.learning_rate_d, name='adam_discriminator',
                                    **adam).minimize(d_loss, var_list=d_vars)
    g_opt = tf1.train.AdamOptimizer(config.learning_rate_g, name='adam_generator',
                                    **adam).minimize(g_loss, var_list=g_vars)
    copies = [tf1.placeholder(v.dtype.base_dtype, v.shape) for v in d_vars]
    restore = tf.group(*[v.assign(c) for v, c in zip(d_vars, copies)])
    sampler = make_source('ring', config, config.seed)
    feed = lambda: {real: sampler.image_sample(config.batch_size),
                    noise: sampler.noise_sample(config.batch_size, config.z_dim)}
    with tf1.Session(config=session_config()) as sess:
      sess.run(tf1.global_variables_initializer())
      variables = tf1.global_variables()
      assert sorted(v.op.name for v in variables) == sorted(ours)   # same names: values match
      for v in variables:
        v.load(initial[v.name], sess)
      graph.finalize()   # the fix: no op is created in the loop
      for _ in range(ITERATIONS):
        sess.run(d_opt, feed())
        copy_dis_w1 = sess.run(d_vars)
        for _ in range(config.unroll_steps - 1):
          sess.run(d_opt, feed())
        sess.run(g_opt, feed())
        sess.run(restore, dict(zip(copies, copy_dis_w1)))
      theirs = {v.op.name: value for v, value in zip(variables, sess.run(variables))}
  names = sorted(ours)
  _assert_bit_identical([ours[n] for n in names], [theirs[n] for n in names],
                        'unrolled_gan variables ' + ', '.join(names))


# -- bn_regression: the listing "3. Estimatorを使わない" of seed 003 --------------------------------
def test_bn_regression_matches_the_listing_without_estimator(tmp_path):
  """The listing's graph and loop against ``--model=bn_regression`` (its defaults: tf1.layers
  BN, UPDATE_OPS under control dependencies, test tower on the same ``training`` placeholder).

  Changes to the listing: ``tf.compat.v1`` names; ``ITERATIONS`` steps instead of 5,000.
  UPDATE_OPS holds the listing's 8 update ops, and the trainable variables and Adam's slots are
  bit-identical. Allowed difference: the moving statistics. Both towers update the same shared
  statistics in one ``sess.run`` with no order between the two updates, so in the listing they
  race: an update whose read of the variable precedes the other's write subtracts a stale delta
  (measured: 1 of 4 runs of this listing ended with the first BN's moving mean -0.4966447, the
  other 3 with -0.4965424). graphgan orders them in call order (WORKSPACE.md, decisions), which
  is the listing whenever its updates do not interleave: the first BN's moving mean is exactly
  40 sequential float32 updates toward the batch mean -1.5.
  """
  initial, built = _graphgan('bn_regression', tmp_path / 'run')
  _train_graphgan(built)
  with built.graph.as_default():
    variables = tf1.global_variables()
    ours = [v for v in variables if not v.op.name.startswith('counters')]
    our_names = [v.name for v in ours]
    ours = built.sess.run(ours)
    our_updates = len(tf1.get_collection(tf1.GraphKeys.UPDATE_OPS))
  built.close()

  graph = tf.Graph()
  with graph.as_default():
    inputs = tf1.placeholder(shape=[None, 1], dtype=tf.float32)
    labels = tf1.placeholder(shape=[None, 1], dtype=tf.float32)
    training = tf1.placeholder(shape=[], dtype=tf.bool)
    with tf1.variable_scope('batch_normalization_test'):
      with tf1.name_scope('for_train'):
        BN1 = tf1.layers.BatchNormalization(name='bn1')   # pylint: disable=invalid-name
        x = BN1(inputs, training=training)
        x = tf1.layers.Dense(units=1, name='dense1')(x)
        BN2 = tf1.layers.BatchNormalization(name='bn2')   # pylint: disable=invalid-name
        x = BN2(x, training=training)
        output1 = tf1.layers.Dense(units=1, name='dense2')(x)
    with tf1.variable_scope('batch_normalization_test', reuse=True):
      with tf1.name_scope('for_test'):
        BN1 = tf1.layers.BatchNormalization(name='bn1')   # pylint: disable=invalid-name
        x = BN1(inputs, training=training)
        x = tf1.layers.Dense(units=1, name='dense1')(x)
        BN2 = tf1.layers.BatchNormalization(name='bn2')   # pylint: disable=invalid-name
        x = BN2(x, training=training)
        output2 = tf1.layers.Dense(units=1, name='dense2')(x)
    loss = tf.reduce_mean(tf1.losses.mean_squared_error(labels, output1))
    optimizer = tf1.train.AdamOptimizer(learning_rate=0.001)
    update_ops = tf1.get_collection(tf1.GraphKeys.UPDATE_OPS)
    grads = optimizer.compute_gradients(loss)
    with tf1.control_dependencies(update_ops):
      train_op = optimizer.apply_gradients(grads)
    sess = tf1.Session(config=session_config())
    sess.run(tf1.global_variables_initializer())
    listing_variables = tf1.global_variables()
    assert len(listing_variables) == len(our_names)
    for variable, name in zip(listing_variables, our_names):
      variable.load(initial[name], sess)
    train_x = np.array([[-3.], [-2.], [-1.], [0.]])
    train_y = np.array([[0.], [1.], [2.], [3.]])
    for _ in range(ITERATIONS):
      sess.run((loss, train_op, output1, output2),
               {inputs: train_x, labels: train_y, training: True})
    theirs = sess.run(listing_variables)
    sess.close()
  assert our_updates == len(update_ops) == 8
  statistics = [i for i, name in enumerate(our_names) if '/moving_' in name]
  assert len(statistics) == 4
  exact = [i for i in range(len(our_names)) if i not in statistics]
  _assert_bit_identical([ours[i] for i in exact], [theirs[i] for i in exact],
                        'bn_regression variables ' + ', '.join(our_names[i] for i in exact))
  # The first BN sees the fixed inputs (batch mean -1.5, variance 1.25): its statistics are
  # exactly 40 sequential float32 updates (two towers, two per step, in call order).
  moving_mean, moving_variance = np.float32(0.0), np.float32(1.0)
  decay = np.float32(1.0 - 0.99)
  for _ in range(2 * ITERATIONS):
    moving_mean = moving_mean - (moving_mean - np.float32(-1.5)) * decay
    moving_variance = moving_variance - (moving_variance - np.float32(1.25)) * decay
  first = 'batch_normalization_test/batch_normalization/'
  assert ours[our_names.index(first + 'moving_mean:0')] == moving_mean
  assert ours[our_names.index(first + 'moving_variance:0')] == moving_variance
