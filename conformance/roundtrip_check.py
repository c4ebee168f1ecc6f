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
instance whose reduction depends on its class in a way no pickle records: a
pickling hook defined in Python, a subclass of a builtin with __getnewargs__,
a set, frozenset or dict subclass (the class builds the contents, merging
duplicates), an empty list subclass (no pickle at protocol 2+ names its base);
'executes' when CPython called a builtin the library keeps inert
(builtins.int(), ...).  They are counted in their own columns, not as
disagreements.

CPython runs with PYTHONHASHSEED=0 (the script re-executes itself so), which is
the seed the tool's set order reproduces.

    python3 conformance/roundtrip_check.py                  # build/tools/pickletool
    python3 conformance/roundtrip_check.py --seed 2 --count 400 --mutations 2

Disagreements are listed and saved to conformance/out/roundtrip/.  Exit status 0
when every compared case agrees.
"""

import collections
import os
import pickle
import sys
import types

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.cases import Case  # noqa: E402
from conformance.cli import cli_main, parse_checker_arguments, with_hash_seed_zero  # noqa: E402
from conformance.disagreements import python_command, short  # noqa: E402
from conformance.oracle import (getattr_with_default, container_items,  # noqa: E402
                               cpython_loads, each_reachable, error_text, is_builtin_value)
from conformance.sandbox import SAFE_GLOBALS, compat_name, raise_recursion_limit  # noqa: E402
from conformance.tools import same_error_class, tool_outcome  # noqa: E402

AREA = 'roundtrip'
UNIT = 'input x protocol'
PROTOCOLS = range(6)

# Builtin bases whose subclass instances CPython rebuilds by running the class: the
# __getnewargs__ types, and the sets and dicts whose members or keys the class's
# constructor or __setitem__ deduplicates (a pickle that names one twice, as a
# mutated one can, loads to fewer items in CPython; the library records the calls).
BUILTIN_BASES_RUN = (tuple, int, float, str, bytes, complex, set, frozenset, dict)
HOOKS = ('__reduce_ex__', '__reduce__', '__setstate__', '__getstate__', '__getnewargs__',
         '__getnewargs_ex__')


def reachable(obj):
    """Every object pickling obj would visit (each once): container items, and for other
    objects the parts of their reduction (arguments, state, list and dict items), so
    that deques, slotted objects and custom reductions are looked into too."""
    def parts(x):
        if isinstance(x, (list, tuple, set, frozenset, dict)):
            return container_items(x)
        if isinstance(x, collections.deque):
            return list(x)
        if not isinstance(x, type) and type(x).__module__ != 'builtins':
            return reduction_parts(x)
        return []
    return each_reachable(obj, parts)


def reduction_parts(x):
    """The arguments, state and items of x's reduction at protocol 2 (what the pickler
    saves after the callable), or x's __dict__ when it cannot be reduced."""
    try:
        rv = x.__reduce_ex__(2)
    except Exception:
        rv = None
    if not isinstance(rv, tuple):
        return [vars(x)] if hasattr(x, '__dict__') else []
    parts = list(rv[1:3])
    for it in rv[3:5]:
        if it is not None:
            try:
                parts.append(list(it))
            except Exception:
                pass
    return parts


def _dict_state(x):
    """True if x reduces (at protocol 2) with a dict as its state."""
    try:
        rv = x.__reduce_ex__(2)
    except Exception:
        return False
    return isinstance(rv, tuple) and len(rv) > 2 and isinstance(rv[2], dict)


def _hashed_by_address(m):
    """True for a NaN float (from CPython 3.10 its hash is its address), a complex with a
    NaN part, or a tuple or frozenset holding one."""
    if isinstance(m, float):
        return m != m and sys.version_info >= (3, 10)
    if isinstance(m, complex):
        return _hashed_by_address(m.real) or _hashed_by_address(m.imag)
    if isinstance(m, (tuple, frozenset)):
        return any(_hashed_by_address(x) for x in m)
    return False


def set_with_opaque_members(obj):
    """True if obj reaches a set or frozenset with a member whose hash is not a pure
    function of builtin values."""
    return any(isinstance(x, (set, frozenset))
               and not all(is_builtin_value(m) and m is not None and not _hashed_by_address(m)
                           for m in x)
               for x in reachable(obj))


