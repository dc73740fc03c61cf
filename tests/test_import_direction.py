"""Imports point one way (experiments -> models -> engine) and no package imports itself in a circle.

Read from the source (every import statement, also those inside functions), so a lazy import
cannot hide a circle: the engine never names a model or an experiment.
"""
import ast
import os
import subprocess
import sys

from conftest import python_command

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = ('engine', 'models', 'experiments')   # a package may import only those before it


def _modules():
  """{module name: path} of every .py file under the three packages."""
  found = {}
  for package in LAYERS:
    for folder, _, files in os.walk(os.path.join(ROOT, package)):
      for name in files:
        if name.endswith('.py'):
          path = os.path.join(folder, name)
          parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
          found['.'.join(parts[:-1] if parts[-1] == '__init__' else parts)] = path
  return found


def _imports(path, modules):
  """Our modules that ``path`` imports (the most specific existing module of each name)."""
  targets = set()
  for node in ast.walk(ast.parse(open(path).read())):
    if isinstance(node, ast.Import):
      names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
      names = [f'{node.module}.{alias.name}' for alias in node.names] + [node.module]
    else:
      continue
    for name in names:
      name = name[len('graphgan.'):] if name.startswith('graphgan.') else name
      while name and name not in modules:
        name = name.rpartition('.')[0]
      if name:
        targets.add(name)
  return targets


def _graph():
  modules = _modules()
  return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _cycles(graph):
  """Strongly connected components with more than one module (Tarjan)."""
  index, low, stack, on_stack, found = {}, {}, [], set(), []

  def visit(node):
    index[node] = low[node] = len(index)
    stack.append(node)
    on_stack.add(node)
    for child in graph.get(node, ()):
      if child not in index:
        visit(child)
        low[node] = min(low[node], low[child])
      elif child in on_stack:
        low[node] = min(low[node], index[child])
    if low[node] == index[node]:
      component = set()
      while True:
        member = stack.pop()
        on_stack.discard(member)
        component.add(member)
        if member == node:
          break
      if len(component) > 1:
        found.append(sorted(component))

  for node in sorted(graph):
    if node not in index:
      visit(node)
  return found


def _is_package_init(module, target):
  """``engine.data`` importing its own submodules to register them is not a circle back."""
  return target.startswith(module + '.')


def test_no_import_circles():
  graph = {name: {t for t in targets if not _is_package_init(name, t)}
           for name, targets in _graph().items()}
  assert _cycles(graph) == []


def test_imports_point_from_experiments_to_models_to_engine():
  wrong = []
  for name, targets in _graph().items():
    layer = LAYERS.index(name.split('.')[0])
    wrong += [f'{name} -> {t}' for t in targets if LAYERS.index(t.split('.')[0]) > layer]
  assert wrong == []


def test_engine_loads_models_and_benchmarks_through_entry_points():
  code = ('import sys, graphgan.engine; from graphgan.engine import registry, data; from graphgan.engine.tools import bench; '
          'assert "graphgan.models" not in sys.modules; '
          'assert "graphgan.experiments" not in sys.modules; '
          'assert "wgan" in registry.names() and "graphgan.models.wgan" in sys.modules; '
          'assert "graphgan.experiments" not in sys.modules; '
          'assert {"wgan", "unrolled_gan"} <= set(bench.names()); print("ok")')
  done = subprocess.run(python_command(code), cwd=ROOT, capture_output=True, text=True,
                        timeout=None, check=False)
  assert done.stdout.strip() == 'ok', done.stderr[-2000:]


# Inside the engine, imports point down this list (a module may import its own layer and those
# before it): the basics; graph building blocks; evaluation; the GAN stage a model author uses;
# the run-time; the cluster; development tools; the command line on top.
ENGINE_LAYERS = (
    ('compat', 'errors', 'files', 'config', 'resources', 'plugins', 'registry', 'data'),
    ('graph',),
    ('evaluation',),
    ('model', 'gan', 'losses', 'penalties'),
    ('run',),
    ('cluster',),
    ('tools',),
    ('cli',),
)


def _engine_layer(module):
  part = module.split('.')[1] if module.count('.') else ''
  for index, names in enumerate(ENGINE_LAYERS):
    if part in names:
      return index
  raise AssertionError(f'{module}: not in ENGINE_LAYERS (add it where it belongs)')


def test_engine_imports_point_down_its_layers():
  wrong = []
  for name, targets in _graph().items():
    if not name.startswith('engine.') or name.count('.') < 1:
      continue
    wrong += [f'{name} -> {t}' for t in targets
              if t.startswith('engine.') and _engine_layer(t) > _engine_layer(name)]
  assert wrong == []
