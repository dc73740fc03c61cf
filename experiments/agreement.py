"""Does a re-run agree with a results file? ``bin/reproduce --compare_with=FILE``.

Compares what both results hold: the reference rows (floor, untrained ceiling) and, per run, every
evaluation row at an iteration both reached (``metrics.over_training``). A value agrees when
``|now - recorded| <= ATOL + RTOL * |recorded|`` (the recorded-loss rule of ``engine/tools/recorded.py``).
Training is deterministic per run (one thread, op determinism), so a run re-trained from scratch
on another machine gives the same evaluations. Measured: the 12 wgan_shapes runs rebuilt on a new
machine (another CPU) agreed with the committed record at every evaluation through 3,000
iterations: Fréchet to 2.9e-8 relative (2.2e-5 absolute), coverage, confidence and class KL
exactly; the real-vs-real floor, a small Fréchet value left after cancelling large traces, to
6.1e-6 absolute (1.3e-6 relative). Both bounds sit far above that and far below what a diverged
GAN run differs by (whole units of Fréchet within a few hundred iterations).
"""
import json
import math
import os
import sys

from graphgan.experiments import report

RTOL = 1e-6
ATOL = 1e-4


def _difference(new, old):
  """|new - old| of two values of a metric (inf: they differ and are not both numbers)."""
  if isinstance(new, (int, float)) and isinstance(old, (int, float)):
    if math.isnan(new) or math.isnan(old):
      return 0.0 if math.isnan(new) and math.isnan(old) else math.inf
    return abs(new - old)
  return 0.0 if new == old else math.inf


def _compare_rows(label, pairs):
  """``pairs``: [(where, new_row, old_row)] -> (line, agrees); the line names the first value
  out of tolerance, else how many agree and their largest difference."""
  largest, compared = 0.0, 0
  for where, new, old in pairs:
    for key in sorted(set(new) & set(old) - {'step'}):
      difference = _difference(new[key], old[key])
      if difference > ATOL + RTOL * abs(old[key]):
        return (f'{label}: DIFFERS at {where}: {key} {new[key]!r} now, {old[key]!r} recorded '
                f'(difference {difference:.1e} > {ATOL:g} + {RTOL:g} x |recorded|)'), False
      largest, compared = max(largest, difference), compared + 1
  if not compared:
    return f'{label}: nothing in common to compare', True
  return f'{label}: agrees ({compared} values; largest difference {largest:.1e})', True


def compare(new, old):
  """Lines saying where results dict ``new`` agrees with ``old``, and whether all of it does."""
  lines, agree = [], True
  recorded = old.get('references', {})
  references = [(name, row, recorded[name]) for name, row in new.get('references', {}).items()
                if name in recorded]
  if references:
    line, ok = _compare_rows('references', references)
    lines.append(line)
    agree &= ok
  recorded = {run['name']: run for run in old.get('runs', [])}
  for run in new.get('runs', []):
    if run['name'] not in recorded:
      lines.append(f'{run["name"]}: not in the recorded results')
      continue
    new_rows, old_rows = report.rows_by_step(run), report.rows_by_step(recorded[run['name']])
    steps = sorted(set(new_rows) & set(old_rows))
    label = run['name'] + (f' at iterations {steps[0]}..{steps[-1]}' if len(steps) > 1 else
                           f' at iteration {steps[0]}' if steps else '')
    line, ok = _compare_rows(label, [(f'iteration {step}', new_rows[step], old_rows[step])
                                     for step in steps])
    lines.append(line)
    agree &= ok
  return lines, agree


def compare_files(new_path, old_path):
  """``compare`` of two results files; ``old_path`` may be a directory holding the same name."""
  if os.path.isdir(old_path):
    old_path = os.path.join(old_path, os.path.basename(new_path))
  with open(new_path) as handle:
    new = json.load(handle)
  with open(old_path) as handle:
    old = json.load(handle)
  return compare(new, old)


def main(argv):
  """``python -m graphgan.experiments.agreement NEW.json RECORDED.json|DIR``: the comparison alone (exit 1
  if a value differs), e.g. for a campaign still training (bin/reproduce holds its runs dir)."""
  if len(argv) != 2:
    sys.exit('usage: python -m graphgan.experiments.agreement NEW.json RECORDED.json|DIR')
  try:
    lines, agree = compare_files(*argv)
  except (OSError, ValueError) as error:
    sys.exit(f'agreement: error: {error}')
  print('\n'.join(lines))
  sys.exit(0 if agree else 1)


if __name__ == '__main__':
  main(sys.argv[1:])
