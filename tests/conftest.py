"""Test setup: the compat switch first, quiet logs, a GPU marker that skips with a reason."""
import engine  # noqa: F401  (TF1 graph mode + Keras 2 before anything else imports TensorFlow)
