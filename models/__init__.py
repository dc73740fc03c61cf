"""Registered training styles. Importing this package registers every model."""
import graphgan.engine  # noqa: F401  (compat first)
from graphgan.models import bn_regression  # noqa: F401
from graphgan.models import dcgan  # noqa: F401
from graphgan.models import lsgan  # noqa: F401
from graphgan.models import unrolled_gan  # noqa: F401
from graphgan.models import wgan  # noqa: F401
from graphgan.models import wgan_gp  # noqa: F401
