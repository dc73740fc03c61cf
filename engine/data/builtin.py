"""Imports the modules that register the built-in data sources."""
import engine.data.mixtures  # noqa: F401,E402  (ring, grid)
