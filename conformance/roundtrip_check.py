#!/usr/bin/env python3
"""Differential check of `pickletool roundtrip` against CPython's pickler.

For every input P that CPython loads (a generated corpus or the pickles of a
directory, pickletester's vectors, and mutated copies of them) and every protocol
q in 0..5, `pickletool roundtrip --protocol q P` must write exactly the bytes of
pickle.dumps(pickle.loads(P), q), or fail with the same exception class when
CPython's dumps fails.

Outcomes that depend on what this library cannot know are counted apart:
'set-order' when the value holds a set or frozenset with a member whose hash
CPython takes from the object's address or from its class's __hash__ (so the
set's iteration order is unknowable); 'class-code' when the value holds an
instance whose class decides its reduction in Python code (a pickling hook
defined in Python, or a subclass of a builtin with __getnewargs__) that a pickle
of another protocol does not record; 'executes' when CPython called a builtin the
library keeps inert (builtins.int(), ...). They are still listed.

CPython runs with PYTHONHASHSEED=0 (the script re-executes itself so), which is
the seed the tool's set order reproduces.

    python3 conformance/roundtrip_check.py                  # build/tools/pickletool
    python3 conformance/roundtrip_check.py --seed 2 --count 400 --mutations 2

Disagreements are listed and saved to conformance/out/roundtrip/.  Exit status 0
when every compared case agrees.
"""

import argparse
import os
import pickle
import sys

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance import common  # noqa: E402

ARGS = None
PROTOCOLS = range(6)

BUILTIN_NEWARGS_TYPES = (tuple, int, float, str, bytes, complex)
HOOKS = ('__reduce_ex__', '__reduce__', '__setstate__', '__getstate__', '__getnewargs__',
         '__getnewargs_ex__')


def set_with_opaque_members(obj):
    """True if obj reaches a set or frozenset with a member whose hash is not a pure
    function of builtin values."""
    seen, todo = set(), [obj]
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, (set, frozenset)):
            if not all(common.is_builtin_value(m) and m is not None for m in x):
                return True
            todo.extend(x)
        elif isinstance(x, (list, tuple)):
            todo.extend(x)
        elif isinstance(x, dict):
            todo.extend(x.keys())
            todo.extend(x.values())
        elif hasattr(x, '__dict__') and not isinstance(x, type):
            todo.append(vars(x))
    return False


def uses_class_code(obj):
    """True if obj reaches an instance whose class decides its reduction in Python code
    (a pickling hook defined in Python), or of a subclass of a builtin type with
    __getnewargs__ (tuple subclasses and namedtuples, int subclasses, ...)."""
    seen, todo = set(), [obj]
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        t = type(x)
        if not isinstance(x, type) and t.__module__ != 'builtins':
            if isinstance(x, BUILTIN_NEWARGS_TYPES):
                return True
            for hook in HOOKS:
                f = getattr(t, hook, None)
                if f is not None and hasattr(f, '__code__'):
                    return True
        if isinstance(x, (list, tuple, set, frozenset)):
            todo.extend(x)
        elif isinstance(x, dict):
            todo.extend(x.keys())
            todo.extend(x.values())
        elif hasattr(x, '__dict__') and not isinstance(x, type):
            todo.append(vars(x))
    return False


def calls_unemulated_builtin(globals_seen):
    """True if loading named a builtins callable that the library keeps inert (CPython
    called it, e.g. builtins.int)."""
    for module, name in globals_seen:
        m, n = common.compat_name(module, name)
        if m == 'builtins' and (m, n) not in common.SAFE_GLOBALS:
            return True
    return False


def reference(data, q):
    """('ok', bytes) or ('err', 'Class: message') for dumps(loads(data), q), or None
    when CPython does not load data (nothing to compare)."""
    try:
        with common.guarded(), common.memory_limit():
            obj = pickle.loads(data)
    except BaseException:   # noqa: B902 -- anything CPython refuses is out of scope
        return None, None
    reference.executes = calls_unemulated_builtin(common.GLOBALS_SEEN)
    try:
        return obj, ('ok', pickle.dumps(obj, q))
    except RecursionError as e:
        return obj, ('err', common.error_text(e))
    except Exception as e:
        return obj, ('err', common.error_text(e))


def check(case):
    results = []
    obj = None
    for q in PROTOCOLS:
        loaded, expected = reference(case.data, q)
        if expected is None:
            return {'name': case.name, 'group': case.group, 'loaded': False, 'results': []}
        obj = loaded
        tool = common.run_tool(common.tool_command(ARGS.pickletool), 'roundtrip', case.data,
                               ['--protocol', str(q)], timeout=ARGS.timeout)
        if tool.status.startswith('crash'):
            got = ('crash', tool.status)
        elif tool.status == 'err':
            got = ('err', common.stderr_error(tool.stderr, expected[1] if expected[0] == 'err' else ''))
        else:
            got = ('ok', tool.stdout)
        if got == expected or (got[0] == expected[0] == 'err' and common.same_error_class(got[1], expected[1])):
            verdict = 'agree'
        elif got[0] == 'crash':
            verdict = 'crash'
        else:
            verdict = 'differ'
        results.append((q, verdict, expected, got))
    category = None
    if any(r[1] == 'differ' for r in results):
        if set_with_opaque_members(obj):
            category = 'set-order'
        elif uses_class_code(obj):
            category = 'class-code'
        elif reference.executes:
            category = 'executes'
    return {'name': case.name, 'group': case.group, 'loaded': True, 'results': results,
            'category': category}


