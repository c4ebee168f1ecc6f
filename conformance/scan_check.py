#!/usr/bin/env python3
"""Checks `pickletool scan` against CPython: for each input, CPython's C unpickler loads it
with stand-ins for every global (scan_oracle.py), recording each import and each call it
makes. The scan must report every one of those actions, in order, and exactly those when
CPython finishes; its verdict on the regression corpus (scan_cases.py) must be the one
the case names. Each input is also loaded from a buffered file (pickle.load(open(...)),
whose reader has peek()): it must take the actions loads() takes, since the scan's
framing event models only readers without peek() (io.BytesIO, torch.load).

    python3 conformance/scan_check.py --pickletool build/tools/pickletool
    python3 conformance/scan_check.py --pickletool TOOL --dir corpus/loads --dir corpus/regressions

Exit status 0 when everything agrees, 1 otherwise (each disagreement is listed).
"""

import argparse
import ast
import json
import os
import resource
import select
import signal
import sys
import time
import warnings

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance import scan_oracle  # noqa: E402
from conformance.scan_cases import CASES  # noqa: E402
from conformance.tools import Tool  # noqa: E402


TIMEOUT = 10


def record_apart(data):
    """scan_oracle.record(data), and whether a buffered file reads otherwise than
    loads(), in a child process; None when it takes more than
    TIMEOUT seconds (CPython hashes a graph of shared tuples in exponential time, in C code
    that no signal interrupts)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        with os.fdopen(write_end, 'wb') as out:
            out.write(repr((scan_oracle.record(data), scan_oracle.buffered_file_reads_differ(data))).encode())
        os._exit(0)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, 'rb') as inp:
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([inp], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
            chunk = os.read(inp.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    return ast.literal_eval(b''.join(chunks).decode())


def check(tool, name, data, policy='builtins'):
    """Disagreements for one input, as text lines; also the report."""
    result = tool.run('scan', data, ['--format', 'json', '--policy', policy])
    if result.status.startswith('crash'):
        return ['%s: pickletool crashed: %s %s' % (name, result.status, result.stderr[-300:])], None
    report = json.loads(result.stdout)
    recorded = record_apart(data)
    if recorded is None:
        print('%s: not compared, CPython takes more than %d s' % (name, TIMEOUT))
        return [], report
    recorded, buffered_differs = recorded
    problem = scan_oracle.compare(recorded, report)
    problems = ['%s: %s' % (name, problem)] if problem else []
    if buffered_differs:
        problems.append('%s: CPython reading a buffered file (open()) takes other actions than loads(); '
                        'the scan models readers without peek() only' % name)
    return problems, report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--pickletool', required=True)
    ap.add_argument('--dir', action='append', default=[], help='also check every file in this folder')
    ap.add_argument('--list', type=int, default=20, help='disagreements to print')
    args = ap.parse_args()
    warnings.simplefilter('ignore')     # the inputs' invalid escapes in protocol-0 strs
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    sys.setrecursionlimit(3000)
    tool = Tool(args.pickletool, 60)
    problems = []
    for name, data, builtins_verdict, ml_verdict in CASES:
        found, report = check(tool, name, data)
        problems += found
        for policy, want in (('builtins', builtins_verdict), ('ml', ml_verdict)):
            result = tool.run('scan', data, ['--format', 'json', '--policy', policy])
            got = json.loads(result.stdout)['verdict'] if not result.status.startswith('crash') else result.status
            if got != want:
                problems.append('%s: verdict %s under policy %s, expected %s' % (name, got, policy, want))
    print('regression corpus: %d cases' % len(CASES))
    checked = 0
    for folder in args.dir:
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for entry in sorted(files):
                path = os.path.join(root, entry)
                with open(path, 'rb') as f:
                    data = f.read()
                problems += check(tool, path, data)[0]
                checked += 1
    if args.dir:
        print('%d files from %s' % (checked, ', '.join(args.dir)))
    for p in problems[:args.list]:
        print(p)
    print('%d disagreements' % len(problems))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
