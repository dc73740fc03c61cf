"""An experiment's results: ``<results>/<name>.json``, ``<results>/<name>.md``, plots, and the
generated section of each model page that shows them (between the ``begin/end generated``
markers; the rest of the page is left alone)."""
import dataclasses
import datetime
import json
import math
import os
import re

import numpy as np

from graphgan.engine.errors import UserError
from graphgan.experiments import collect, plots

MARK = 'generated: bin/reproduce --experiment={name}'


def records_of(experiment, planned_runs, ledger):
  return [collect.run_record(experiment, p, ledger.entry(p.run.name)) for p in planned_runs]


def _value(record, path):
  """A metric by ``final.modes`` / ``at.1000.d_loss`` / ``window.g_loss``; None if absent."""
  section, _, key = path.partition('.')
  node = record['metrics'].get(section, {})
  if section == 'at':
    step, _, key = key.partition('.')
    node = node.get(step, {})
  value = node.get(key)
  return None if value is None else float(value)


def _number(value, digits):
  """``digits`` significant digits; a value with more integer digits than that is shown whole,
  with thousands separators (6,530, not 6.53e+03)."""
  if abs(value) >= 10 ** digits:
    return f'{round(value):,}'
  return f'{value:.{digits}g}'


def _summary(values, digits):
  """'mean ± std' over seeds (one value: the value); infinities counted apart."""
  finite = [v for v in values if math.isfinite(v)]
  text = '–' if not finite else _number(finite[0], digits) if len(finite) == 1 else \
      f'{_number(float(np.mean(finite)), digits)} ± {_number(float(np.std(finite)), 2)}'
  return text + (f' ({len(values) - len(finite)} inf)' if len(finite) < len(values) else '')


def _duration(seconds):
  if seconds >= 3600:
    return f'{seconds / 3600:.1f} h'
  return f'{seconds / 60:.1f} min' if seconds >= 60 else f'{seconds:.0f} s'


def _table(header, rows):
  lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
  return lines + ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]


def group_rows(experiment, records):
  """One row per group: finished seeds (else every started one, marked), metrics mean ± std."""
  rows = []
  for group in experiment.groups():
    runs = [r for r in records if r['group'] == group]
    done = [r for r in runs if r['finished']]
    shown = done or [r for r in runs if r['iterations']]
    target = runs[0]['target_iterations']
    if done:
      length = f'{target:,}'
    elif shown:
      low, high = min(r['iterations'] for r in shown), max(r['iterations'] for r in shown)
      length = (f'{low:,}' if low == high else f'{low:,}–{high:,}') + \
          f' of {target:,} (unfinished)'
    else:
      length = f'0 of {target:,}'
    cells = []
    for column in experiment.columns:
      values = [_value(r, column.path) for r in shown]
      cells.append(_summary([v * column.scale for v in values if v is not None], column.digits))
    wall = [r['wall_seconds'] for r in done]
    rows.append([group, f'{len(done)}/{len(runs)}', length] + cells +
                [_duration(np.mean(wall)) if wall else '–'])
  return _table(['group', 'seeds done', 'iterations'] + [c.label for c in experiment.columns] +
                ['wall per run'], rows)


def rows_by_step(record):
  """The run's evaluation rows by iteration (a step a resumed run evaluated twice: its last row)."""
  return {row.get('step'): row for row in record['metrics'].get('over_training', [])}


def progress_rows(experiment, records):
  """Per ``experiment.progress`` metric, a table shown like its ``final.<key>`` column: one row per
  group, one column per iteration of ``experiment.progress_steps`` that some run has reached; cells
  mean ± std over the seeds evaluated there, "(n of m seeds)" when not all of the group's were."""
  evaluated = [(record['group'], rows_by_step(record)) for record in records]
  reached = [step for step in experiment.progress_steps
             if any(step in rows for _, rows in evaluated)]
  if not reached:
    return []
  lines = []
  for key in experiment.progress:
    column = next(c for c in experiment.columns if c.path == f'final.{key}')
    table = []
    for group in experiment.groups():
      runs = [rows for name, rows in evaluated if name == group]
      cells = []
      for step in reached:
        values = [float(rows[step][key]) * column.scale for rows in runs
                  if rows.get(step, {}).get(key) is not None]
        cells.append(_summary(values, column.digits) +
                     (f' ({len(values)} of {len(runs)} seeds)' if len(values) < len(runs) else '')
                     if values else '–')
      table.append([group] + cells)
    lines += [f'{column.label} over training (mean ± std over seeds, at iteration):', ''] + \
        _table(['group'] + [f'{step:,}' for step in reached], table) + ['']
  return lines


