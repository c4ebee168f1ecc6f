"""Regenerates every generated source file into a scratch directory and compares it with
the file in the tree: exit 1, with a unified diff, when a generator and its output have
drifted apart. Run with the CPython the tables come from (their first line names it);
another version exits 77, which ctest reports as skipped.

Usage: python3 lib/src/gen/check_generated.py [--keep DIR]"""
import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile

from gen_paths import REPO

HERE = os.path.dirname(os.path.abspath(__file__))

# Each generator and the files it writes, relative to the repository.
GENERATORS = {
    'gen_builtins_table.py': ['lib/src/builtins_table.inc'],
    'gen_builtin_attributes.py': ['lib/src/builtin_attributes.inc', 'lib/test/golden/builtin_attribute_cases.tsv'],
    'gen_compat_tables.py': ['lib/src/compat_tables.inc'],
    'gen_codec_tables.py': ['lib/src/codec_tables.inc'],
    'gen_opcodes.py': ['lib/include/pickle/opcode_enums.h', 'lib/src/opcode_tables.inc'],
    'gen_unicode_tables.py': ['lib/src/unicode_tables.inc'],
    'gen_ml_policy.py': ['lib/src/ml_policy_sklearn.inc'],
}
SKIPPED = 77


def table_python_version():
    """The CPython version the checked-in tables were generated with."""
    with open(os.path.join(REPO, 'lib', 'src', 'builtins_table.inc'), encoding='utf-8') as f:
        return re.search(r'from CPython (\S+?);', f.readline()).group(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--keep', help='regenerate into this directory and keep it')
    args = ap.parse_args()
    wanted, running = table_python_version(), sys.version.split()[0]
    if wanted != running:
        print('the tables come from CPython %s; this is %s: not compared' % (wanted, running))
        return SKIPPED
    root = args.keep or tempfile.mkdtemp(prefix='pickle-cpp-regen-')
    stale = 0
    for script, outputs in GENERATORS.items():
        done = subprocess.run([sys.executable, os.path.join(HERE, script), '--root', root],
                              cwd=HERE, capture_output=True, text=True)
        if done.returncode == SKIPPED:      # needs an interpreter this machine lacks
            print(done.stdout.strip() + ': not compared')
            return SKIPPED
        done.check_returncode()
        for relative in outputs:
            with open(os.path.join(REPO, relative), encoding='utf-8') as f:
                tree = f.read()
            with open(os.path.join(root, relative), encoding='utf-8') as f:
                fresh = f.read()
            if tree == fresh:
                print('%s: up to date (%s)' % (relative, script))
                continue
            stale += 1
            print('%s: STALE, %s writes something else:' % (relative, script))
            sys.stdout.writelines(difflib.unified_diff(
                tree.splitlines(True), fresh.splitlines(True), relative, 'regenerated', n=1))
    return 1 if stale else 0


if __name__ == '__main__':
    sys.exit(main())
