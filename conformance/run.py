#!/usr/bin/env python3
"""The conformance suite: the library against CPython, every area, one report.

Areas (--areas, default all):

  dis        `pickletool dis` vs `python3 -m pickletools`          (dis_check.py)
  load       `pickletool show` vs pickle.loads and repr            (load_check.py)
  roundtrip  `pickletool roundtrip --protocol q` vs dumps(loads(P), q), q = 0..5
                                                                    (roundtrip_check.py)
  optimize   `pickletool optimize` vs pickletools.optimize         (optimize_check.py)
  reducers   the table of valid and malformed reducer returns
             (lib/test/golden/gen_reducer_cases.py): CPython run now vs the
             committed outcomes of its release, and the C++ side
             (reducer_golden_test, as that release) vs the same outcomes
  copy       the ports of test_copy.py and test_copyreg.py (copy_test, copyreg_test)
  testsuite  CPython's own pickle tests (of the oracle's version) run against the library
             through the command-line tool, and through its Python extension when that
             is built for the oracle (conformance/testsuite_check.py)

The first four run on the same cases: a seeded corpus of object graphs pickled
at protocols 0-5, pickletester's vectors, and mutations of all of them
(cases.build_cases).  --time SECONDS keeps going with the next seeds (new random
graphs, new mutations; inputs already checked are skipped) until the time is
spent: an overnight run is --time 28800.

Every compared outcome either agrees, disagrees, or is counted apart (CPython's
outcome depends on something the library cannot know or does not do: imports,
calls, memory, set order, class code; see each checker).  At the end the suite
prints one table and writes conformance/out/report.md and report.json; each
disagreement is saved under conformance/out/<area>/ with a .txt whose `replay:`
line is the one command that checks it again.  Exit status 1 when anything
compared disagrees.

    python3 conformance/run.py --pickletool build/tools/pickletool     # default size
    python3 conformance/run.py --seed 7 --count 120 --mutations 2      # what ctest runs
    python3 conformance/run.py --time 28800 --seed 100                 # overnight
    python3 conformance/run.py --replay conformance/out/load/CASE.pickle
"""

import argparse
import collections
import functools
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.cases import Case, build_cases  # noqa: E402
from conformance.checkers import (Tally, check_case, checker, disagrees,  # noqa: E402
                                  init_worker, run_pool)
from conformance.cli import (check_tool, find_python, oracle_version,  # noqa: E402
                              with_hash_seed_zero)
from conformance.disagreements import (minimize_task, python_command,  # noqa: E402
                                       repro_dir, save_disagreement)
from conformance.oracle import error_text  # noqa: E402
from conformance.paths import DEFAULT_TOOL, OUT_DIR, ROOT, safe_filename  # noqa: E402
from conformance.tools import Tool  # noqa: E402

CASE_AREAS = ('dis', 'load', 'roundtrip', 'optimize')
ALL_AREAS = CASE_AREAS + ('reducers', 'copy', 'testsuite')
GOLDEN = os.path.join(ROOT, 'lib', 'test', 'golden')
TESTSUITE_SCRIPT = os.path.join(ROOT, 'conformance', 'testsuite_check.py')

# The default size, what the main job runs: the catalogue plus this many random graphs,
# one mutation each (about 52,000 inputs: about a minute on 2 cores, conformance/README.md).
DEFAULT_RANDOM = 4500


class Area:
    """The counts of one area: per group, Counters of 'agree', 'disagree',
    'apart:<category>' and 'skip'; plus whether it could run at all."""

    def __init__(self, name, unit):
        self.name, self.unit = name, unit
        self.tally = Tally()
        # (input protocol, output protocol) -> Counter of units, for checkers that
        # report per protocol pair (roundtrip).
        self.pairs = collections.defaultdict(collections.Counter)
        self.available = True
        self.notes = []

    def unavailable(self, why):
        self.available = False
        self.notes.append(why)
        return self

    def to_json(self):
        out = self.tally.to_json()
        out.update(unit=self.unit, available=self.available, notes=self.notes)
        if self.pairs:
            out['pairs'] = {'%d->%d' % pair: Tally.summary(units)
                            for pair, units in sorted(self.pairs.items())}
        return out

    def pair_table(self):
        """Markdown: agree/compared per pair, input protocol in rows, output in columns."""
        inputs = sorted({p for p, _ in self.pairs})
        outputs = sorted({q for _, q in self.pairs})
        lines = ['| input \\ output | ' + ' | '.join('q=%d' % q for q in outputs) + ' |',
                 '|---|' + '---:|' * len(outputs)]
        for p in inputs:
            cells = []
            for q in outputs:
                s = Tally.summary(self.pairs.get((p, q), {}))
                apart = sum(s['apart'].values())
                cells.append('%d/%d%s' % (s['agree'], s['compared'],
                                          ' (+%d apart)' % apart if apart else ''))
            lines.append('| p=%d | %s |' % (p, ' | '.join(cells)))
        return lines


