#!/usr/bin/env python3
"""Differential check of `pickletool show` against CPython's pickle.loads.

For every input (a generated corpus or the pickles of a directory, pickletester's
vectors, and mutated copies of all of them) CPython's outcome is computed in
memory with pickle.loads (the C unpickler) and compared with the tool's:

* both fail: they agree on the class when the tool's last stderr line(s) name
  the same exception class, and fully when the message is the same too;
* both succeed: when CPython's value is made only of builtin value types
  (None, bool, int, float, complex, str, bytes, bytearray, list, tuple, dict,
  set, frozenset) the tool must print CPython's repr.  Sets print in insertion
  order in the tool, so reprs that differ are compared as parsed literals with
  the elements of every set sorted (equivalent to evaluating both and comparing
  with a nan-aware deep equality, without running anything; a '...' cycle
  marker compares as written); reprs nested too deeply for the parser cannot be
  compared this way and are reported as "unverifiable".  Other values only need
  to load.
* CPython's repr is part of its outcome: an int of more than 4300 digits makes
  print(repr(value)) raise ValueError, so the tool must fail the same way.

Inputs whose outcome depends on what CPython imports or runs are counted
apart: 'imports' when find_class was asked for a global outside the safe set
(see sandbox.SAFE_GLOBALS) or importing failed; 'call' when CPython's error came
from running code: raised inside a called object, or by an operation on an
instance whose class decides the outcome (found by re-running the pure-Python
unpickler with those operations instrumented, oracle._CallProbe), or when it names
the metaclass of a class the pickle names (EnumType); 'memory' when
CPython raised MemoryError (e.g. it allocates what a length field announces
before reading, or a memo as large as a PUT index), which depends on the machine.

    python3 conformance/load_check.py                      # build/tools/pickletool
    python3 conformance/load_check.py --pickletool conformance/fake_pickletool.py
    python3 conformance/load_check.py --flags              # also vectors needing
                                      # --encoding/--errors/--no-fix-imports

Disagreements are listed and saved to conformance/out/load/.  Exit status 0 when
every compared case agrees (class and message; unverifiable reprs excepted).
"""

import ast
import os
import sys

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.cli import cli_main, parse_checker_arguments  # noqa: E402
from conformance.disagreements import python_command, short  # noqa: E402
from conformance.oracle import reference_load  # noqa: E402
from conformance.sandbox import raise_recursion_limit  # noqa: E402
from conformance.tools import loads_flags, same_error, same_error_class, stderr_error  # noqa: E402

AREA = 'load'
UNIT = 'inputs'

# ---------------------------------------------------------------------------
# Comparing reprs that may differ only in set order.
#
# Two reprs are equivalent when they parse to the same literal expression once
# the elements of every set display are sorted.  This is the "eval both and
# compare with a nan-aware deep equality" check done on the parse trees: nan,
# inf, -0.0 and complex signs compare exactly as printed, the '...' that marks
# a cycle compares as written (so cyclic values need no eval), and nothing the
# tool printed is ever executed.

_LITERAL_NODES = (ast.Expression, ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict,
                  ast.UnaryOp, ast.USub, ast.UAdd, ast.BinOp, ast.Add, ast.Sub, ast.Call,
                  ast.Name, ast.Load)
_NAMES = {'inf', 'nan', 'infj', 'nanj', 'frozenset', 'bytearray', 'set'}


class _SortSets(ast.NodeTransformer):
    def visit_Set(self, node):
        self.generic_visit(node)
        node.elts.sort(key=ast.dump)
        return node


def canonical_repr(text):
    """(True, canonical form) of a repr made of literals, or (False, reason)."""
    try:
        tree = ast.parse(text, mode='eval')
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return False, 'not parseable (%s)' % type(exc).__name__
    for node in ast.walk(tree):
        if not isinstance(node, _LITERAL_NODES):
            return False, 'not a literal (%s)' % type(node).__name__
        if isinstance(node, ast.Name) and node.id not in _NAMES:
            return False, 'unknown name %s' % node.id
    return True, ast.dump(_SortSets().visit(tree))


def repr_equivalent(expected, actual):
    """(True/False, note), or (None, reason) when CPython's repr cannot be parsed
    (nested deeper than the parser allows)."""
    ok_e, ce = canonical_repr(expected)
    if not ok_e:
        return None, 'CPython repr ' + ce
    ok_a, ca = canonical_repr(actual)
    if not ok_a:
        return False, 'tool repr ' + ca
    return ce == ca, ''


# ---------------------------------------------------------------------------
# One case.

def compare(data, kwargs, tool):
    """A verdict dict; 'result' is one of agree, agree-set-order, agree-class,
    unverifiable, disagree, crash; 'kind' says what differs."""
    exp = reference_load(data, kwargs)
    tool_result = tool.run('show', data, loads_flags(kwargs))
    v = {'category': exp.category, 'expected': '%s %s' % (exp.status, exp.text),
         'globals': exp.globals, 'tool_status': tool_result.status, 'tool': None, 'kind': '',
         'note': ''}
    if tool_result.status.startswith('crash'):
        v.update(result='crash', kind='crash',
                 tool='%s; stderr ends %s' % (tool_result.status,
                                              short(tool_result.stderr[-300:])))
        return v
    if tool_result.status == 'err':
        v['tool'] = 'err ' + stderr_error(tool_result.stderr)
    else:
        v['tool'] = 'ok ' + tool_result.stdout.decode('utf-8', 'backslashreplace')
    if exp.status == 'err':
        actual = v['tool'][4:]
        if tool_result.status != 'err':
            v.update(result='disagree', kind='tool-succeeds')
        elif same_error(actual, exp.text):
            v.update(result='agree')
        elif same_error_class(actual, exp.text):
            v.update(result='agree-class', kind='error-message')
        else:
            v.update(result='disagree', kind='error-class')
        return v
    if tool_result.status != 'ok':
        v.update(result='disagree', kind='tool-fails')
    elif exp.status == 'ok-object':
        v.update(result='agree')
    elif tool_result.stdout == (exp.text + '\n').encode('utf-8'):
        v.update(result='agree')
    else:
        actual = tool_result.stdout.decode('utf-8', 'backslashreplace')
        actual = actual[:-1] if actual.endswith('\n') else actual
        same, why = repr_equivalent(exp.text, actual)
        if same is None:
            v.update(result='unverifiable', kind='repr', note=why)
        elif same:
            v.update(result='agree-set-order')
        else:
            v.update(result='disagree', kind='repr', note=why)
    return v


