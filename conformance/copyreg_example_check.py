#!/usr/bin/env python3
"""Run the C++ copyreg example (lib/examples/copyreg_example.cpp) and check it against
the Python session it translates: the reducer runs once for copy() and once for dumps(),
the copy is a C with a == 1, and the pickle is byte for byte what CPython writes for the
same class and reducer, and loads back into a C.

    python3 conformance/copyreg_example_check.py build/lib/examples/copyreg_example
"""
import copyreg
import pickle
import subprocess
import sys


class C:
    def __init__(self, a):
        self.a = a


def pickle_c(c):
    return C, (c.a,)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    expected_head = ['pickling a C instance...', 'pickling a C instance...', 'd.a = 1']
    if lines[:3] != expected_head or len(lines) != 4 or not lines[3].startswith('p = '):
        sys.exit(f'unexpected output:\n{out}')
    data = bytes.fromhex(lines[3][len('p = '):])

    copyreg.pickle(C, pickle_c)
    reference = pickle.dumps(C(1))
    if data != reference:
        sys.exit(f'pickle differs from CPython\'s:\n  C++     {data.hex()}\n  CPython {reference.hex()}')
    loaded = pickle.loads(data)
    if type(loaded) is not C or loaded.a != 1:
        sys.exit(f'CPython loaded {loaded!r}')
    print('copyreg example: output and pickle agree with CPython')


if __name__ == '__main__':
    main()
