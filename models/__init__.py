"""Registered training styles. Importing this package registers every model."""
import engine  # noqa: F401  (compat first)
import models.unrolled_gan  # noqa: F401,E402
