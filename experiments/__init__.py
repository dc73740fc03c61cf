"""Experiments: the training styles run at length and compared with published numbers.

``bin/reproduce --experiment=NAME`` trains each run of an experiment as an ordinary run directory
(``bin/train`` in a subprocess), collects its metrics and writes ``docs/results/NAME.{json,md}``
and plots. Imports point one way: experiments -> models -> engine.
"""
