#!/usr/bin/env python3
"""Differential check of `pickletool optimize` against pickletools.optimize.

For every input (a generated corpus or the pickles of a directory, pickletester's
vectors, and mutated copies of them) the tool's stdout must equal, byte for byte,
pickletools.optimize(data), and the tool must fail exactly when pickletools
raises, with the same exception class and message.

    python3 conformance/optimize_check.py                  # build/tools/pickletool
    python3 conformance/optimize_check.py --seed 3 --count 600 --mutations 3

Disagreements are listed and saved to conformance/out/optimize/.  Exit status 0
when everything agrees.
"""

import os
import pickletools
import sys

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.checkers import print_agreement  # noqa: E402
from conformance.cli import cli_main, parse_checker_arguments  # noqa: E402
from conformance.disagreements import python_command, short  # noqa: E402
from conformance.oracle import error_text  # noqa: E402
from conformance.sandbox import memory_limit  # noqa: E402
from conformance.tools import same_error, same_error_class, tool_outcome  # noqa: E402

AREA = 'optimize'
UNIT = 'inputs'


def reference(data):
    try:
        with memory_limit():
            return ('ok', pickletools.optimize(data))
    except Exception as e:
        return ('err', error_text(e))


def compare(data, tool):
    expected = reference(data)
    got = tool_outcome(tool.run('optimize', data))
    agree = got == expected or (got[0] == expected[0] == 'err'
                                and same_error(got[1], expected[1]))
    class_agree = agree or (got[0] == expected[0] == 'err'
                            and same_error_class(got[1], expected[1]))
    return {'agree': agree, 'class_agree': class_agree, 'expected': expected, 'got': got}


def check(case, tool):
    """The verdict on one case (loads() keyword arguments play no part in optimize)."""
    v = compare(case.data, tool)
    v['units'] = {'agree' if v['agree'] else 'disagree': 1}
    return v


def describe(v):
    return ['CPython %s %s, tool %s %s' % (v['expected'][0], short(v['expected'][1], 60),
                                         v['got'][0], short(v['got'][1], 60)),
            'expected %s' % short(repr(v['expected']), 2000),
            'got      %s' % short(repr(v['got']), 2000)]


def still_fails(v, case, tool):
    signature = (v['expected'][0], v['got'][0], v['class_agree'])

    def fails(data):
        w = compare(data, tool)
        return not w['agree'] and (w['expected'][0], w['got'][0], w['class_agree']) == signature
    return fails


def by_hand(tool, kwargs):
    return ('%s optimize FILE   vs   %s -c "import pickletools,sys; sys.stdout.buffer.write('
            'pickletools.optimize(open(sys.argv[1],\'rb\').read()))" FILE'
            % (tool.command(), python_command()))


def print_summary(verdicts):
    print_agreement(verdicts, 'output')

def main():
    return cli_main(AREA, parse_checker_arguments(__doc__))


if __name__ == '__main__':
    sys.exit(main())
