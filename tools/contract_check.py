"""The pickletool error contract, checked against CPython: for each input, the exit status
is 1 and the last stderr line is CPython's `ErrorClass: message` with each newline written
as the two characters \\n (0 and nothing on stderr when CPython loads it).

usage: contract_check.py PICKLETOOL"""

import pickle
import subprocess
import sys

INPUTS = {
    'persid without persistent_load': b'Pabc\n.',
    'binpersid without persistent_load': b'\x80\x02X\x01\x00\x00\x00a\x51.',
    'truncated': b'\x80\x04\x95',
    'unknown opcode': b'\xff',
    'loads': pickle.dumps({'a': [1, 2.5, None]}, 4),
}


def cpython_outcome(data):
    try:
        pickle.loads(data)
    except Exception as exc:
        text = '%s: %s' % (type(exc).__name__, exc)
        return 1, text.replace('\n', '\\n')
    return 0, ''


def main(tool):
    failures = 0
    for name, data in INPUTS.items():
        run = subprocess.run([tool, 'load', '-'], input=data, capture_output=True)
        lines = run.stderr.decode('utf-8', 'backslashreplace').rstrip('\n').split('\n')
        got = (run.returncode, lines[-1])
        expected = cpython_outcome(data)
        if got != expected:
            failures += 1
            print('%s: expected %r, got %r' % (name, expected, got))
    print('%d of %d inputs keep the contract' % (len(INPUTS) - failures, len(INPUTS)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