class Progress:
    """One status line on stderr: redrawn at most once a second on a terminal, written
    every 30 seconds otherwise (logs of ctest and CI)."""

    def __init__(self, start, deadline):
        self.start, self.deadline = start, deadline
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.width = 0

    def show(self, text, force=False):
        now = time.time()
        if not force and now - self.last < (1.0 if self.tty else 30.0):
            return
        self.last = now
        if self.tty:
            sys.stderr.write('\r' + text.ljust(self.width))
            self.width = len(text)
        else:
            sys.stderr.write(text + '\n')
        sys.stderr.flush()

    def cases(self, seed, done, disagreements, force=False):
        elapsed = time.time() - self.start
        budget = ' of %s' % clock(self.deadline - self.start) if self.deadline else ''
        self.show('[suite] seed %d: %d cases, %.1f/s, %d disagreements, %s%s'
                  % (seed, done, done / max(elapsed, 1e-9), disagreements, clock(elapsed),
                     budget), force)

    def end(self):
        if self.tty and self.width:
            sys.stderr.write('\n')
            sys.stderr.flush()
            self.width = 0


def clock(seconds):
    seconds = int(seconds)
    return '%d:%02d:%02d' % (seconds // 3600, seconds // 60 % 60, seconds % 60)


class Suite:
    """One run: its areas, its disagreements (saved as found), what it covered."""

    def __init__(self, args, tool):
        self.args, self.tool = args, tool
        self.areas = collections.OrderedDict()
        self.records = []               # saved disagreements, in the order found
        self.saved = collections.Counter()     # area -> saved disagreements
        self.unsaved = collections.Counter()
        self.to_minimize = collections.defaultdict(list)   # area -> [(record, v, case)]
        self.seeds = []
        self.cases = 0
        self.start = time.time()
        self.stopped_early = None       # or why the run stopped before its end

    def area(self, name, unit):
        if name not in self.areas:
            self.areas[name] = Area(name, unit)
        return self.areas[name]

    def disagreements(self):
        return sum(a.tally.total().get('disagree', 0) for a in self.areas.values())

    def add_verdicts(self, case, verdicts):
        """Count one case's verdicts; save the disagreements at once (a long run that is
        interrupted keeps what it found)."""
        self.cases += 1
        for name, v in verdicts.items():
            module = checker(name)
            area = self.area(name, module.UNIT)
            area.tally.add(case.group, v['units'])
            if hasattr(module, 'units_by_pair'):
                for pair, unit in module.units_by_pair(v).items():
                    area.pairs[pair][unit] += 1
            if not disagrees(v):
                continue
            if self.saved[name] >= self.args.save:
                self.unsaved[name] += 1
                continue
            record = save_disagreement(name, v, case, self.tool, self.args.out)
            self.records.append(record)
            self.saved[name] += 1
            if len(self.to_minimize[name]) < self.args.minimize:
                self.to_minimize[name].append((record, v, case))


# ---------------------------------------------------------------------------
# The areas that run on every case.

def check_all(areas, tool, case):
    """Every area's verdict on one case (in a worker process)."""
    return {area: check_case(area, tool, case) for area in areas}


class TimeUp(Exception):
    pass


def run_cases(suite, areas, progress):
    """Check batches of cases (one per seed, from --seed on) until the batch of --seed
    is done, or with --time until the time is spent."""
    args = suite.args
    deadline = suite.start + args.time if args.time else None
    seen = SeenInputs()
    pool = multiprocessing.get_context('fork').Pool(
        args.jobs, initializer=init_worker, initargs=(areas,))
    work = functools.partial(check_all, tuple(areas), suite.tool)
    seed = args.seed
    try:
        while True:
            progress.show('[suite] seed %d: generating cases' % seed, force=True)
            cases = [c for c in build_cases(seed, args.count, args.dir, args.mutations,
                                            not args.no_vectors, with_kwargs=True)
                     if _first_time(seen, c, args.shard)]
            suite.seeds.append(seed)
            results = pool.imap(work, cases)     # chunksize 1: an iterator with next(timeout)
            for case in cases:
                while True:
                    try:
                        verdicts = results.next(timeout=1.0)
                        break
                    except multiprocessing.TimeoutError:
                        progress.cases(seed, suite.cases, suite.disagreements())
                        if deadline and time.time() > deadline:
                            raise TimeUp()
                suite.add_verdicts(case, verdicts)
                progress.cases(seed, suite.cases, suite.disagreements())
                if deadline and time.time() > deadline:
                    raise TimeUp()
            if not deadline:
                break
            seed += 1
    except TimeUp:
        suite.stopped_early = 'time budget spent'
    except KeyboardInterrupt:       # Ctrl-C: the report still covers what was checked
        suite.stopped_early = 'interrupted'
    finally:
        pool.terminate()
        pool.join()
    progress.cases(seed, suite.cases, suite.disagreements(), force=True)
    progress.end()


class SeenInputs:
    """The inputs a run has checked, as a Bloom filter of 2**29 bits (64 MB, its pages
    touched only as they fill): an overnight run checks tens of millions of inputs, whose
    digests in a set would take gigabytes. At 20 million inputs about one new input in
    a thousand is taken for one already checked, and skipped."""

    BITS = 1 << 29

    def __init__(self):
        import mmap
        self.bits = mmap.mmap(-1, self.BITS // 8)     # anonymous: zero pages, given lazily

    def add(self, digest):
        """Records a 20-byte digest; False if it was (probably) recorded before."""
        new = False
        for i in range(3):      # three 29-bit positions from bytes 8-19 (0-7 pick the shard)
            bit = int.from_bytes(digest[8 + 4 * i:12 + 4 * i], 'little') % self.BITS
            byte, mask = bit >> 3, 1 << (bit & 7)
            if not self.bits[byte] & mask:
                self.bits[byte] |= mask
                new = True
        return new


def _first_time(seen, case, shard):
    """False for an input (with its loads() arguments) checked in an earlier batch, or
    that belongs to another shard.  The shard is a function of the input alone, so the
    shards of one run split its cases whatever order they come in."""
    import hashlib
    key = hashlib.sha1(case.data + repr(sorted(case.kwargs.items())).encode()).digest()
    part, parts = shard
    if int.from_bytes(key[:8], 'little') % parts != part - 1:
        return False
    return seen.add(key)


def parse_shard(text):
    m = re.fullmatch(r'(\d+)/(\d+)', text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise argparse.ArgumentTypeError('expected K/N with 1 <= K <= N, not %r' % text)
    return int(m.group(1)), int(m.group(2))


def minimize_all(suite, progress):
    tasks = [(record, v, case, suite.tool) for items in suite.to_minimize.values()
             for record, v, case in items]
    if not tasks:
        return
    progress.show('[suite] minimizing %d disagreements' % len(tasks), force=True)
    done = run_pool(minimize_task, tasks, suite.args.jobs,
                    initializer=init_worker, initargs=(list(CASE_AREAS),),
                    progress='minimized', chunksize=1)
    by_input = {r['input']: r for r in done}
    suite.records = [by_input.get(r['input'], r) for r in suite.records]


# ---------------------------------------------------------------------------
# The areas that run once: the C++ tests and the generators of their golden data.

def run_gtest(binary, timeout, gtest_filter=None):
    """(exit status, stdout, gtest's JSON report or None) of one GoogleTest binary."""
    fd, report = tempfile.mkstemp(suffix='.json')
    os.close(fd)
    cmd = [binary, '--gtest_output=json:' + report]
    if gtest_filter:
        cmd.append('--gtest_filter=' + gtest_filter)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        try:
            with open(report, encoding='utf-8') as f:
                data = json.load(f)
        except (OSError, ValueError):
            data = None
        return proc.returncode, proc.stdout, data
    except subprocess.TimeoutExpired:
        return 'timeout', '', None
    finally:
        os.unlink(report)


def gtest_tests(data):
    """(suite.name, [failure messages], skipped) for every test of a gtest JSON report."""
    for suite in data.get('testsuites', []):
        for test in suite.get('testsuite', []):
            failures = [f.get('failure', '') for f in test.get('failures', [])]
            skipped = test.get('result') == 'SKIPPED' or test.get('status') == 'NOTRUN'
            yield '%s.%s' % (suite['name'], test['name']), failures, skipped


def save_note(suite, area, name, what, lines, replay):
    """A disagreement that is not an input file: its .txt (what differs, the replay
    command) under out/<area>/, and a record of it."""
    directory = repro_dir(area, out_dir=suite.args.out)
    path = os.path.join(directory, safe_filename(name) + '.txt')
    text = '\n'.join(['case: %s (%s)' % (name, area)] + lines + ['replay: ' + replay]) + '\n'
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    suite.records.append({'area': area, 'case': name, 'group': area, 'kwargs': {},
                          'what': what, 'input': path, 'minimized': None, 'replay': replay,
                          'report': text.rstrip('\n')})


def reducers_area(suite, build_dir):
    """The reducer-return table: CPython, run now, against the committed outcomes of its
    release (reducer_cases.tsv with reducer_cases_by_version.tsv), outcome by outcome,
    then the C++ test of that release against the same table."""
    area = suite.area('reducers', 'outcomes')
    version = '%d.%d' % sys.version_info[:2]
    generator = os.path.join(GOLDEN, 'gen_reducer_cases.py')
    check_table = python_command() + ' ' + generator + ' --check'
    committed = _reducer_rows(open(os.path.join(GOLDEN, 'reducer_cases.tsv'),
                                   encoding='utf-8').read())
    for line in open(os.path.join(GOLDEN, 'reducer_cases_by_version.tsv'), encoding='utf-8'):
        release, name, mode, column, outcome = line.rstrip('\n').split('\t')
        if release == version:
            committed[(name, mode)][REDUCER_COLUMNS.index(column)] = outcome
    proc = subprocess.run(
        [sys.executable, '-c', 'import sys; sys.path.insert(0, sys.argv[1]); '
         'import gen_reducer_cases as g; sys.stdout.write("\\n".join(g.rows()) + "\\n")',
         GOLDEN], capture_output=True, text=True, timeout=suite.args.timeout * 10)
    if proc.returncode != 0:
        area.tally.add('cpython-now', {'disagree': 1})
        save_note(suite, 'reducers', 'cpython-generator-fails', 'the generator fails',
                  proc.stderr.splitlines()[-20:], check_table)
    else:
        live = _reducer_rows(proc.stdout)
        units = collections.Counter()
        differ = []
        for key in list(committed) + [k for k in live if k not in committed]:
            old, new = committed.get(key), live.get(key)
            for col, label in enumerate(REDUCER_COLUMNS):
                a = old[col] if old else None
                b = new[col] if new else None
                if a == b == '-':
                    continue            # not an outcome: CPython's copy is not comparable
                if a == b:
                    units['agree'] += 1
                else:
                    units['disagree'] += 1
                    differ.append('%s (%s) %s: table %s, CPython now %s'
                                  % (key[0], key[1], label, a, b))
        area.tally.add('cpython-now', units)
        if differ:
            save_note(suite, 'reducers', 'cpython-vs-table', differ[0], differ, check_table)
    binary = os.path.join(build_dir, 'lib', 'test', 'reducer_golden_test')
    if not os.path.exists(binary):
        area.notes.append('C++ side not run: no %s (build the reducer_golden_test target)'
                          % binary)
        return
    gtest_filter = '*ReducerGolden*/Python%s' % version.replace('.', '_')
    status, out, data = run_gtest(binary, suite.args.timeout * 10, gtest_filter)
    m = re.search(r'\[ reducer \] (\d+) outcomes checked', out)
    failures = [f for _, fs, _ in gtest_tests(data) for f in fs] if data else []
    replay = '%s --gtest_filter=%s' % (binary, gtest_filter)
    if not m:
        area.tally.add('c++', {'disagree': 1})
        save_note(suite, 'reducers', 'cxx-test-did-not-finish', 'exit status %s' % status,
                  out.splitlines()[-20:], replay)
        return
    checked = int(m.group(1))
    area.tally.add('c++', {'agree': checked - len(failures), 'disagree': len(failures)})
    if failures:
        save_note(suite, 'reducers', 'cxx-vs-table', failures[0].splitlines()[0],
                  [line for f in failures for line in f.splitlines()], replay)


REDUCER_COLUMNS = ('p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'copy', 'deepcopy')


def _reducer_rows(text):
    """{(name, mode): [p0..p5, copy, deepcopy]} of reducer_cases.tsv lines."""
    rows = {}
    for line in text.splitlines():
        f = line.split('\t')
        if len(f) == 12:
            rows[(f[0], f[1])] = f[4:]
    return rows


def copy_area(suite, build_dir):
    """copy_test and copyreg_test (ports of test_copy.py and test_copyreg.py): one
    count per test."""
    area = suite.area('copy', 'tests')
    for name in ('copy_test', 'copyreg_test'):
        binary = os.path.join(build_dir, 'lib', 'test', name)
        if not os.path.exists(binary):
            area.notes.append('%s not run: no %s' % (name, binary))
            continue
        status, out, data = run_gtest(binary, suite.args.timeout * 10)
        if data is None:
            area.tally.add(name, {'disagree': 1})
            save_note(suite, 'copy', name, '%s did not finish (exit status %s)' % (name, status),
                      out.splitlines()[-20:], binary)
            continue
        for test, failures, skipped in gtest_tests(data):
            outcome = 'skip' if skipped else 'disagree' if failures else 'agree'
            area.tally.add(name, {outcome: 1})
            if failures:
                save_note(suite, 'copy', test, failures[0].splitlines()[0],
                          [line for f in failures for line in f.splitlines()],
                          '%s --gtest_filter=%s' % (binary, test))
    if not area.tally.groups:
        area.unavailable('; '.join(area.notes) + ' (build copy_test and copyreg_test)')


def testsuite_area(suite, build_dir):
    """CPython's own pickle test classes (pickletester, of the oracle's version) run against
    the library by conformance/testsuite_check.py: through the command-line tool
    (cli_pickle.py, any version) and, when it is built for this CPython, through the
    extension module _pickle_cpp. One count per test; failures its KNOWN_DIFFERENCES
    explains are counted apart."""
    import glob
    import importlib.machinery
    area = suite.area('testsuite', 'tests')
    if not os.path.exists(TESTSUITE_SCRIPT):
        return area.unavailable('no conformance/testsuite_check.py')
    runs = [[sys.executable, TESTSUITE_SCRIPT, '--cli', os.path.abspath(suite.args.pickletool)]]
    ext_dir = os.path.join(build_dir, 'conformance', 'pyext')
    if any(glob.glob(os.path.join(ext_dir, '_pickle_cpp' + suffix))
           for suffix in importlib.machinery.EXTENSION_SUFFIXES):
        runs.append([sys.executable, TESTSUITE_SCRIPT, '--ext', ext_dir])
    else:
        area.notes.append('no _pickle_cpp module for this CPython in %s: the tests ran through '
                          'the command-line tool only' % ext_dir)
    ran = 0
    for cmd in runs:
        data = _testsuite_report(area, cmd, suite.args.timeout * 30)
        if data is None:
            continue
        replay = ' '.join([python_command()] + cmd[1:])
        for test in data.get('tests', []):
            outcome = test['outcome']
            if outcome == 'passed':
                unit = 'agree'
            elif outcome == 'skipped':
                unit = 'skip'
            elif test.get('known_difference'):
                unit = 'apart:known-difference'
            else:
                unit = 'disagree'
                name = '%s.%s' % (test['class'], test['test'])
                save_note(suite, 'testsuite', name, '%s: %s' % (outcome, test.get('reason', '')),
                          [outcome, str(test.get('reason', ''))],
                          '%s --class %s -k %s -v' % (replay, test['class'], test['test']))
            area.tally.add(test['class'], {unit: 1})
            ran += 1
    if not ran:
        area.unavailable('testsuite_check.py ran no tests')


def _testsuite_report(area, cmd, timeout):
    """testsuite_check.py's JSON report of one run, or None (with a note saying why)."""
    fd, path = tempfile.mkstemp(suffix='.json')
    os.close(fd)
    data, proc = None, None
    try:
        proc = subprocess.run(cmd + ['--json', path], capture_output=True, text=True,
                              timeout=timeout)
        if os.path.getsize(path):
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
    except (subprocess.TimeoutExpired, OSError, ValueError) as exc:
        area.notes.append('testsuite_check.py: %s' % error_text(exc))
    finally:
        os.unlink(path)
    if data is None:
        tail = proc.stderr.strip().splitlines()[-1:] if proc else []
        area.notes.append('%s gave no report%s' % (' '.join(cmd[1:]),
                                                  ': ' + tail[0] if tail else ''))
    return data


# ---------------------------------------------------------------------------
# The report.

def table(suite):
    """The summary table, as rows of cells (header first)."""
    rows = [('area', 'unit', 'agree/compared', '%', 'disagree', 'counted apart', 'not compared')]
    for area in suite.areas.values():
        if not area.available:
            rows.append((area.name, area.unit, 'not available', '', '', '', area.notes[0]))
            continue
        s = area.tally.to_json()
        apart = ', '.join('%s %d' % kv for kv in s['apart'].items()) or '-'
        rows.append((area.name, area.unit, '%d/%d' % (s['agree'], s['compared']),
                     '%.2f' % (100.0 * s['agree'] / s['compared']) if s['compared'] else '-',
                     str(s['disagree']), apart, str(s['skip']) if s['skip'] else '-'))
    return rows


def text_table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = {2, 3, 4}
    out = []
    for n, row in enumerate(rows):
        out.append('  '.join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            out.append('  '.join('-' * w for w in widths))
    return '\n'.join(out)


def markdown_table(rows):
    align = ['---:' if i in (2, 3, 4) else '---' for i in range(len(rows[0]))]
    lines = ['| ' + ' | '.join(rows[0]) + ' |', '|' + '|'.join(align) + '|']
    lines += ['| ' + ' | '.join(c.replace('|', '\\|') for c in r) + ' |' for r in rows[1:]]
    return '\n'.join(lines)


def describe_run(suite):
    args = suite.args
    seeds = suite.seeds
    shard = ', shard %d/%d' % args.shard if args.shard != (1, 1) else ''
    return ('CPython %s; seed%s %s, %s, %d mutation(s) per input%s, %d cases, %s%s; tool %s'
            % (oracle_version(), 's' if len(seeds) > 1 else '',
               '%d..%d' % (seeds[0], seeds[-1]) if len(seeds) > 1 else
               (str(seeds[0]) if seeds else str(args.seed)),
               'dir %s' % args.dir if args.dir else 'count %d' % args.count,
               args.mutations, shard, suite.cases, clock(time.time() - suite.start),
               ' (%s)' % suite.stopped_early if suite.stopped_early else '', args.pickletool))


def write_reports(suite, rows):
    out = suite.args.out
    os.makedirs(out, exist_ok=True)
    header = describe_run(suite)
    md = ['# Conformance report', '', '`%s`' % ' '.join(sys.argv), '', header, '',
          markdown_table(rows), '']
    md += ['Counts are per unit; "counted apart" are outcomes that depend on what the library '
           'cannot know or does not do (see conformance/README.md), not disagreements.', '']
    for area in suite.areas.values():
        if not area.available:
            continue
        md += ['## %s (%s)' % (area.name, area.unit), '',
               '| group | agree/compared | disagree | counted apart | not compared |',
               '|---|---:|---:|---|---:|']
        for group, s in area.tally.to_json()['groups'].items():
            md.append('| %s | %d/%d | %d | %s | %d |' % (
                group, s['agree'], s['compared'], s['disagree'],
                ', '.join('%s %d' % kv for kv in s['apart'].items()) or '-', s['skip']))
        md += [''] + ['* ' + n for n in area.notes] + ([''] if area.notes else [])
        if area.pairs:
            md += ['By protocol pair: rows are the protocol of the input pickle (0 when it '
                   'declares none), columns the protocol it is written at again; '
                   'agree/compared, and how many were counted apart.', '']
            md += area.pair_table() + ['']
    md += ['## Disagreements', '']
    if not suite.records:
        md.append('None.')
    for r in suite.records:
        md += ['* **%s** `%s`: %s' % (r['area'], r['case'], r['what']),
               '  `%s`' % r.get('replay_minimized', r['replay'])]
    for area, n in suite.unsaved.items():
        md.append('* %s: %d more disagreements not saved (--save)' % (area, n))
    with open(os.path.join(out, 'report.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(md) + '\n')
    report = {'command': sys.argv, 'python': oracle_version(),
              'python_path': sys.executable, 'shard': list(suite.args.shard),
              'seeds': suite.seeds, 'count': suite.args.count,
              'mutations': suite.args.mutations, 'cases': suite.cases,
              'seconds': round(time.time() - suite.start, 1),
              'stopped_early': suite.stopped_early, 'tool': suite.args.pickletool,
              'areas': {a.name: a.to_json() for a in suite.areas.values()},
              'disagreements': [{k: v for k, v in r.items() if k != 'report'}
                                for r in suite.records],
              'unsaved': dict(suite.unsaved)}
    with open(os.path.join(out, 'report.json'), 'w', encoding='utf-8') as f:
        json.dump(report, f, indent=1)
        f.write('\n')


# ---------------------------------------------------------------------------
# Replaying one saved case.

def replay(args):
    path = os.path.abspath(args.replay)
    area = os.path.basename(os.path.dirname(path))
    if area not in CASE_AREAS:
        sys.exit('--replay: %s is not under out/<area>/ for one of %s' % (path, CASE_AREAS))
    kwargs = {}
    if args.encoding is not None:
        kwargs['encoding'] = args.encoding
    if args.errors is not None:
        kwargs['errors'] = args.errors
    if args.no_fix_imports:
        kwargs['fix_imports'] = False
    # The case's group (corpus, vectors, ...-mutated) as its report names it: some
    # categories depend on whether the input is a mutation.
    group = 'replay'
    note = re.sub(r'(\.min)?\.pickle$', '.txt', path)
    if os.path.exists(note):
        with open(note, encoding='utf-8', errors='replace') as f:
            m = re.match(r'case: .* \(([\w-]+)\)$', f.readline().strip())
        if m:
            group = m.group(1)
    with open(path, 'rb') as f:
        case = Case(os.path.basename(path), group, f.read(), kwargs)
    init_worker([area])
    tool = Tool(args.pickletool, args.timeout)
    v = check_case(area, tool, case)
    module = checker(area)
    print('%s on %s: %s' % (area, path, ', '.join('%s %d' % kv for kv in v['units'].items())))
    if disagrees(v) or any(k.startswith('apart:') for k in v['units']):
        print('\n'.join(module.describe(v)))
    print('by hand: ' + module.by_hand(tool, kwargs))
    return 1 if disagrees(v) else 0


# ---------------------------------------------------------------------------

def main():
    with_hash_seed_zero()
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split('\n\n', 1)[1])
    ap.add_argument('--pickletool', default=DEFAULT_TOOL,
                    help='the tool under test (default: %(default)s)')
    ap.add_argument('--build-dir', help='where the C++ tests are (default: the build '
                                        'directory of --pickletool)')
    ap.add_argument('--areas', default=','.join(ALL_AREAS),
                    help='comma-separated areas to run (default: all)')
    ap.add_argument('--seed', type=int, default=0, help='first corpus and mutation seed')
    size = ap.add_mutually_exclusive_group()
    size.add_argument('--count', type=int, default=None,
                      help='corpus objects per seed: the first COUNT of the catalogue, '
                           'then random graphs')
    size.add_argument('--random', type=int, default=DEFAULT_RANDOM, metavar='N',
                      help='corpus objects per seed: the whole catalogue, then N random graphs '
                           '(default %(default)s)')
    ap.add_argument('--dir', help='check the pickles in DIR (and their mutations) instead of '
                                  'a generated corpus; e.g. those conformance/old_pickles.py '
                                  'writes with an older Python')
    ap.add_argument('--trust', metavar='PACKAGES',
                    help='comma-separated top-level packages (numpy,pandas,...) whose globals '
                         'CPython may import while loading: for --dir files a trusted program '
                         'wrote (library_pickles.py); needs --mutations 0, and minimizes '
                         'nothing')
    ap.add_argument('--mutations', type=int, default=1, help='random mutations per input')
    ap.add_argument('--no-vectors', action='store_true', help="skip pickletester's vectors")
    ap.add_argument('--time', type=float, default=None, metavar='SECONDS',
                    help='keep checking new seeds until SECONDS have passed')
    ap.add_argument('--python', metavar='PATH|X.Y',
                    help='the CPython that is the oracle: a path, a command, or a version '
                         'found among pyenv\'s or as pythonX.Y on PATH (default: the one '
                         'running this script)')
    ap.add_argument('--shard', metavar='K/N', type=parse_shard, default=(1, 1),
                    help='check only part K of N (1 <= K <= N) of the cases; the N parts '
                         'together check every case once, and the areas that run once '
                         '(reducers, copy, testsuite) run in part 1')
    ap.add_argument('--jobs', '-j', type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument('--timeout', type=float, default=60, help='seconds per tool run')
    ap.add_argument('--minimize', type=int, default=20, metavar='N',
                    help='minimize the first N disagreements of each area (default 20)')
    ap.add_argument('--save', type=int, default=1000, metavar='N',
                    help='save at most N disagreements per area (default 1000)')
    ap.add_argument('--list', type=int, default=10, metavar='N',
                    help='print at most N disagreements (all saved ones are in the report)')
    ap.add_argument('--out', default=OUT_DIR, help='report directory (default: '
                                                   '%(default)s)')
    ap.add_argument('--replay', metavar='FILE', help='check one saved case again: '
                    'FILE is out/<area>/<case>.pickle')
    ap.add_argument('--encoding', help='with --replay: pickle.loads encoding')
    ap.add_argument('--errors', help='with --replay: pickle.loads errors')
    ap.add_argument('--no-fix-imports', action='store_true',
                    help='with --replay: pickle.loads fix_imports=False')
    args = ap.parse_args()
    if args.python:
        python = find_python(args.python)
        if python is None:
            ap.error('--python %s: no such interpreter (a path, a command on PATH, or a '
                     'version listed by `pyenv versions`)' % args.python)
        with_hash_seed_zero(python)
    args.out = os.path.abspath(args.out)
    check_tool(ap, args.pickletool)
    if args.trust:
        if args.mutations:
            ap.error('--trust needs --mutations 0: mutated input must not import anything')
        args.minimize = 0           # nor may the shrunk inputs minimizing would load
        from conformance import sandbox
        sandbox.trust(p.strip() for p in args.trust.split(',') if p.strip())
    if args.replay:
        return replay(args)
    if args.count is None:
        from conformance import corpus
        args.count = len(corpus.catalogue()) + args.random
    areas = [a.strip() for a in args.areas.split(',') if a.strip()]
    unknown = [a for a in areas if a not in ALL_AREAS]
    if unknown:
        ap.error('unknown areas %s (known: %s)' % (', '.join(unknown), ', '.join(ALL_AREAS)))
    build_dir = os.path.abspath(args.build_dir or
                                os.path.dirname(os.path.dirname(os.path.abspath(args.pickletool))))
    for area in areas:
        repro_dir(area, clear=True, out_dir=args.out)

    suite = Suite(args, Tool(args.pickletool, args.timeout))
    progress = Progress(suite.start, suite.start + args.time if args.time else None)
    case_areas = [a for a in CASE_AREAS if a in areas]
    for name in case_areas:         # the table lists the areas in this order
        suite.area(name, checker(name).UNIT)
    for name, run in (('reducers', reducers_area), ('copy', copy_area),
                      ('testsuite', testsuite_area)):
        if name in areas and args.shard[0] == 1:
            progress.show('[suite] %s' % name, force=True)
            run(suite, build_dir)
    if case_areas:
        run_cases(suite, case_areas, progress)
        if suite.stopped_early != 'interrupted':
            minimize_all(suite, progress)
    progress.end()

    rows = table(suite)
    write_reports(suite, rows)
    print(describe_run(suite))
    print(text_table(rows))
    for r in suite.records[:args.list]:
        print('- %s %s: %s\n  replay: %s' % (r['area'], r['case'], r['what'],
                                             r.get('replay_minimized', r['replay'])))
    n = suite.disagreements()
    if n:
        print('%d disagreements; the saved ones are listed in %s' % (
            n, os.path.join(args.out, 'report.md')))
    else:
        print('no disagreements; report: %s' % os.path.join(args.out, 'report.md'))
    return 1 if n else 130 if suite.stopped_early == 'interrupted' else 0


if __name__ == '__main__':
    sys.exit(main())