def comparison_rows(experiment, references):
  labels = [c.label for c in experiment.columns]
  rows = [[p.source, p.group] + [p.values.get(label, '') for label in labels]
          for p in experiment.published]
  for name, values in references.items():
    rows.append([name, ''] + [_summary([float(values[c.path.split('.')[-1]]) * c.scale],
                                       c.digits)
                              if c.path.startswith('final.') and c.path.split('.')[-1] in values
                              else '' for c in experiment.columns])
  return _table(['published / reference', 'group'] + labels, rows) if rows else []


def _status(record):
  if collect.stopped_from_outside(record['error']) and not record['finished']:
    return f'unfinished ({record["error"][:100]}; resumes)'.replace('|', '/')
  if record['error']:
    return record['error'][:120].replace('|', '/')
  if record['finished']:
    return 'finished'
  return 'unfinished' if record['iterations'] else 'not started'


def run_rows(experiment, records):
  rows = [[r['name'], r['seed'], f'{r["iterations"]:,}'] +
          [_summary([_value(r, c.path) * c.scale], c.digits)
           if _value(r, c.path) is not None else '–' for c in experiment.columns] +
          [_duration(r['wall_seconds']) if r['wall_seconds'] else '–',
           _status(r)]
          for r in records]
  return _table(['run', 'seed', 'iterations'] + [c.label for c in experiment.columns] +
                ['wall', 'status'], rows)


def markdown(experiment, records, references, pictures, image_prefix):
  """The generated section (no title line): status, settings, tables, pictures."""
  finished = sum(r['finished'] for r in records)
  started = sum(bool(r['iterations']) for r in records)
  total = sum(r['wall_seconds'] for r in records)
  lines = [f'Generated by `bin/reproduce --experiment={experiment.name}` '
           f'({datetime.date.today().isoformat()}); do not edit by hand.', '',
           f'**Status: {finished} of {len(records)} runs finished at their full length, '
           f'{started - finished} more started.**' + ('' if started else
                                                      ' Nothing has been run yet.'), '']
  if shortfall(experiment, records):
    lines += [f'**Why short of the full length:** {experiment.shortfall}', '']
  lines += [f'Settings: {experiment.settings}', '']
  if started:
    lines += [f'Wall time, all runs: {_duration(total)} (sum over runs; each run is one '
              f'`bin/train` process, `--threads_per_run={_threads(records)}`; a run\'s wall time is '
              'its training time read from its event files, every attempt included, and runs '
              'that trained side by side shared the CPU). Cells: mean ± '
              'std over the seeds that finished (over the started ones, marked unfinished, when '
              'none has).', '']
  lines += group_rows(experiment, records) + ['']
  comparison = comparison_rows(experiment, references)
  if comparison:
    lines += comparison + ['']
  lines += progress_rows(experiment, records)
  lines += ['<details><summary>Per run</summary>', ''] + run_rows(experiment, records) + \
      ['', '</details>', '']
  lines += [f'![{caption}]({image_prefix}{name})' for caption, name in pictures]
  return '\n'.join(lines).rstrip() + '\n'


def pictures_shown(text):
  """[(caption, file name)] of the picture lines ``markdown`` wrote into ``text``."""
  return re.findall(r'^!\[(.*)\]\((?:.*/)?(.*)\)$', text, re.MULTILINE)


def _threads(records):
  counts = sorted({str(r['threads']) for r in records if r['threads'] is not None})
  return '/'.join(counts) or '?'


def shortfall(experiment, records):
  """The experiment's declared reason for stopping short, while some run has not finished."""
  return experiment.shortfall if not all(r['finished'] for r in records) else ''


