"""Registered training styles. Importing this package registers every model."""
import engine  # noqa: F401  (compat first)
import models.dcgan  # noqa: F401
