"""Imports the modules that register the built-in data sources."""
import engine.data.glyphs  # noqa: F401  (glyphs28, mnist_npz)
import engine.data.loaders  # noqa: F401
import engine.data.mixtures  # noqa: F401  (ring, grid)
import engine.data.shapes  # noqa: F401
