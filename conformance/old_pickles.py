#!/usr/bin/env python3
"""Pickles written by an older Python (2.7, 3.6, 3.7, or any other installed): what users
still hold, for the suite to load under every target version.

    python3 conformance/old_pickles.py --python 2.7,3.6 --out /tmp/old
    python3 conformance/run.py --python 3.13 --dir /tmp/old --no-vectors

The script re-executes itself under each interpreter --python names (pyenv's, or
pythonX.Y on PATH; one that is not installed is skipped, and said so), which pickles a fixed set of values (numbers, Python 2 str and
unicode, containers, shared and cyclic references, stdlib classes) at each protocol it
has, one file per value and protocol: `py<version>-<name>-p<protocol>.pickle`. Runs under
Python 2.7 and 3.x, so it is written for both.
"""

from __future__ import print_function

import argparse
import os
import pickle
import subprocess
import sys


def values():
    """(name, value) pairs that mean the same in Python 2 and 3 where they can."""
    import collections
    import datetime
    import decimal
    shared = [1, 2]
    cyclic = []
    cyclic.append(cyclic)
    d = {}
    d['self'] = d
    text = u'caf\xe9 \u03c0 \U0001f600'
    out = [
        ('none', None), ('bools', [True, False]),
        ('ints', [0, 1, -1, 255, 256, 65535, 65536, 2 ** 31 - 1, -2 ** 31, 2 ** 31]),
        ('longs', [2 ** 63, -2 ** 63 - 1, 2 ** 64, 3 ** 100, -(7 ** 80)]),
        ('floats', [0.0, -0.0, 1.5, 1e300, -1e-300, float('inf'), float('-inf')]),
        ('complex', complex(1.5, -2)),
        ('ascii_str', 'hello'), ('empty_str', ''),
        ('unicode', text), ('unicode_ascii', u'plain'),
        ('bytes_like', b'\x00\x01\xfe\xff' * 3),
        ('list', [1, 'a', u'b', 2.5, None]), ('tuple0', ()), ('tuple1', (1,)),
        ('tuple3', (1, 2, 3)), ('tuple5', (1, 2, 3, 4, 5)),
        ('dict', {'a': 1, 'b': [2, 3], 'c': {'d': None}}),
        ('dict_int_keys', dict((i, i * i) for i in range(30))),
        ('set', set([1, 2, 3, 'x'])), ('frozenset', frozenset([4, 5, 6])),
        ('shared', [shared, shared, (shared,)]), ('cyclic_list', cyclic), ('cyclic_dict', d),
        ('long_list', list(range(2500))), ('nested', [[[[[1]]]], {'k': ((), [])}]),
        ('ordered_dict', collections.OrderedDict([('z', 1), ('a', 2)])),
        ('date', datetime.date(2001, 2, 3)),
        ('datetime', datetime.datetime(2001, 2, 3, 4, 5, 6, 7)),
        ('timedelta', datetime.timedelta(1, 2, 3)),
        ('decimal', decimal.Decimal('3.14159')),
        ('exception', ValueError('bad value', 3)),
        ('builtin_function', len), ('builtin_type', int),
    ]
    if sys.version_info[0] == 2:
        out += [('py2_latin1_str', 'caf\xe9'), ('py2_long', long(5))]  # noqa: F821
    return out


def emit(out_dir):
    version = '%d.%d' % sys.version_info[:2]
    for name, value in values():
        for proto in range(pickle.HIGHEST_PROTOCOL + 1):
            data = pickle.dumps(value, proto)
            path = os.path.join(out_dir, 'py%s-%s-p%d.pickle' % (version, name, proto))
            with open(path, 'wb') as f:
                f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--python', default=None,
                    help='the interpreters that write the pickles: comma-separated paths or '
                         'versions X.Y (default: the one running this script)')
    ap.add_argument('--out', required=True, help='the folder to write them to')
    ap.add_argument('--emit', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not os.path.isdir(args.out):
        os.makedirs(args.out)
    if args.emit or args.python is None:
        emit(args.out)
        return 0
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from conformance.cli import find_python
    status = 0
    for spec in args.python.split(','):
        python = find_python(spec)
        if python is None:
            print('old_pickles.py: Python %s not installed, skipped' % spec)
            continue
        status |= subprocess.call([python, os.path.abspath(__file__), '--emit', '--out', args.out])
    return status


if __name__ == '__main__':
    sys.exit(main())
