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

import argparse
import os
import pickletools
import sys

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance import common  # noqa: E402

ARGS = None


def reference(data):
    try:
        with common.memory_limit():
            return ('ok', pickletools.optimize(data))
    except Exception as e:
        return ('err', common.error_text(e))


def check(case):
    expected = reference(case.data)
    tool = common.run_tool(common.tool_command(ARGS.pickletool), 'optimize', case.data,
                           timeout=ARGS.timeout)
    if tool.status.startswith('crash'):
        got = ('crash', tool.status)
    elif tool.status == 'err':
        got = ('err', common.stderr_error(tool.stderr, expected[1] if expected[0] == 'err' else ''))
    else:
        got = ('ok', tool.stdout)
    agree = got == expected or (got[0] == expected[0] == 'err' and common.same_error(got[1], expected[1]))
    class_agree = agree or (got[0] == expected[0] == 'err' and common.same_error_class(got[1], expected[1]))
    return {'name': case.name, 'group': case.group, 'agree': agree, 'class_agree': class_agree,
            'expected': expected, 'got': got}


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    common.add_common_arguments(ap)
    ARGS = ap.parse_args()
    if not os.path.exists(ARGS.pickletool):
        ap.error('no tool at %s' % ARGS.pickletool)
    cases = common.build_cases(ARGS.seed, ARGS.count, ARGS.dir, ARGS.mutations,
                               not ARGS.no_vectors, with_kwargs=False)
    print('optimize_check: %d cases, tool %s' % (len(cases), ARGS.pickletool))
    results = common.run_pool(check, cases, ARGS.jobs)
    groups = {}
    for v in results:
        g = groups.setdefault(v['group'], [0, 0])
        g[0] += v['agree']
        g[1] += 1
    for name, (agree, total) in groups.items():
        print('  %-18s %6d/%-6d agree' % (name, agree, total))
    agree = sum(v['agree'] for v in results)
    print('total: %d/%d agree (%.2f%%); output and error class agree: %d/%d'
          % (agree, len(results), 100.0 * agree / max(1, len(results)),
             sum(v['class_agree'] for v in results), len(results)))
    bad = [(v, c) for v, c in zip(results, cases) if not v['agree']]
    common.repro_dir('optimize', clear=True)
    for i, (v, case) in enumerate(bad):
        path = common.save_repro('optimize', case.name, case.data,
                                 'expected %r\ngot %r\n' % (v['expected'], v['got']))
        if i < ARGS.list:
            print('- %s (%s): expected %s, got %s; input %s' % (
                case.name, case.group, common.short(repr(v['expected'])),
                common.short(repr(v['got'])), path))
    return 0 if not bad else 1


if __name__ == '__main__':
    sys.exit(main())
