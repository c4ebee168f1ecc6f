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

import argparse
import os
import sys

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance import common  # noqa: E402

ARGS = None


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
        n, line, common.short(line_at(expected)), common.short(line_at(actual)))


def compare(data):
    """Run pickletools and the tool on data; a verdict dict.

    kinds lists what differs: 'crash', 'stdout', 'tool-fails', 'tool-succeeds',
    'error-class', 'error-message' (empty when the two agree).
    """
    exp_out, exp_err = common.reference_dis(data)
    tool = common.run_tool(common.tool_command(ARGS.pickletool), 'dis', data,
                           timeout=ARGS.timeout)
    v = {'expected_err': exp_err, 'tool_status': tool.status, 'tool_err': None,
         'kinds': [], 'problems': []}

    def problem(kind, text):
        v['kinds'].append(kind)
        v['problems'].append(text)

    if tool.status.startswith('crash'):
        problem('crash', 'tool %s; stderr ends %s'
                % (tool.status, common.short(tool.stderr[-300:])))
        return v
    diff = first_difference(exp_out, tool.stdout)
    if diff:
        problem('stdout', diff)
    if tool.status == 'err':
        v['tool_err'] = common.stderr_error(tool.stderr, exp_err or '')
    if exp_err is None and tool.status == 'err':
        problem('tool-fails', 'pickletools succeeds, tool fails with %s'
                % common.short(v['tool_err']))
    elif exp_err is not None and tool.status == 'ok':
        problem('tool-succeeds', 'pickletools raises %s, tool succeeds' % common.short(exp_err))
    elif exp_err is not None and not common.same_error_class(v['tool_err'], exp_err):
        problem('error-class', 'expected %s, got %s' % (common.short(exp_err),
                                                        common.short(v['tool_err'])))
    elif exp_err is not None and not common.same_error(v['tool_err'], exp_err):
        problem('error-message', 'expected %s, got %s' % (common.short(exp_err),
                                                          common.short(v['tool_err'])))
    return v


def check(case):
    v = compare(case.data)
    v['name'], v['group'] = case.name, case.group
    v['agree'] = not v['kinds']
    v['class_agree'] = set(v['kinds']) <= {'error-message'}
    return v


def report_disagreement(i, v, case):
    lines = ['case: %s (%s)' % (case.name, case.group)]
    lines += ['%s: %s' % kp for kp in zip(v['kinds'], v['problems'])]
    lines.append('pickletools error: %s' % (v['expected_err'],))
    lines.append('tool status: %s; tool error: %s' % (v['tool_status'], v['tool_err']))
    path = common.save_repro('dis', case.name, case.data, None)
    lines.append('input: %s (%d bytes)' % (path, len(case.data)))
    if i < ARGS.minimize:
        kinds = v['kinds']
        small = common.minimize(case.data, lambda d: compare(d)['kinds'] == kinds)
        if small != case.data:
            mpath = common.save_repro('dis', case.name + '.min', small, None)
            lines.append('minimized: %s (%d bytes) %s' % (mpath, len(small),
                                                           common.short(repr(small))))
    lines.append('reproduce: %s dis FILE   vs   python3 -m pickletools FILE'
                 % ' '.join(common.tool_command(ARGS.pickletool)))
    text = '\n'.join(lines) + '\n'
    with open(path[:-len('.pickle')] + '.txt', 'w', encoding='utf-8') as f:
        f.write(text)
    return text


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    common.add_common_arguments(ap)
    ARGS = ap.parse_args()
    if not os.path.exists(ARGS.pickletool):
        ap.error('no tool at %s (build it, or pass --pickletool conformance/fake_pickletool.py)'
                 % ARGS.pickletool)
    cases = common.build_cases(ARGS.seed, ARGS.count, ARGS.dir, ARGS.mutations,
                               not ARGS.no_vectors, with_kwargs=False)
    print('dis_check: %d cases, tool %s' % (len(cases), ARGS.pickletool))
    results = common.run_pool(check, cases, ARGS.jobs)

    groups = {}
    for v in results:
        g = groups.setdefault(v['group'], [0, 0, 0])
        g[0] += v['agree']
        g[1] += v['class_agree']
        g[2] += 1
    for name, (agree, class_agree, total) in groups.items():
        print('  %-18s %6d/%-6d agree   (stdout and error class agree: %d)'
              % (name, agree, total, class_agree))
    agree = sum(v['agree'] for v in results)
    print('total: %d/%d agree (%.2f%%); stdout and error class agree: %d/%d'
          % (agree, len(results), 100.0 * agree / max(1, len(results)),
             sum(v['class_agree'] for v in results), len(results)))

    bad = [(v, c) for v, c in zip(results, cases) if not v['agree']]
    common.repro_dir('dis', clear=True)
    if bad:
        print('%d disagreements, saved to %s/:' % (len(bad), os.path.join(common.OUT_DIR, 'dis')))
    for i, (v, case) in enumerate(bad):
        text = report_disagreement(i, v, case)
        if i < ARGS.list:
            print('- ' + text.replace('\n', '\n  ').rstrip())
    return 0 if not bad else 1


if __name__ == '__main__':
    sys.exit(main())
