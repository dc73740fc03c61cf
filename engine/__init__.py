"""graphgan engine: the reusable TF1 graph-mode machinery. Importing it sets up the compat layer."""
from graphgan.engine import compat  # noqa: F401  (must run before anything imports TensorFlow)
