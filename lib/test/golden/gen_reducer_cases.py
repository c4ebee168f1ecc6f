#!/usr/bin/env python3
"""Generate reducer_cases.tsv: what CPython 3.11 does with each of a table of reducer
returns, valid and malformed, registered for a class through copyreg; and
reducer_cases_by_version.tsv: where CPython 3.8-3.13 do otherwise.

    python3 lib/test/golden/gen_reducer_cases.py          # rewrites both files
    python3 lib/test/golden/gen_reducer_cases.py --check  # fails if either is stale

The rows come from each release itself (pyenv's newest X.Y.Z, else pythonX.Y on PATH;
without one the script exits with status 77): `rows()` runs under the interpreter asked.

For every case the reducer of a class `reducer_cases.<cls>` (C, or the list and dict
subclasses L and Dd) returns the case's value `rv`; CPython pickles an instance
`cls()` with it at protocols 0-5, both through copyreg.pickle (the dispatch table) and
through Pickler.reducer_override, and copies the instance with copy.copy and
copy.deepcopy.

One line per case and mode, tab-separated, no header:

    name <TAB> mode <TAB> cls <TAB> hex(spec) <TAB> p0 <TAB> ... <TAB> p5 <TAB> copy <TAB> deepcopy

mode      dispatch | override
cls       the class reduced
spec      pickle.dumps(rv, 4) with placeholders the C++ test replaces: the global
          reducer_cases.SELF stands for the instance itself, an instance of
          reducer_cases.It(list) for iter(list), of reducer_cases.ItItems(dict)
          for iter(dict.items()).
pN        `ok:<hex of pickle.dumps(C(), N)>` or `err:<Class>: <message>`
copy,     `ok:<hex of pickle.dumps(result, 4)>` once the reducer is unregistered,
deepcopy  `err:<Class>: <message>`, or `-` where CPython's result depends on what
          a Python class does when called (the library calls it inertly) or in
          override mode (copy ignores reducer_override).

reducer_cases_by_version.tsv has one line per outcome in which a release differs from
3.11's table:

    X.Y <TAB> name <TAB> mode <TAB> column <TAB> outcome      (column: p0..p5, copy, deepcopy)
"""

import argparse
import copy
import copyreg
import os
import pickle
import subprocess
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', '..', 'src', 'gen'))
from gen_paths import SUPPORTED, interpreter  # noqa: E402
from golden_file import write_or_check  # noqa: E402

