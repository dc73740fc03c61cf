"""Data sources: embedded generated sets and real loaders, behind one sampler interface."""
from engine.data.source import Sampler, ArraySampler, register_source, make_source, source_names  # noqa: F401
