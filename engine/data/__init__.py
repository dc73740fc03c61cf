"""Data sources: embedded generated sets and real loaders, behind one sampler interface.

Importing the package registers the built-in sources: each module below imports the sampler
interface (``source``) and the registry (``registry``), neither of which imports them back.
"""
from graphgan.engine.data.registry import register_source, make_source, source_names  # noqa: F401
from graphgan.engine.data.source import Sampler, ArraySampler  # noqa: F401
from graphgan.engine.data import glyphs, loaders, mixtures, shapes  # noqa: F401,E402  (register sources)