def reduces_itself(t):
    """True if class t has its own __reduce__ or __reduce_ex__ (in Python or C: Decimal,
    timedelta, ...), rather than object's."""
    return t.__reduce_ex__ is not object.__reduce_ex__ or t.__reduce__ is not object.__reduce__


def uses_class_code(obj, mutated=False):
    """True if obj reaches an instance whose class decides its reduction in Python code
    (a pickling hook defined in Python), of a subclass of a builtin type in
    BUILTIN_BASES_RUN (namedtuples, int subclasses, set and dict subclasses, ...), or of
    an empty list subclass (written at protocol 2+ as NEWOBJ without items, it is a list
    subclass to CPython only, so the library's protocol 0-1 _reconstructor names the
    base `object`, design.md section 5). For a mutated input, also an instance of a class
    with its own reduction: its constructor may normalize arguments that the mutation
    changed (Decimal('sNAN') reduces as 'sNaN', timedelta(-1, -1795081830) as
    (-20778, 50970)), which the library, keeping the recorded call, cannot know; or of
    a class whose __init__ is Python code (a mutation that makes REDUCE call the class
    runs __init__, whose attributes no pickle records). And a special method reached as
    an attribute of a class (getattr(Class, '__new__')): CPython pickles the class's own
    function by its qualified name, and the builtin it inherits through getattr on the
    builtin class; which one the class has, no pickle records. And an instance of a
    class with a __setstate__ written in C (numpy's Generator) whose state is a dict: the
    identity of that dict's keys (interned by the default BUILD, not by such a method,
    and built by the class's own __reduce__) is its code's. (check() also counts here a
    value that getattr(obj, name, default) made on such an object: the attribute or the
    default, as the class has it or not.)"""
    for x in reachable(obj):
        t = type(x)
        if isinstance(x, types.FunctionType) and '.' in x.__qualname__ \
                and x.__name__.startswith('__') and x.__name__.endswith('__'):
            return True     # Class.__new__: the class's own (by name) or object's (getattr)?
        if isinstance(x, type) or t.__module__ == 'builtins':
            continue
        if mutated and (reduces_itself(t) or hasattr(t.__init__, '__code__')):
            return True
        if isinstance(x, BUILTIN_BASES_RUN):
            return True
        if isinstance(x, list) and not x:
            return True     # no list items in the pickle: its base class is unknowable
        for hook in HOOKS:
            f = getattr(t, hook, None)
            if f is not None and hasattr(f, '__code__'):
                return True
        if getattr(t, '__setstate__', None) is not None and _dict_state(x):
            return True     # a __setstate__ in C (Cython) takes a dict state: its keys' identity

    return False


def calls_unemulated_builtin(globals_seen):
    """True if loading named a builtins callable that the library keeps inert (CPython
    called it, e.g. builtins.int)."""
    for module, name in globals_seen:
        m, n = compat_name(module, name)
        if m == 'builtins' and (m, n) not in SAFE_GLOBALS:
            return True
    return False


def reference_load(data):
    """pickle.loads(data) as the roundtrip sees it (oracle.cpython_loads), or _NOT_LOADED
    when CPython refuses data (nothing to compare); sets reference_load.executes."""
    value, err, seen = cpython_loads(data)
    if err is not None:
        return _NOT_LOADED
    reference_load.executes = calls_unemulated_builtin(seen)
    reference_load.seen = seen
    return value


_NOT_LOADED = object()


def reference_dump(obj, q):
    """('ok', bytes) or ('err', 'Class: message') for dumps(obj, q). Pickling has no
    effect on the objects a pickle loads to (no class of the corpus or the safe set
    changes itself when reduced), so one load serves every protocol."""
    try:
        return ('ok', pickle.dumps(obj, q))
    except RecursionError as e:
        return ('err', error_text(e))
    except Exception as e:
        return ('err', error_text(e))


def input_protocol(data):
    """The protocol a pickle declares (PROTO), 0 when it declares none."""
    p = data[1] if data[:1] == b'\x80' and len(data) > 1 else 0
    return p if p <= 5 else 0


