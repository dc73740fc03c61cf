"""What an experiment declares: its runs, the metrics to tabulate, the published numbers, plots."""
import dataclasses
from typing import Callable, Optional

from graphgan.engine.config import schedule_flags

# Flags that may change between invocations on one run directory (the engine refuses a re-run
# whose other flags differ from the run's flags.txt).
SCHEDULE_FLAGS = schedule_flags()


@dataclasses.dataclass(frozen=True)
class Run:
  """One ordinary run: ``bin/train --flagfile=FLAGFILE --seed=SEED --run_dir=... --FLAG=V ...``.

  ``flags`` are part of what the run is (fixed for the life of its run directory); ``schedule``
  holds schedule flags only (how often to evaluate, save, sample), which may change.
  ``iterations`` None means the flag file's own ``--train_steps`` (the documented length).
  """
  name: str                         # its run directory, under the experiment's
  group: str                        # its table row: runs of a group differ only in the seed
  flagfile: str                     # a shipped flag file, relative to the repository root
  seed: int
  iterations: Optional[int] = None
  flags: tuple = ()                 # ((flag, value), ...)
  schedule: tuple = ()              # ((schedule flag, value), ...)

  def __post_init__(self):
    wrong = [name for name, _ in self.schedule if name not in SCHEDULE_FLAGS]
    if wrong:
      raise ValueError(f'run {self.name}: {", ".join(wrong)} are not schedule flags')
    clash = [name for name, _ in self.flags if name in SCHEDULE_FLAGS + ('seed',)]
    if clash:
      raise ValueError(f'run {self.name}: {", ".join(clash)} belong in schedule (or seed)')


@dataclasses.dataclass(frozen=True)
class Column:
  """A table column: ``path`` into a run's metrics (``final.modes``, ``at.1000.d_loss``,
  ``window.g_loss``), shown as mean ± std over a group's seeds, times ``scale``."""
  label: str
  path: str
  scale: float = 1.0
  digits: int = 3                   # significant digits


@dataclasses.dataclass(frozen=True)
class Published:
  """A published result shown under the table: ``values`` keyed by column label."""
  source: str
  group: str
  values: dict


@dataclasses.dataclass(frozen=True)
class Experiment:
  """A grid of runs, what to collect from them, and what to compare with."""
  name: str
  title: str
  settings: str                     # one paragraph: what was run, how it differs from the source
  pages: tuple                      # model pages (under docs/) whose generated section shows it
  runs: tuple
  columns: tuple
  published: tuple = ()
  loss_steps: tuple = ()            # iterations whose single-iteration losses are kept (``at.N``)
  progress: tuple = ()              # ``metrics.jsonl`` keys (``frechet``) whose ``final.<key>``
  progress_steps: tuple = ()        # column is also tabulated over training, at these iterations
  window: int = 100                 # iterations averaged in ``window.<loss>`` and loss curves
  plots: tuple = ()                 # callables (experiment, records, image_dir) -> [(title, path)]
  references: Optional[Callable] = None   # (experiment, records) -> {label: metrics}
  shortfall: str = ''               # why runs stop short of their length (shown while any does):
                                    # what stopped them, what is left and what it would cost

  def __post_init__(self):
    final = {column.path for column in self.columns}
    missing = [key for key in self.progress if f'final.{key}' not in final]
    if missing:
      raise ValueError(f'experiment {self.name}: progress {", ".join(missing)} has no final.<key> '
                       'column (its label, scale and digits)')

  def groups(self):
    """Group names in the order their first run was declared."""
    return list(dict.fromkeys(run.group for run in self.runs))
