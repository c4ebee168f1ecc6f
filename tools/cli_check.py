#!/usr/bin/env python3
"""pickletool's command-line conventions, driven as a subprocess: --help and COMMAND
--help on stdout with status 0, --version, usage errors with status 2, and checked
writes (a reader that closed the pipe ends the tool quietly with status 1 and no signal;
a full disk is an OSError line with status 1).

    python3 tools/cli_check.py build/tools/pickletool
"""

import os
import pickle
import subprocess
import sys
import tempfile


def main(tool):
    problems = []

    def expect(what, cond, detail=''):
        if not cond:
            problems.append('%s %s' % (what, detail))

    r = subprocess.run([tool, '--help'], capture_output=True, text=True)
    expect('--help', r.returncode == 0 and r.stdout.startswith('usage: pickletool') and not r.stderr, repr(r))
    r = subprocess.run([tool, '-h'], capture_output=True, text=True)
    expect('-h', r.returncode == 0 and 'pickletool scan' in r.stdout, repr(r))
    for command in ('dis', 'show', 'load', 'roundtrip', 'optimize', 'scan'):
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
    for p in problems:
        print(p)
    print('%d problems' % len(problems))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
