"""Where the table generators write: the repository, or the directory given with
--root DIR, which check_generated.py uses to regenerate every table apart and compare."""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def output_path(relative):
    """The path to write `relative` (e.g. 'lib/src/compat_tables.inc') to."""
    root = sys.argv[sys.argv.index('--root') + 1] if '--root' in sys.argv else REPO
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path
