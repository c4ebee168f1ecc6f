#!/usr/bin/env python3
"""pickletool's command-line conventions, driven as a subprocess: --help and COMMAND
--help on stdout with status 0, --version, usage errors with status 2, and checked
writes (a reader that closed the pipe ends the tool quietly with status 1 and no signal;
a full disk is an OSError line with status 1), and dis with pickletools' options and
several files giving `python3 -m pickletools`'s output (this Python's pickletools: the
tool is run with --python-version of the running interpreter), and show --persistent-ids.

    python3 tools/cli_check.py build/tools/pickletool
"""

import os
import pickle
import subprocess
import sys
import tempfile


def check_dis_options(tool, d, expect):
    """pickletool dis ARGS == python3 -m pickletools ARGS: stdout (or the -o file), status
    and the error class and message of the last stderr line (for status 1)."""
    shared = [1, 2, 'x']
    files = {
        'a.pkl': pickle.dumps([shared, shared, {'k': (1, 2)}], 2),
        'memo_from_a.pkl': b'\x80\x02h\x00h\x01\x86q\x05.',     # GETs what a.pkl stored
        'p4.pkl': pickle.dumps({'k': (1, 2), 'l': [None] * 3}, 4),   # MEMOIZE: indexes go on
        'p0.pkl': pickle.dumps([[1], {'a': 'b'}], 0),
    }
    for name, data in files.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
    version = '%d.%d' % sys.version_info[:2]
    cases = [
        ['a.pkl'], ['a.pkl', 'p4.pkl', 'p0.pkl'], ['-m', 'a.pkl', 'memo_from_a.pkl'],
        ['a.pkl', 'memo_from_a.pkl'], ['-m', 'memo_from_a.pkl', 'a.pkl'], ['-m', 'p4.pkl', 'p4.pkl', 'p0.pkl'],
        ['-a', '-l', '2', 'a.pkl', 'p0.pkl'], ['--annotate', '--indentlevel=0', 'p0.pkl'], ['-l7', 'p4.pkl'],
        ['-p', '[{name}] {{x}}', 'a.pkl', 'p4.pkl'], ['--preamble=>{name}<', 'a.pkl', '-'],
        ['-p', '{nom}', 'a.pkl', 'p4.pkl'], ['-p', '{0}', 'a.pkl', 'p4.pkl'], ['-p', 'x}', 'a.pkl', 'p4.pkl'],
        ['-l', 'x', 'a.pkl'], ['a.pkl', 'missing.pkl'], ['-o', 'out.txt', 'a.pkl', 'p4.pkl'], ['-', 'p0.pkl'],
    ]
    for args in cases:
        if '-' in args and sys.version_info < (3, 9):
            continue    # 3.8's pickletools fails on stdin ("'str' object has no attribute 'decode'")
        runs = []
        for command in ([tool, '--python-version', version, 'dis'], [sys.executable, '-m', 'pickletools']):
            out = os.path.join(d, 'out.txt')
            if os.path.exists(out):
                os.remove(out)
            with open(os.path.join(d, 'p4.pkl'), 'rb') as stdin:
                r = subprocess.run(command + args, cwd=d, stdin=stdin, capture_output=True)
            written = open(out, 'rb').read() if os.path.exists(out) else None
            last = r.stderr.decode().splitlines()[-1] if r.stderr else ''
            if r.returncode == 2:   # "UsageError: X" and argparse's "pickletools.py: error: X"
                last = last.split('UsageError: ' if last.startswith('UsageError: ') else ': error: ', 1)[-1]
            runs.append((r.returncode, r.stdout, written, last))
        expect('dis %s' % args, runs[0] == runs[1], '\n  pickletool %r\n  pickletools %r' % tuple(runs))


class _Placeholder:
    """What pickletool show --persistent-ids shows for a persistent id."""
    def __init__(self, pid):
        self.pid = pid

    def __repr__(self):
        return 'persistent_load(%r)' % (self.pid,)