def check(case, tool, protocols=PROTOCOLS):
    """The verdict on one input, for every output protocol: v['results'] holds
    (q, verdict, expected, got) with verdict agree, differ or crash."""
    v = {'loaded': False, 'results': [], 'category': None,
         'input_protocol': input_protocol(case.data)}
    if case.kwargs:       # `pickletool roundtrip` has no flags for loads() arguments
        v['units'] = {'skip': len(protocols)}
        return v
    obj = reference_load(case.data)
    if obj is _NOT_LOADED:
        v['units'] = {'skip': len(protocols)}
        return v
    for q in protocols:
        expected = reference_dump(obj, q)
        got = tool_outcome(tool.run('roundtrip', case.data, ['--protocol', str(q)]))
        if got == expected or (got[0] == expected[0] == 'err'
                               and same_error_class(got[1], expected[1])):
            verdict = 'agree'
        elif got[0] == 'crash':
            verdict = 'crash'
        else:
            verdict = 'differ'
        v['results'].append((q, verdict, expected, got))
    v['loaded'] = True
    if any(r[1] == 'differ' for r in v['results']):
        if set_with_opaque_members(obj):
            v['category'] = 'set-order'
        elif uses_class_code(obj, mutated=case.group.endswith('-mutated')) or \
                getattr_with_default(case.data, {}, reference_load.seen):
            v['category'] = 'class-code'
        elif reference_load.executes:
            v['category'] = 'executes'
    # A crash is never counted apart.
    v['units'] = dict(collections.Counter(units_by_pair(v).values()))
    return v


def units_by_pair(v):
    """{(input protocol, output protocol): unit} of one verdict, for the report's table of
    protocol pairs ('agree', 'disagree' or 'apart:<category>', as v['units'] counts)."""
    out = {}
    for q, verdict, _, _ in v['results']:
        if verdict == 'agree':
            unit = 'agree'
        elif verdict == 'differ' and v['category']:
            unit = 'apart:' + v['category']
        else:
            unit = 'disagree'
        out[(v['input_protocol'], q)] = unit
    return out


def init_worker():
    raise_recursion_limit()


def first_difference(expected, actual):
    n = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b),
             min(len(expected), len(actual)))
    return n, expected[max(0, n - 30):n + 50], actual[max(0, n - 30):n + 50]


def describe(v):
    lines = []
    for q, verdict, expected, got in v['results']:
        if verdict == 'agree':
            continue
        if expected[0] == got[0] == 'ok':
            n, e, a = first_difference(expected[1], got[1])
            lines.append('protocol %d: bytes differ at %d: expected %r, got %r' % (q, n, e, a))
        else:
            lines.append('protocol %d: expected %s %s, got %s %s' % (
                q, expected[0], short(expected[1]), got[0], short(got[1])))
    if v.get('category'):
        lines.append('counted apart: %s' % v['category'])
    return lines


def still_fails(v, case, tool):
    """A smaller input must still load in CPython and fail the same way at the first
    protocol that disagrees (only that protocol is run again)."""
    first = next(r for r in v['results'] if r[1] != 'agree')
    q, verdict, expected, got = first
    signature = (verdict, expected[0], got[0])

    def fails(data):
        w = check(Case(case.name, case.group, data, case.kwargs), tool, (q,))
        return bool(w['results']) and w['category'] is None and \
            (w['results'][0][1], w['results'][0][2][0], w['results'][0][3][0]) == signature
    return fails


def by_hand(tool, kwargs):
    return ('%s roundtrip --protocol Q FILE   vs   '
            'PYTHONHASHSEED=0 %s -c "import pickle,sys; sys.stdout.buffer.write('
            'pickle.dumps(pickle.loads(open(sys.argv[1],\'rb\').read()), Q))" FILE'
            % (tool.command(), python_command()))


def print_summary(verdicts):
    pairs = {}      # (p, q) -> [agree, total]; p is the input's protocol when known
    groups = {}
    apart = collections.Counter()
    for v in verdicts:
        if not v['loaded']:
            continue
        g = groups.setdefault(v['group'], [0, 0])
        for q, verdict, _, _ in v['results']:
            cell = pairs.setdefault((v['input_protocol'], q), [0, 0])
            cell[1] += 1
            g[1] += 1
            if verdict == 'agree':
                cell[0] += 1
                g[0] += 1
        apart.update({k[len('apart:'):]: n for k, n in v['units'].items()
                      if k.startswith('apart:')})
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


def main():
    with_hash_seed_zero()
    return cli_main(AREA, parse_checker_arguments(__doc__))


if __name__ == '__main__':
    sys.exit(main())