def first_difference(expected, actual):
    n = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b),
             min(len(expected), len(actual)))
    return n, expected[max(0, n - 30):n + 50], actual[max(0, n - 30):n + 50]


def report(v, case):
    lines = ['case: %s (%s)' % (case.name, case.group)]
    for q, verdict, expected, got in v['results']:
        if verdict == 'agree':
            continue
        if expected[0] == got[0] == 'ok':
            n, e, a = first_difference(expected[1], got[1])
            lines.append('protocol %d: bytes differ at %d: expected %r, got %r' % (q, n, e, a))
        else:
            lines.append('protocol %d: expected %s %s, got %s %s' % (
                q, expected[0], common.short(expected[1]), got[0], common.short(got[1])))
    if v.get('category'):
        lines.append('counted apart: %s' % v['category'])
    path = common.save_repro('roundtrip', case.name, case.data, None)
    lines.append('input: %s' % path)
    lines.append('reproduce: %s roundtrip --protocol Q FILE   vs   '
                 'PYTHONHASHSEED=0 python3 -c "import pickle,sys; '
                 'sys.stdout.buffer.write(pickle.dumps(pickle.loads(open(FILE,\'rb\').read()), Q))"'
                 % ' '.join(common.tool_command(ARGS.pickletool)))
    text = '\n'.join(lines) + '\n'
    with open(path[:-len('.pickle')] + '.txt', 'w', encoding='utf-8') as f:
        f.write(text)
    return text


def main():
    global ARGS
    if os.environ.get('PYTHONHASHSEED') != '0':
        env = dict(os.environ, PYTHONHASHSEED='0')
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    common.add_common_arguments(ap)
    ARGS = ap.parse_args()
    if not os.path.exists(ARGS.pickletool):
        ap.error('no tool at %s' % ARGS.pickletool)
    common.raise_recursion_limit()
    cases = common.build_cases(ARGS.seed, ARGS.count, ARGS.dir, ARGS.mutations,
                               not ARGS.no_vectors, with_kwargs=False)
    print('roundtrip_check: %d inputs x %d protocols, tool %s'
          % (len(cases), len(PROTOCOLS), ARGS.pickletool))
    results = common.run_pool(check, cases, ARGS.jobs)

    pairs = {}      # (p, q) -> [agree, total]; p is the input's protocol when known
    groups = {}
    apart = {'set-order': 0, 'class-code': 0, 'executes': 0}
    bad = []
    for v, case in zip(results, cases):
        if not v['loaded']:
            continue
        g = groups.setdefault(case.group, [0, 0])
        p = case.data[1] if case.data[:1] == b'\x80' and len(case.data) > 1 else 0
        p = p if p <= 5 else 0
        for q, verdict, _, _ in v['results']:
            key = (p, q)
            pairs.setdefault(key, [0, 0])
            pairs[key][1] += 1
            g[1] += 1
            if verdict == 'agree':
                pairs[key][0] += 1
                g[0] += 1
        if any(r[1] != 'agree' for r in v['results']):
            if v['category']:
                apart[v['category']] += sum(r[1] != 'agree' for r in v['results'])
            bad.append((v, case))
    for name, (agree, total) in groups.items():
        print('  %-18s %6d/%-6d agree' % (name, agree, total))
    print('  by protocol of the input (rows) and of the output (columns), agree/total:')
    print('        ' + ''.join('    q=%d      ' % q for q in PROTOCOLS))
    for p in PROTOCOLS:
        cells = []
        for q in PROTOCOLS:
            a, t = pairs.get((p, q), (0, 0))
            cells.append('%5d/%-5d ' % (a, t))
        print('  p=%d   %s' % (p, ' '.join(cells)))
    agree = sum(a for a, _ in pairs.values())
    total = sum(t for _, t in pairs.values())
    print('total: %d/%d agree (%.2f%%); of the rest, counted apart: %d set-order, '
          '%d class-code, %d executes'
          % (agree, total, 100.0 * agree / max(1, total), apart['set-order'], apart['class-code'],
             apart['executes']))
    common.repro_dir('roundtrip', clear=True)
    real = [(v, c) for v, c in bad if not v['category']]
    if bad:
        print('%d inputs disagree (%d not counted apart), saved to %s/:'
              % (len(bad), len(real), os.path.join(common.OUT_DIR, 'roundtrip')))
    for i, (v, case) in enumerate(real + [b for b in bad if b[0]['category']]):
        text = report(v, case)
        if i < ARGS.list:
            print('- ' + text.replace('\n', '\n  ').rstrip())
    return 0 if not real else 1


if __name__ == '__main__':
    sys.exit(main())