def check_persistent_ids(tool, d, expect):
    """show fails on a persistent id as pickle.loads does; with --persistent-ids it shows
    what CPython shows with a persistent_load returning a placeholder of that repr."""
    class Writer(pickle.Pickler):
        def persistent_id(self, obj):
            return ('storage', 'float', str(obj)) if isinstance(obj, float) else None

    for protocol in (0, 2, 5):
        path = os.path.join(d, 'persistent%d.pkl' % protocol)
        with open(path, 'wb') as f:
            Writer(f, protocol).dump({'weight': [1.5, 2], 'name': ('x', 2.5)})
        r = subprocess.run([tool, 'show', path], capture_output=True, text=True)
        expect('show without --persistent-ids', r.returncode == 1 and r.stderr.splitlines()[-1].startswith(
            'UnpicklingError: A load persistent id instruction was encountered'), repr(r))
        with open(path, 'rb') as f:
            reader = pickle.Unpickler(f)
            reader.persistent_load = _Placeholder
            shown = repr(reader.load()) + '\n'
        for command in ('show', 'load'):
            r = subprocess.run([tool, command, '--persistent-ids', path], capture_output=True, text=True)
            expect(command + ' --persistent-ids', r.returncode == 0 and r.stdout == (shown if command == 'show' else ''),
                   '%r, CPython shows %r' % (r, shown))


def main(tool):
    problems = []

    def expect(what, cond, detail=''):
        if not cond:
            problems.append('%s %s' % (what, detail))

    r = subprocess.run([tool, '--help'], capture_output=True, text=True)
    expect('--help', r.returncode == 0 and r.stdout.startswith('usage: pickletool') and not r.stderr, repr(r))
    r = subprocess.run([tool, '-h'], capture_output=True, text=True)
    expect('-h', r.returncode == 0 and 'pickletool scan' in r.stdout, repr(r))
    for command in ('dis', 'show', 'load', 'json', 'roundtrip', 'optimize', 'scan'):
        r = subprocess.run([tool, command, '--help'], capture_output=True, text=True)
        expect(command + ' --help', r.returncode == 0 and r.stdout.startswith('usage: pickletool ' + command + ' ')
               and 'pickletool serve' not in r.stdout, repr(r))
    r = subprocess.run([tool, '--version'], capture_output=True, text=True)
    expect('--version', r.returncode == 0 and r.stdout.startswith('pickletool '), repr(r))
    for args in (['frobnicate'], [], ['show', '--bogus'], ['roundtrip', '--protocol'], ['scan', '--format', 'xml']):
        r = subprocess.run([tool] + args, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        expect('usage error %s' % args, r.returncode == 2 and r.stderr.splitlines()[-1].startswith('UsageError: '),
               repr(r))

    with tempfile.TemporaryDirectory() as d:
        d = os.path.realpath(d)
        big = os.path.join(d, 'big.pickle')
        with open(big, 'wb') as f:
            pickle.dump(list(range(200000)), f, protocol=0)   # a few MB of dis output
        # A reader that reads one line and closes the pipe.
        p = subprocess.Popen([tool, 'dis', big], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.readline()
        p.stdout.close()
        err = p.stderr.read()
        status = p.wait()
        expect('closed pipe', status == 1 and err == b'', 'status %d, stderr %r' % (status, err[-200:]))
        if os.path.exists('/dev/full'):
            with open('/dev/full', 'wb') as full:
                r = subprocess.run([tool, 'dis', big], stdout=full, stderr=subprocess.PIPE, text=True)
            expect('full disk', r.returncode == 1 and
                   r.stderr.splitlines()[-1] == 'OSError: [Errno 28] No space left on device', repr(r))
        check_dis_options(tool, d, expect)
        check_persistent_ids(tool, d, expect)
    for p in problems:
        print(p)
    print('%d problems' % len(problems))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
