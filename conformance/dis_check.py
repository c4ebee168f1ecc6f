#!/usr/bin/env python3
"""Differential check of `pickletool dis` against `python3 -m pickletools`.

For every input (a generated corpus or the pickles of a directory, pickletester's
vectors, and mutated copies of all of them) the tool's stdout must equal, byte
for byte, what pickletools.dis(f, out, None, 4, 0) prints (including the partial
output printed before an error), and the tool must fail exactly when pickletools
raises, with `ErrorClass: message` as the last line(s) of stderr.

The reference runs pickletools.dis on the pickle in memory.  That is what
`python3 -m pickletools FILE` prints, except for one machine-dependent case: with
a real file, pickletools' f.read(n) allocates the n bytes an opcode declares
before reading, so a huge declared length raises MemoryError there instead of
ValueError("expected n bytes in a bytes8, but only m remain").

    python3 conformance/dis_check.py                       # build/tools/pickletool
    python3 conformance/dis_check.py --pickletool conformance/fake_pickletool.py
    python3 conformance/dis_check.py --seed 3 --count 600 --mutations 3
    python3 conformance/dis_check.py --dir /tmp/corpus --no-vectors

Disagreements are listed, and saved to conformance/out/dis/ (input, report, and a
minimized input for the first few).  Exit status 0 when everything agrees.
"""

import os
import sys

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.checkers import print_agreement  # noqa: E402
from conformance.cli import cli_main, parse_checker_arguments  # noqa: E402
from conformance.disagreements import python_command, short  # noqa: E402
from conformance.oracle import reference_dis  # noqa: E402
from conformance.tools import same_error, same_error_class, stderr_error  # noqa: E402

AREA = 'dis'
UNIT = 'inputs'


def first_difference(expected, actual):
    """'byte N (line L): expected ... got ...' for two byte strings, or ''."""
    if expected == actual:
        return ''
    n = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b),
             min(len(expected), len(actual)))
    line = expected.count(b'\n', 0, n) + 1
    start = expected.rfind(b'\n', 0, n) + 1

    def line_at(buf):
        end = buf.find(b'\n', start)
        return buf[start:end if end >= 0 else len(buf)]
    return 'stdout differs at byte %d (line %d): expected %s, got %s' % (
        n, line, short(line_at(expected)), short(line_at(actual)))


def compare(data, tool):
    """Run pickletools and the tool on data; a verdict dict.

    kinds lists what differs: 'crash', 'stdout', 'tool-fails', 'tool-succeeds',
    'error-class', 'error-message' (empty when the two agree).
    """
    exp_out, exp_err = reference_dis(data)
    tool_result = tool.run('dis', data)
    v = {'expected_err': exp_err, 'tool_status': tool_result.status, 'tool_err': None,
         'kinds': [], 'problems': []}

    def problem(kind, text):
        v['kinds'].append(kind)
        v['problems'].append(text)

    if tool_result.status.startswith('crash'):
        problem('crash', 'tool %s; stderr ends %s'
                % (tool_result.status, short(tool_result.stderr[-300:])))
        return v
    diff = first_difference(exp_out, tool_result.stdout)
    if diff:
        problem('stdout', diff)
    if tool_result.status == 'err':
        v['tool_err'] = stderr_error(tool_result.stderr)
    if exp_err is None and tool_result.status == 'err':
        problem('tool-fails', 'pickletools succeeds, tool fails with %s'
                % short(v['tool_err']))
    elif exp_err is not None and tool_result.status == 'ok':
        problem('tool-succeeds', 'pickletools raises %s, tool succeeds' % short(exp_err))
    elif exp_err is not None and not same_error_class(v['tool_err'], exp_err):
        problem('error-class', 'expected %s, got %s' % (short(exp_err),
                                                        short(v['tool_err'])))
    elif exp_err is not None and not same_error(v['tool_err'], exp_err):
        problem('error-message', 'expected %s, got %s' % (short(exp_err),
                                                          short(v['tool_err'])))
    return v


def check(case, tool):
    """The verdict on one case (loads() keyword arguments play no part in dis)."""
    v = compare(case.data, tool)
    v['agree'] = not v['kinds']
    v['class_agree'] = set(v['kinds']) <= {'error-message'}
    v['units'] = {'agree' if v['agree'] else 'disagree': 1}
    return v


def describe(v):
    lines = ['%s: %s' % kp for kp in zip(v['kinds'], v['problems'])]
    lines.append('pickletools error: %s' % (v['expected_err'],))
    lines.append('tool status: %s; tool error: %s' % (v['tool_status'], v['tool_err']))
    return lines


def still_fails(v, case, tool):
    kinds = v['kinds']
    return lambda data: compare(data, tool)['kinds'] == kinds


def by_hand(tool, kwargs):
    return '%s dis FILE   vs   %s -m pickletools FILE' % (tool.command(), python_command())


def print_summary(verdicts):
    print_agreement(verdicts, 'stdout')

def main():
    return cli_main(AREA, parse_checker_arguments(__doc__))


if __name__ == '__main__':
    sys.exit(main())
