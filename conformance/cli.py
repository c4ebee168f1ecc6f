"""The command line of the checker scripts (dis_check.py, load_check.py, ...) run on
their own: their common arguments, and one check from cases to saved disagreements."""

import argparse
import os
import re
import shutil
import subprocess
import sys

from conformance.cases import build_cases
from conformance.checkers import checker, disagrees, init_worker, run_check, run_pool
from conformance.disagreements import minimize_task, repro_dir, save_disagreement
from conformance.paths import DEFAULT_TOOL, OUT_DIR
from conformance.tools import Tool


def with_hash_seed_zero(python=None):
    """Re-execute this script with PYTHONHASHSEED=0 unless it already runs so: the seed
    whose set order the tool reproduces, and what makes pickled sets of strs (so the
    corpus) the same on every run.  With `python` (an interpreter's path), re-execute it
    under that interpreter, the oracle of the run, unless it already is this one."""
    target = python or sys.executable
    same = os.path.realpath(target) == os.path.realpath(sys.executable)
    if os.environ.get('PYTHONHASHSEED') != '0' or not same:
        env = dict(os.environ, PYTHONHASHSEED='0')
        os.execve(target, [target] + sys.argv, env)


def pyenv_root():
    root = os.environ.get('PYENV_ROOT')
    if root:
        return root
    try:
        out = subprocess.run(['pyenv', 'root'], capture_output=True, text=True, timeout=30)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except OSError:
        pass
    return os.path.expanduser('~/.pyenv')


def _version_key(name):
    return tuple(int(n) for n in re.findall(r'\d+', name))


def find_python(spec):
    """The interpreter `spec` names, or None: a path; a version X.Y or X.Y.Z, looked up
    among pyenv's versions (the newest that matches), then as pythonX.Y on PATH; or a
    command on PATH."""
    if os.sep in spec:
        return os.path.abspath(spec) if os.access(spec, os.X_OK) else None
    if re.fullmatch(r'\d+\.\d+(\.\d+)?', spec):
        versions = os.path.join(pyenv_root(), 'versions')
        names = os.listdir(versions) if os.path.isdir(versions) else []
        matches = sorted((n for n in names if n == spec or n.startswith(spec + '.')),
                         key=_version_key)
        for name in reversed(matches):
            for exe in ('python3', 'python'):
                path = os.path.join(versions, name, 'bin', exe)
                if os.access(path, os.X_OK):
                    return path
        spec = 'python' + '.'.join(spec.split('.')[:2])
    return shutil.which(spec)


def oracle_version():
    """'3.11.7': the CPython this process runs, the oracle of its outcomes."""
    return '%d.%d.%d' % sys.version_info[:3]


def add_common_arguments(ap):
    ap.add_argument('--pickletool', default=DEFAULT_TOOL,
                    help='the tool under test (a .py file runs with this python); '
                         'default: %(default)s')
    ap.add_argument('--seed', type=int, default=0, help='corpus and mutation seed')
    ap.add_argument('--count', type=int, default=None,
                    help='corpus objects (default: catalogue + 200 random graphs)')
    ap.add_argument('--dir', help='use the pickles in DIR instead of generating a corpus')
    ap.add_argument('--mutations', type=int, default=1,
                    help="random mutations per input (default 1; pickletester's vectors "
                         'also get every truncation)')
    ap.add_argument('--no-vectors', action='store_true', help="skip pickletester's vectors")
    ap.add_argument('--jobs', '-j', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--list', type=int, default=20, metavar='N',
                    help='list at most N disagreements (all are saved)')
    ap.add_argument('--minimize', type=int, default=10, metavar='N',
                    help='minimize the first N disagreements (default 10)')
    ap.add_argument('--timeout', type=float, default=60, help='seconds per tool run')


def check_tool(ap, path):
    if not os.path.exists(path):
        ap.error('no tool at %s (build it, or pass --pickletool conformance/fake_pickletool.py)'
                 % path)


def parse_checker_arguments(doc, add_arguments=None):
    """The arguments of a checker script: the common ones, then those add_arguments(ap)
    adds; the description is the first paragraph of doc.  Exits if there is no tool."""
    ap = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    add_common_arguments(ap)
    if add_arguments is not None:
        add_arguments(ap)
    args = ap.parse_args()
    check_tool(ap, args.pickletool)
    return args


def cli_main(area, args, with_kwargs=False):
    """What every checker's command line does once its arguments are parsed: build the
    cases, check them, print the checker's summary, save the disagreements (minimizing
    the first --minimize), list the first --list.  Returns the exit status."""
    tool = Tool(args.pickletool, args.timeout)
    cases = build_cases(args.seed, args.count, args.dir, args.mutations, not args.no_vectors,
                        with_kwargs=with_kwargs)
    print('%s_check: %d cases, tool %s' % (area, len(cases), args.pickletool))
    verdicts = run_check(area, cases, tool, args.jobs)
    checker(area).print_summary(verdicts)
    repro_dir(area, clear=True)
    bad = [(v, c) for v, c in zip(verdicts, cases) if disagrees(v)]
    records = [save_disagreement(area, v, c, tool) for v, c in bad]
    n = min(args.minimize, len(bad))
    if n:
        records[:n] = run_pool(minimize_task, [(r, v, c, tool) for r, (v, c)
                                               in zip(records[:n], bad[:n])],
                               args.jobs, initializer=init_worker, initargs=([area],),
                               progress='minimized', chunksize=1)
    if bad:
        print('%d disagreements, saved to %s/:' % (len(bad), os.path.join(OUT_DIR, area)))
    for record in records[:args.list]:
        print('- ' + record['report'].replace('\n', '\n  '))
    return 1 if bad else 0