OUTPUT = os.path.join(HERE, 'reducer_cases.tsv')
BY_VERSION = os.path.join(HERE, 'reducer_cases_by_version.tsv')
BASE_VERSION = (3, 11)
COLUMNS = ('p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'copy', 'deepcopy')

# ---------------------------------------------------------------------------
# The module the classes live in, importable by name as pickling requires.

M = types.ModuleType('reducer_cases')
sys.modules['reducer_cases'] = M


def _define(obj, name):
    obj.__module__ = 'reducer_cases'
    obj.__qualname__ = name
    obj.__name__ = name
    setattr(M, name, obj)
    return obj


class C:
    """The class whose instances are reduced."""


class D:
    """Another class."""


class L(list):
    """A list subclass: its instances have append()."""


class Dd(dict):
    """A dict subclass: its instances have __setitem__()."""


class K:
    """A class with its own __new__, for __newobj_ex__ (taking keyword arguments)."""

    def __new__(cls, *args, **kwargs):
        return super().__new__(cls)


class It:
    """Placeholder for iter(items) in a spec."""

    def __init__(self, items):
        self.items = items

    def __reduce__(self):
        return It, (self.items,)


class ItItems:
    """Placeholder for iter(d.items()) in a spec."""

    def __init__(self, d):
        self.d = d

    def __reduce__(self):
        return ItItems, (self.d,)


class _Self:
    def __reduce__(self):
        return 'SELF'


def f(*args):
    return C()


def setter(obj, state):
    obj.__dict__['set_by_setter'] = state


def __newobj__(cls, *args):
    """A function that is not copyreg's, with the name the pickler looks for."""
    return cls.__new__(cls, *args)


for _cls in (C, D, L, Dd, K, It, ItItems, _Self):
    _define(_cls, _cls.__name__.lstrip('_'))
K.__new__.__qualname__ = 'K.__new__'
K.__new__.__module__ = 'reducer_cases'  # as a method defined in the class body
for _fn in (f, setter):
    _define(_fn, _fn.__name__)
__newobj__.__module__ = 'reducer_cases'
M.__newobj__ = __newobj__
M.SELF = _Self()

SELF = M.SELF
newobj = copyreg.__newobj__
newobj_ex = copyreg.__newobj_ex__

# ---------------------------------------------------------------------------
# The table: name -> (rv, copy_comparable[, cls]).  The reducer is registered for cls (C
# by default) and an instance cls() is reduced.  copy_comparable is False where the copy
# result depends on a Python class's __init__ or on a function's return value (the
# library records such calls inertly), or on whether a class defines __new__; 'copy'
# where only deepcopy's does (before 3.10 deepcopy calls a sixth item, the state setter,
# in place of copy.deepcopy).

CASES = {
    # valid returns
    'str_global': ('SINGLETON', True),
    'call_no_args': ((C, ()), True),
    'call_args': ((f, (1, 'a', None, 2.5)), False),
    'call_state': ((C, (), {'a': 1, 'b': [2, 3]}), True),
    'call_state_none': ((C, (), None), True),
    'call_state_not_dict': ((f, (), 42), False),
    'listitems': ((L, (), None, It([1, 2, 3])), True, L),
    'listitems_batched': ((L, (), None, It(list(range(2500)))), True, L),
    'listitems_empty': ((L, (), None, It([])), True, L),
    'dictitems': ((Dd, (), None, None, ItItems({'a': 1, 'b': 2})), True, Dd),
    'dictitems_batched': ((Dd, (), None, None, ItItems({i: -i for i in range(1001)})), True, Dd),
    'dictitems_from_list': ((Dd, (), None, None, It([('x', 1), ('y', 2)])), True, Dd),
    'all_six': ((L, (), {'s': 1}, It([1]), ItItems({}), setter), False),
    'state_setter': ((C, (), {'a': 1}, None, None, setter), 'copy'),
    'state_setter_no_state': ((C, (), None, None, None, setter), True),
    'none_items': ((C, (), None, None, None, None), True),
    'newobj': ((newobj, (C,)), True),
    'newobj_args': ((newobj, (C, 1, 2)), False),
    'newobj_state': ((newobj, (C,), {'x': 'y'}), True),
    'newobj_by_name': ((__newobj__, (C,)), False),
    'newobj_ex': ((newobj_ex, (K, (1,), {'k': 2})), False),
    'newobj_ex_no_kwargs': ((newobj_ex, (K, (), {})), False),
    'newobj_ex_other_class': ((newobj_ex, (K, (), {})), False),
    'state_holds_self': ((C, (), {'me': SELF}), True),
    'listitems_hold_self': ((L, (), None, It([SELF, SELF])), True, L),
    'args_hold_self': ((C, (SELF,)), False),
    'list_rv': ([C, ()], False),
    # malformed returns
    'not_str_or_tuple': (5, True),
    'none_rv': (None, True),
    'one_item': ((C,), True),
    'seven_items': ((C, (), None, None, None, None, None), True),
    'empty_tuple': ((), True),
    'func_not_callable': ((5, ()), True),
    'func_str': (('C', ()), True),
    'args_list': ((C, [1]), False),
    'args_none': ((C, None), True),
    'args_none_builtin': ((len, None), True),
    'listitems_list': ((L, (), None, [1, 2]), False),
    'listitems_int': ((L, (), None, 5), True, L),
    'dictitems_dict': ((Dd, (), None, None, {'a': 1}), False),
    'dictitems_not_pairs': ((Dd, (), None, None, It([1, 2])), True, Dd),
    'dictitems_triples': ((Dd, (), None, None, It([(1, 2, 3)])), True, Dd),
    'setter_not_callable': ((C, (), {'a': 1}, None, None, 5), True),
    'setter_not_callable_no_state': ((C, (), None, None, None, 'x'), True),
    'newobj_empty': ((newobj, ()), False),
    'newobj_not_type': ((newobj, (5,)), False),
    'newobj_wrong_class': ((newobj, (D,)), False),
    'newobj_ex_two_args': ((newobj_ex, (K, ())), False),
    'newobj_ex_four_args': ((newobj_ex, (K, (), {}, None)), False),
    'newobj_ex_cls_not_type': ((newobj_ex, (5, (), {})), False),
    'newobj_ex_args_list': ((newobj_ex, (K, [], {})), False),
    'newobj_ex_kwargs_list': ((newobj_ex, (K, (), [])), False),
}


def realize(value, obj):
    """The spec with its placeholders replaced by the real values."""
    if value is SELF:
        return obj
    if isinstance(value, It):
        return iter([realize(v, obj) for v in value.items])
    if isinstance(value, ItItems):
        return iter({k: realize(v, obj) for k, v in value.d.items()}.items())
    if type(value) is tuple:
        return tuple(realize(v, obj) for v in value)
    if type(value) is list:
        return [realize(v, obj) for v in value]
    if type(value) is dict:
        return {k: realize(v, obj) for k, v in value.items()}
    return value


def outcome(thunk):
    try:
        return 'ok:' + thunk().hex()
    except Exception as e:  # noqa: BLE001 - every exception is an outcome to record
        return f'err:{type(e).__name__}: {e}'


def dump_with_override(obj, cls, proto, rv_of):
    import io

    class P(pickle.Pickler):
        def reducer_override(self, o):
            return rv_of(o) if type(o) is cls else NotImplemented

    buf = io.BytesIO()
    P(buf, proto).dump(obj)
    return buf.getvalue()


def copy_outcome(fn, cls, rv_of):
    copyreg.pickle(cls, rv_of)
    try:
        result = fn(cls())
    except Exception as e:  # noqa: BLE001
        return f'err:{type(e).__name__}: {e}'
    finally:
        del copyreg.dispatch_table[cls]
    return outcome(lambda: pickle.dumps(result, 4))


def rows():
    for name, (spec, copy_comparable, *rest) in CASES.items():
        cls = rest[0] if rest else C
        spec_hex = pickle.dumps(spec, 4).hex()
        for mode in ('dispatch', 'override'):
            cols = [name, mode, cls.__name__, spec_hex]
            for proto in range(6):
                x = cls()
                M.SINGLETON = x
                rv_of = lambda o: realize(spec, o)  # noqa: E731
                if mode == 'dispatch':
                    copyreg.pickle(cls, rv_of)
                    try:
                        cols.append(outcome(lambda: pickle.dumps(x, proto)))
                    finally:
                        del copyreg.dispatch_table[cls]
                else:
                    cols.append(outcome(lambda: dump_with_override(x, cls, proto, rv_of)))
            for fn in (copy.copy, copy.deepcopy):
                if mode != 'dispatch':
                    cols.append('-')
                    continue
                out = copy_outcome(fn, cls, lambda o: realize(spec, o))
                comparable = copy_comparable is True or (copy_comparable == 'copy' and fn is copy.copy)
                cols.append(out if comparable else '-')
            yield '\t'.join(cols)


def rows_of(version):
    """The rows of `version`'s CPython, run apart."""
    out = subprocess.run([interpreter(version), '-c',
                          'import sys; sys.path.insert(0, sys.argv[1]); import gen_reducer_cases as g; '
                          'sys.stdout.write("\\n".join(g.rows()) + "\\n")', HERE],
                         check=True, capture_output=True, text=True).stdout
    return out.splitlines()


def version_differences(version, base_rows, rows_v):
    """Lines of reducer_cases_by_version.tsv: where `version`'s rows differ from 3.11's."""
    lines = []
    for base, other in zip(base_rows, rows_v, strict=True):
        b, o = base.split('\t'), other.split('\t')
        assert b[:4] == o[:4], (b[:2], o[:2])
        for column, old, new in zip(COLUMNS, b[4:], o[4:], strict=True):
            if old != new:
                lines.append('\t'.join(['%d.%d' % version, b[0], b[1], column, new]))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='fail if a file is stale')
    args = parser.parse_args()
    base = rows_of(BASE_VERSION)
    differences = []
    for version in SUPPORTED:
        if version != BASE_VERSION:
            differences += version_differences(version, base, rows_of(version))
    status = write_or_check(OUTPUT, '\n'.join(base) + '\n', args.check)
    return write_or_check(BY_VERSION, ''.join(line + '\n' for line in differences), args.check) or status


if __name__ == '__main__':
    sys.exit(main())
