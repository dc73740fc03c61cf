"""The command line: absl flags from every model's Config (``flags``), the ``bin/*`` entry points
(``main``; ``bin/sample`` in ``sample``, ``bin/evaluate`` in ``evaluate``). Imported as ``graphgan.engine.cli``, it offers what
``bin/*``, setup.cfg's console scripts and plugins use."""
import graphgan.engine  # noqa: F401  (the compat switch first)
from graphgan.engine.cli.flags import (FLAGS, config_as_flags, config_from_flags,  # noqa: F401
                                       define_flags, define_model_flags, model_overrides, parse)
from graphgan.engine.cli.main import (bench_entry_point, crashtest_entry_point,  # noqa: F401
                                      device_report_entry_point, record_entry_point, run,
                                      train_entry_point)
from graphgan.engine.cli.evaluate import evaluate_entry_point  # noqa: F401
from graphgan.engine.cli.sample import sample_entry_point  # noqa: F401
