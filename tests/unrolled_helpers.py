"""Small unrolled_gan graphs for the tests (not finalized, so op growth can be measured)."""
from graphgan.engine.compat import tf, tf1, keras
from graphgan.engine.config import make_config
from graphgan.engine.data import make_source
from graphgan.models.unrolled_gan import UnrolledGAN

TINY = dict(batch_size=16, z_dim=4, generator_hidden_units=8, discriminator_hidden_units=8,
            eval_every_steps=0)


def build_model(data='ring', seed=0, **overrides):
  """(graph, session, model) with variables initialised; the caller closes the session."""
  config = make_config(UnrolledGAN.Config, dict(TINY, seed=seed, **overrides))
  graph = tf.Graph()
  with graph.as_default():
    keras.utils.set_random_seed(seed)
    model = UnrolledGAN(config, make_source(data, config, seed))
    model.build()
    sess = tf1.Session(graph=graph)
    sess.run([tf1.global_variables_initializer(), tf1.local_variables_initializer()])
  return graph, sess, model
