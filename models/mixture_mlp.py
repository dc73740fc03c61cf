"""Small fully connected networks for the 2-D mixture experiments (Unrolled GAN: 2 x 128)."""
from graphgan.engine.compat import tf, tf1
from graphgan.engine.graph.network import ScopeNetwork
from graphgan.engine.graph.unroll import VariableSubstitution

ACTIVATIONS = {'relu': tf.nn.relu, 'tanh': tf.nn.tanh}


def dense(inputs, units, name, activation=None):
  """``activation(inputs @ kernel + bias)`` with variables read through ``get_variable``.

  Written with ``get_variable`` (not a Keras layer) so a custom getter may return tensors.
  """
  with tf1.variable_scope(name):
    kernel = tf1.get_variable('kernel', (inputs.shape[-1], units),
                              initializer=tf1.glorot_uniform_initializer())
    bias = tf1.get_variable('bias', (units,), initializer=tf1.zeros_initializer())
  outputs = tf.matmul(inputs, kernel) + bias
  return activation(outputs) if activation else outputs


def mlp_network(name, hidden_units, hidden_layers, output_dim, activation='relu'):
  """A ScopeNetwork MLP; its ``substitution`` can swap its variables for unrolled tensors."""
  act = ACTIVATIONS[activation]

  def build(inputs):
    hidden = inputs
    for layer in range(hidden_layers):
      hidden = dense(hidden, hidden_units, f'hidden_{layer}', act)
    return dense(hidden, output_dim, 'output')

  substitution = VariableSubstitution()
  network = ScopeNetwork(name, build, custom_getter=substitution)
  network.substitution = substitution
  return network