def outcome(v):
    """The verdict as a count: crashes always disagree; the other outcomes of inputs
    whose CPython outcome depends on imports, calls or memory are counted apart, as
    are reprs too deep to compare; a different message is a disagreement."""
    if v['result'] == 'crash':
        return 'disagree'
    if v['category'] != 'plain':
        return 'apart:' + v['category']
    if v['result'] == 'unverifiable':
        return 'apart:unverifiable'
    return 'agree' if v['result'] in ('agree', 'agree-set-order') else 'disagree'


def check(case, tool):
    v = compare(case.data, case.kwargs, tool)
    v['units'] = {outcome(v): 1}
    return v


def _excepthook(etype, value, tb):
    # CPython prints (PyErr_Print) "SystemError: deallocated bytearray object has
    # exported buffers" when a READONLY_BUFFER view outlives its bytearray.
    if not (etype is SystemError and 'exported buffers' in str(value)):
        sys.__excepthook__(etype, value, tb)


def init_worker():
    import test.pickletester  # noqa: F401  (puts C, D, E in __main__ for DATA0..DATA4)
    raise_recursion_limit()
    sys.excepthook = _excepthook


def describe(v):
    return ['%s: CPython %s, tool %s%s' % (
                v['kind'] or v['result'], short(v['expected'], 80),
                short(v['tool'] or v['tool_status'], 80),
                ' (%s)' % v['note'] if v['note'] else ''),
            'result: %s %s %s' % (v['result'], v['kind'], v['note']),
            'category: %s; globals: %s' % (v['category'], v['globals'][:10]),
            'CPython: %s' % short(v['expected'], 2000),
            'tool:    %s' % short(v['tool'] or v['tool_status'], 2000)]


def still_fails(v, case, tool):
    signature = outcome(v), v['kind']

    def fails(data):
        w = compare(data, case.kwargs, tool)
        return (outcome(w), w['kind']) == signature
    return fails


def by_hand(tool, kwargs):
    return ('%s show %sFILE   vs   %s -c "import pickle,sys; '
            'print(repr(pickle.loads(open(sys.argv[1],\'rb\').read()%s)))" FILE'
            % (tool.command(), ''.join(f + ' ' for f in loads_flags(kwargs)), python_command(),
               ''.join(', %s=%r' % kv for kv in kwargs.items())))


def print_summary(results):
    plain = [v for v in results if v['category'] == 'plain']
    count = lambda vs, *rs: sum(v['result'] in rs for v in vs)  # noqa: E731
    n = len(plain)
    full = count(plain, 'agree', 'agree-set-order')
    cls = count(plain, 'agree', 'agree-set-order', 'agree-class')
    print('compared (only safe globals involved): %d' % n)
    print('  same outcome, same class:            %d/%d (%.2f%%)'
          % (cls, n, 100.0 * cls / max(1, n)))
    print('  same outcome, same class and message: %d/%d (%.2f%%)'
          % (full, n, 100.0 * full / max(1, n)))
    print('    of which reprs equal only up to set order: %d' % count(plain, 'agree-set-order'))
    print('  reprs differ, not comparable (too deep to parse): %d' % count(plain, 'unverifiable'))
    print('  disagree: %d (crashes: %d)' % (count(plain, 'disagree', 'crash'),
                                            count(plain, 'crash')))
    for cat, what in (('imports', 'CPython named a global outside the safe set, or importing '
                                  'failed'),
                      ('call', "CPython's error came from running code"),
                      ('memory', 'CPython raised MemoryError')):
        vs = [v for v in results if v['category'] == cat]
        same_status = sum(v['expected'].split()[0].startswith('ok') ==
                          (v['tool_status'] == 'ok') for v in vs)
        cpy_ok = sum(v['expected'].startswith('ok') for v in vs)
        tool_ok_when_ok = sum(v['expected'].startswith('ok') and v['tool_status'] == 'ok'
                              for v in vs)
        print('counted apart, %s (%s): %d' % (cat, what, len(vs)))
        print('  same status (both load / both fail): %d/%d; CPython loads %d, the tool '
              'loads %d of those; crashes: %d'
              % (same_status, len(vs), cpy_ok, tool_ok_when_ok, count(vs, 'crash')))
    groups = {}
    for v in plain:
        g = groups.setdefault(v['group'], [0, 0])
        g[0] += v['result'] in ('agree', 'agree-set-order')
        g[1] += 1
    print('by group (compared cases, full agreement):')
    for name, (a, t) in groups.items():
        print('  %-18s %6d/%d' % (name, a, t))


def _add_arguments(ap):
    ap.add_argument('--flags', action='store_true',
                    help='include vectors that need --encoding/--errors/--no-fix-imports')


def main():
    args = parse_checker_arguments(__doc__, _add_arguments)
    return cli_main(AREA, args, with_kwargs=args.flags)


if __name__ == '__main__':
    sys.exit(main())
