"""Makes the checkout this file lives in importable as the package ``graphgan``.

``bin/*`` import it first, so they run the code of their own checkout whether graphgan is
installed or not (and whichever checkout an installed one points at). Run as a script, it runs a
module or code of that checkout: ``python bin/_checkout.py graphgan.engine.evaluation.quality ARGS`` is
``python -m graphgan.engine.evaluation.quality ARGS``, and ``python bin/_checkout.py -c CODE`` is
``python -c CODE``, both importing ``graphgan`` from here.
"""
import importlib.util
import os
import runpy
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def use(root=ROOT):
  """``graphgan`` from ``root`` (unless a ``graphgan`` is imported already); the module."""
  if 'graphgan' in sys.modules:
    return sys.modules['graphgan']
  spec = importlib.util.spec_from_file_location('graphgan', os.path.join(root, '__init__.py'),
                                                submodule_search_locations=[root])
  module = importlib.util.module_from_spec(spec)
  sys.modules['graphgan'] = module
  spec.loader.exec_module(module)
  return module


use()

if __name__ == '__main__':
  if len(sys.argv) < 2:
    sys.exit('usage: python bin/_checkout.py MODULE [ARGS...] | -c CODE [ARGS...]')
  if sys.argv[1] == '-c':
    code = sys.argv[2]
    sys.argv = ['-c'] + sys.argv[3:]
    exec(compile(code, '<string>', 'exec'), {'__name__': '__main__'})  # pylint: disable=exec-used
  else:
    module = sys.argv[1]
    sys.argv = [module] + sys.argv[2:]
    runpy.run_module(module, run_name='__main__', alter_sys=True)
