#!/usr/bin/env python3
"""Run the libFuzzer targets for a given time, in fork mode over the available cores.

    cmake --workflow --preset fuzz                                # build-fuzz/, sanitizers
    python3 fuzz/run_fuzzers.py --time 28800                      # overnight: 8 hours
    python3 fuzz/run_fuzzers.py --time 360 --seed 1 --no-merge    # CI: 40 s for each of 9 targets

The time is shared equally by the targets, run one after the other, each with
-fork=JOBS workers (or, with --seed, as one process from that seed: what CI runs, so
that its outcome does not depend on luck). Each target reads corpus/<target>/ and corpus/regressions/<target>/;
the inputs it finds go to a scratch directory, and (unless --no-merge) those that add
coverage are merged back into corpus/<target>/ (libFuzzer -merge=1). Every crash, leak,
timeout or out-of-memory input is minimized where libFuzzer can (crashes) and saved in
corpus/regressions/<target>/, which ctest replays; the run then exits with status 1.

At the end a table gives per target: wall and CPU time, executions and executions per
second, coverage (edges, libFuzzer's "cov") and findings. The same figures are appended
to fuzz/out/history.jsonl, so `--history` can total the CPU time spent over many runs.
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGETS = ('loads', 'roundtrip', 'diff_loads', 'reducers', 'dis', 'copyreg', 'api', 'cost', 'scan')
# Targets that read a pickle get the opcode dictionary.
DICT_TARGETS = ('loads', 'roundtrip', 'diff_loads', 'dis', 'api', 'cost', 'scan')
# Targets that embed CPython: its caches look like leaks to a per-input check.
PYTHON_TARGETS = ('diff_loads', 'reducers', 'dis', 'copyreg', 'cost', 'scan')
FINDING_PREFIXES = ('crash-', 'leak-', 'timeout-', 'oom-', 'slow-unit-')

STATUS_RE = re.compile(r'#(\d+):?\s.*?cov: (\d+) ft: (\d+) corp: (\d+)')
EXECS_RE = re.compile(r'exec/s:? (\d+)')


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def last_status(log_text):
    """The last libFuzzer status line: executions, edges, features, corpus size, exec/s."""
    status = None
    for line in log_text.splitlines():
        m = STATUS_RE.search(line)
        if m:
            e = EXECS_RE.search(line)
            status = dict(execs=int(m.group(1)), cov=int(m.group(2)), ft=int(m.group(3)),
                          corpus=int(m.group(4)), exec_per_s=int(e.group(1)) if e else None)
    return status


def fuzzer_flags(target):
    flags = ['-rss_limit_mb=2560', '-timeout=20', '-max_len=65536', '-print_final_stats=1']
    if target in DICT_TARGETS:
        flags.append('-dict=' + os.path.join(HERE, 'pickle.dict'))
    if target in PYTHON_TARGETS:
        flags.append('-detect_leaks=0')
    return flags


def save_finding(binary, target, artifact, flags):
    """Minimizes a crash into corpus/regressions/<target>/ (other findings are copied)."""
    dest_dir = os.path.join(ROOT, 'corpus', 'regressions', target)
    os.makedirs(dest_dir, exist_ok=True)
    dest = os.path.join(dest_dir, os.path.basename(artifact))
    if os.path.basename(artifact).startswith('crash-'):
        subprocess.run([binary, '-minimize_crash=1', '-runs=20000', '-max_total_time=120',
                        '-exact_artifact_path=' + dest, *flags, artifact],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not os.path.exists(dest):
        shutil.copyfile(artifact, dest)
    return dest


def run_target(binary, target, seconds, jobs, merge, work, seed=None):
    corpus = os.path.join(ROOT, 'corpus', target)
    regressions = os.path.join(ROOT, 'corpus', 'regressions', target)
    os.makedirs(corpus, exist_ok=True)
    scratch = os.path.join(work, target, 'new')
    artifacts = os.path.join(work, target, 'artifacts') + os.sep
    os.makedirs(scratch, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    inputs = [corpus] + ([regressions] if os.path.isdir(regressions) else [])
    flags = fuzzer_flags(target)
    if seed is None:
        mode = [f'-fork={jobs}', '-ignore_crashes=1', '-ignore_timeouts=1', '-ignore_ooms=1']
    else:   # one process from a fixed seed: the same inputs on every run (CI)
        mode = [f'-seed={seed}']
    cmd = [binary, *mode, f'-max_total_time={seconds}', '-artifact_prefix=' + artifacts, *flags,
           scratch, *inputs]
    log_path = os.path.join(work, target, 'fuzz.log')
    cpu_before = children_cpu_seconds()
    start = time.monotonic()
    with open(log_path, 'w') as log:
        subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=os.path.join(work, target))
    wall = time.monotonic() - start
    cpu = children_cpu_seconds() - cpu_before
    with open(log_path, errors='replace') as f:
        status = last_status(f.read()) or {}

    findings = [save_finding(binary, target, os.path.join(artifacts, name), flags)
                for name in sorted(os.listdir(artifacts)) if name.startswith(FINDING_PREFIXES)]
    added = 0
    if merge and os.listdir(scratch):
        before = len(os.listdir(corpus))
        subprocess.run([binary, '-merge=1', *flags, corpus, scratch],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=os.path.join(work, target))
        added = len(os.listdir(corpus)) - before
    # Execution rate over the whole run, all workers together.
    execs = status.get('execs')
    return dict(target=target, when=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                wall_s=round(wall, 1), cpu_s=round(cpu, 1), jobs=jobs, execs=execs,
                exec_per_s=round(execs / wall) if execs and wall else None,
                cov=status.get('cov'), ft=status.get('ft'), corpus_added=added,
                findings=[os.path.relpath(p, ROOT) for p in findings], log=log_path)


def print_table(rows, title):
    print(f'\n{title}\n')
    print('| target | wall s | CPU s | execs | exec/s | edges (cov) | features | findings |')
    print('|---|---:|---:|---:|---:|---:|---:|---|')
    for r in rows:
        found = ', '.join(r['findings']) if r['findings'] else 'none'
        print(f"| {r['target']} | {r['wall_s']:.0f} | {r['cpu_s']:.0f} | {r['execs'] or 0} "
              f"| {r['exec_per_s'] or 0} | {r['cov'] or 0} | {r['ft'] or 0} | {found} |")


def print_history(path):
    """Totals per target over every run recorded in history.jsonl."""
    totals = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            t = totals.setdefault(r['target'], dict(runs=0, cpu_s=0.0, execs=0, cov=0, findings=0))
            t['runs'] += 1
            t['cpu_s'] += r['cpu_s']
            t['execs'] += r['execs'] or 0
            t['cov'] = max(t['cov'], r['cov'] or 0)
            t['findings'] += len(r['findings'])
    print('| target | runs | CPU hours | execs | exec per CPU-s | max edges | findings |')
    print('|---|---:|---:|---:|---:|---:|---:|')
    for target, t in totals.items():
        rate = round(t['execs'] / t['cpu_s']) if t['cpu_s'] else 0
        print(f"| {target} | {t['runs']} | {t['cpu_s'] / 3600:.2f} | {t['execs']} | {rate} "
              f"| {t['cov']} | {t['findings']} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build-fuzz'),
                    help='directory of the libFuzzer binaries fuzz_<target> (default: %(default)s)')
    ap.add_argument('--time', type=int, default=3600, help='seconds in all, shared by the targets')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1, help='fork-mode workers')
    ap.add_argument('--targets', default=','.join(TARGETS), help='comma-separated (default: all built)')
    ap.add_argument('--no-merge', action='store_true', help='leave corpus/<target>/ as it is')
    ap.add_argument('--seed', type=int,
                    help='one process per target from this libFuzzer seed instead of fork mode, '
                         'so that a run explores the same inputs each time (CI)')
    ap.add_argument('--out', default=os.path.join(HERE, 'out'), help='logs and history (default: %(default)s)')
    ap.add_argument('--history', action='store_true', help='print the totals of history.jsonl and stop')
    args = ap.parse_args()

    args.out = os.path.abspath(args.out)   # the fuzzers run in directories below it
    history = os.path.join(args.out, 'history.jsonl')
    if args.history:
        print_history(history)
        return 0

    targets = [t for t in args.targets.split(',')
               if os.path.exists(os.path.join(args.build, 'fuzz', f'fuzz_{t}'))
               or os.path.exists(os.path.join(args.build, f'fuzz_{t}'))]
    missing = set(args.targets.split(',')) - set(targets)
    if missing:
        print(f'not built, skipped: {", ".join(sorted(missing))}', file=sys.stderr)
    if not targets:
        print(f'no fuzz targets in {args.build}; build them with: cmake --workflow --preset fuzz',
              file=sys.stderr)
        return 2
    seconds = max(1, args.time // len(targets))
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix='run-', dir=args.out)
    rows = []
    for target in targets:
        binary = os.path.join(args.build, 'fuzz', f'fuzz_{target}')
        if not os.path.exists(binary):
            binary = os.path.join(args.build, f'fuzz_{target}')
        how = f'seed {args.seed}' if args.seed is not None else f'{args.jobs} workers'
        print(f'fuzz_{target}: {seconds} s, {how} ...', flush=True)
        row = run_target(os.path.abspath(binary), target, seconds, args.jobs, not args.no_merge, work,
                         args.seed)
        print(f"  {row['execs'] or 0} execs, {row['exec_per_s'] or 0}/s, cov {row['cov']}, "
              f"{len(row['findings'])} findings (log {os.path.relpath(row['log'], ROOT)})", flush=True)
        rows.append(row)
        with open(history, 'a') as f:
            f.write(json.dumps(row) + '\n')
    mode = f'seed {args.seed}, one process' if args.seed is not None else f'{args.jobs} workers'
    print_table(rows, f'Fuzzing, {mode} per target, {seconds} s each:')
    idle = [r['target'] for r in rows if not r['execs']]
    if idle:   # a fuzzer that never ran tests nothing: that is a failure too
        print(f"no executions for: {', '.join(idle)} (see their fuzz.log)", file=sys.stderr)
    return 1 if idle or any(r['findings'] for r in rows) else 0


if __name__ == '__main__':
    sys.exit(main())
