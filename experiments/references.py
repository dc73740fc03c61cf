"""Reference rows beside a table: what real data scores (floor), what an untrained model scores."""
from graphgan.engine.evaluation import quality
from graphgan.engine.run import loop


def image_quality(experiment, planned_runs):
  """{label: metrics}: real held-out images vs the reference set (the floor) and, per group,
  the untrained generator of its first run's config (the ceiling: where training starts)."""
  rows = {}
  datasets = sorted({p.model_cls.default_data if p.config.data == 'embedded' else p.config.data
                     for p in planned_runs})
  for name in datasets:
    measure = quality.measure_of(name)
    if measure is not None:
      rows[f'real {name} images (floor)'] = measure.floor()
  for group in experiment.groups():
    first = next(p for p in planned_runs if p.run.group == group)
    session = loop.Session(first.model_cls, first.config)
    try:
      session.prepare()
      with session.graph.as_default():
        report = session.model.final_report(session.sess)
    finally:
      session.close()
    if report:
      rows[f'{group}: untrained generator, seed {first.run.seed} (ceiling)'] = report
  return rows
