"""graphgan: a graph-mode (TF1-compat) GAN training engine for current TensorFlow.

The installed distribution is this one package (the repository root): ``graphgan.engine`` (the
machinery every style shares), ``graphgan.models`` (the training styles) and
``graphgan.experiments`` (the styles run at length). Importing ``graphgan`` imports none of them;
``graphgan.engine`` switches TensorFlow into TF1 graph mode with Keras 2 (``engine/compat.py``).
"""
