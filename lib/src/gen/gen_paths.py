"""Where the table generators write: the repository, or the directory given with
--root DIR, which check_generated.py uses to regenerate every table apart and compare."""
import os
import shutil
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def output_path(relative):
    """The path to write `relative` (e.g. 'lib/src/compat_tables.inc') to."""
    root = sys.argv[sys.argv.index('--root') + 1] if '--root' in sys.argv else REPO
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


# The CPython releases the library supports; generators that record per-release facts ask
# each one.
SUPPORTED = [(3, minor) for minor in range(8, 14)]
MISSING_INTERPRETER = 77


def interpreter(version):
    """The CPython X.Y to ask: pyenv's newest X.Y.Z, else pythonX.Y on PATH; without one,
    the generator exits with status 77 (check_generated.py then skips the comparison)."""
    root = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
    versions = os.path.join(root, 'versions')
    prefix = '%d.%d.' % version
    names = sorted((n for n in (os.listdir(versions) if os.path.isdir(versions) else [])
                    if n.startswith(prefix) and n[len(prefix):].isdigit()),
                   key=lambda n: int(n[len(prefix):]))
    for name in reversed(names):
        path = os.path.join(versions, name, 'bin', 'python3')
        if os.access(path, os.X_OK):
            return path
    path = shutil.which('python%d.%d' % version)
    if path is None:
        print('%s needs CPython %d.%d (pyenv or PATH)' % ((os.path.basename(sys.argv[0]),) + version))
        sys.exit(MISSING_INTERPRETER)
    return path
