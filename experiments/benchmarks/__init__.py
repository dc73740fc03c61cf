"""Benchmarks of the training styles, run by ``bin/bench --model=NAME`` (entry points in setup.cfg)."""
