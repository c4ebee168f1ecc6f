"""Where the conformance scripts find things and put their output.

Importing this module puts the repository root on sys.path, so that
`conformance.objects` (which fuzzed pickles name) is importable whatever the
current directory is; every other helper module imports this one first.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

OUT_DIR = os.path.join(ROOT, 'conformance', 'out')
DEFAULT_TOOL = os.path.join(ROOT, 'build', 'tools', 'pickletool')


def safe_filename(name):
    return re.sub(r'[^A-Za-z0-9_.=-]+', '_', name)[:120]