def write(experiment, planned_runs, ledger, results_dir, docs_dir, log=print):
  """Write the JSON, the Markdown, the plots and the pages' generated sections."""
  records = records_of(experiment, planned_runs, ledger)
  started = [p for p, r in zip(planned_runs, records) if r['iterations']]
  references = experiment.references(experiment, planned_runs) \
      if experiment.references and started else {}
  image_dir = os.path.join(docs_dir, 'img')
  context = plots.Context(experiment, records, {p.run.name: p.run_dir for p in planned_runs},
                          references, image_dir)
  pictures = [picture for plot in experiment.plots for picture in plot(context)]
  _emit(experiment, records, references, pictures, results_dir, docs_dir, log)
  return records


def rewrite(experiment, results_dir, docs_dir, log=print, planned_runs=()):
  """Write the results again from the recorded ``<results_dir>/<name>.json`` instead of the run
  dirs (gone with a machine): its runs and references, the pictures its Markdown shows, and the
  experiment's texts as the catalog has them now. A run the catalog gained since (one of
  ``planned_runs`` the record lacks) is shown as not started; no run dir is read."""
  json_path = os.path.join(results_dir, experiment.name + '.json')
  md_path = os.path.join(results_dir, experiment.name + '.md')
  try:
    with open(json_path) as handle:
      result = json.load(handle)
    with open(md_path) as handle:
      shown = pictures_shown(handle.read())
    records, references = result['runs'], result['references']
  except (OSError, ValueError, KeyError, TypeError) as error:
    raise UserError(f'--from_results: cannot read the recorded {experiment.name} results in '
                    f'{results_dir}: {error}') from None
  recorded_runs = {record['name']: record for record in records}
  for planned in planned_runs:
    if planned.run.name not in recorded_runs:
      unread = dataclasses.replace(planned, run_dir=os.path.join(os.devnull, planned.run.name))
      recorded_runs[planned.run.name] = collect.run_record(experiment, unread, {})
  order = [run.name for run in experiment.runs]
  records = sorted(recorded_runs.values(),
                   key=lambda r: order.index(r['name']) if r['name'] in order else len(order))
  _emit(experiment, records, references, shown, results_dir, docs_dir, log)
  return records


def _emit(experiment, records, references, pictures, results_dir, docs_dir, log):
  image_dir = os.path.join(docs_dir, 'img')
  os.makedirs(results_dir, exist_ok=True)
  result = dict(experiment=experiment.name, title=experiment.title, settings=experiment.settings,
                command=f'bin/reproduce --experiment={experiment.name}',
                shortfall=shortfall(experiment, records),
                published=[dict(source=p.source, group=p.group, values=p.values)
                           for p in experiment.published],
                references=references, runs=records)
  json_path = os.path.join(results_dir, experiment.name + '.json')
  _write_text(json_path, json.dumps(result, indent=1) + '\n')
  md_path = os.path.join(results_dir, experiment.name + '.md')
  prefix = os.path.relpath(image_dir, results_dir) + '/'
  _write_text(md_path, f'# {experiment.title}\n\n' +
              markdown(experiment, records, references, pictures, prefix))
  for page in experiment.pages:
    _update_page(os.path.join(docs_dir, page), experiment,
                 f'#### {experiment.title}\n\n' +
                 markdown(experiment, records, references, pictures,
                          os.path.relpath(image_dir, docs_dir) + '/'), log)
  log(f'wrote {json_path}, {md_path} and {len(pictures)} pictures in {image_dir}')


def _write_text(path, text):
  partial = path + '.tmp'
  with open(partial, 'w') as handle:
    handle.write(text)
  os.replace(partial, path)


def markers(name):
  """The lines that open and close experiment ``name``'s generated section on a page."""
  return f'<!-- begin {MARK.format(name=name)} -->', f'<!-- end {MARK.format(name=name)} -->'


def _update_page(path, experiment, section, log):
  """Replace the text between the page's begin/end markers for this experiment."""
  begin, end = markers(experiment.name)
  if not os.path.exists(path):
    return
  with open(path) as handle:
    text = handle.read()
  if begin not in text or end not in text:
    log(f'{path}: no "{begin}" section; page not updated')
    return
  head, rest = text.split(begin, 1)
  _, tail = rest.split(end, 1)
  _write_text(path, f'{head}{begin}\n{section}{end}{tail}')
