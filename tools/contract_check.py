"""The pickletool error contract, checked against CPython: for each input, the exit status
is 1 and the last stderr line is CPython's `ErrorClass: message` with each newline written
as the two characters \\n (0 and nothing on stderr when CPython loads it). And
`pickletool serve` answers each command with what the command run on its own gives:
exit status, stdout and stderr.

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


def serve_request(args, data):
    fields = [a.encode() for a in args] + [data]
    return b'%d\n' % len(args) + b''.join(b'%d\n%s' % (len(f), f) for f in fields)


def check_serve(tool):
    """Every command on every input, served in one process and run one by one."""
    commands = [['dis'], ['show'], ['load'], ['optimize'], ['roundtrip', '--protocol', '0'],
                ['show', '--encoding', 'bytes'], ['frobnicate']]
    runs = [(c, data) for c in commands for data in INPUTS.values()]
    served = subprocess.run([tool, 'serve'], capture_output=True,
                            input=b''.join(serve_request(c, d) for c, d in runs))
    answers = served.stdout
    failures = 0 if served.returncode == 0 else 1
    for args, data in runs:
        alone = subprocess.run([tool] + args + ['-'], input=data, capture_output=True)
        header, _, answers = answers.partition(b'\n')
        status, out_len, err_len = map(int, header.split())
        out, err = answers[:out_len], answers[out_len:out_len + err_len]
        answers = answers[out_len + err_len:]
        if (status, out, err) != (alone.returncode, alone.stdout, alone.stderr):
            failures += 1
            print('serve %s on %r: %r, alone %r' % (' '.join(args), data[:20], (status, out, err),
                                                   (alone.returncode, alone.stdout, alone.stderr)))
    print('%d of %d served requests answer as the command alone' % (len(runs) - failures,
                                                                     len(runs)))
    return failures


def main(tool):
    failures = check_serve(tool)
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
