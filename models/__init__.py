"""Registered training styles. Importing this package registers every model."""
import engine  # noqa: F401  (compat first)
from models import bn_regression  # noqa: F401
from models import dcgan  # noqa: F401
from models import lsgan  # noqa: F401
from models import unrolled_gan  # noqa: F401
from models import wgan  # noqa: F401
from models import wgan_gp  # noqa: F401
