#!/usr/bin/env python3
"""`pickletool json` against the mapping of doc/json.md applied to what CPython loads.

For each value below and each protocol, the pickle CPython writes is loaded by CPython and
mapped to JSON by the reference encoder here (doc/json.md, written out in Python); the
tool's output, parsed, must equal it. Run under PYTHONHASHSEED=0 (the script re-runs
itself so), for sets to list their members in the order the library reproduces.

    python3 tools/json_check.py build/tools/pickletool
"""

import copyreg
import json
import math
import os
import pickle
import subprocess
import sys
import tempfile


class Plain:
    """Pickled by object.__reduce_ex__: copyreg.__newobj__ (protocol 2+) or
    copyreg._reconstructor (0, 1), with its __dict__ as state."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class Reduced:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __reduce__(self):
        return (Reduced, (self.a, self.b))


def values():
    shared = [1, 'two']
    cycle = []
    cycle.append(cycle)
    selfdict = {}
    selfdict['me'] = selfdict
    through_tuple = []
    through_tuple.append((through_tuple, 1))
    obj = Plain(x=1, items=shared)
    return [
        None, True, False, 0, -1, 2**53, 2**53 + 1, -2**53 - 1, 2**64, -(10**30), 1.5, -0.0, 1e300, 5e-324,
        float('inf'), float('-inf'), float('nan'), complex(1, -2.5), 'plain', 'é\u20ac\U0001f600', '\ud800x',
        'quote " backslash \\ newline \n', b'', b'\x00\xff\x10abc', bytearray(b'xyz'), [], (), {}, set(), frozenset(),
        [1, [2, [3, []]]], (1, (2,)), {'a': 1, 'b': [shared, shared]}, {1: 'int key', 'a': 2}, {'$x': 1},
        {'x', 'y', 'z', 'w'}, frozenset({3, 1, 2}), {(1, 2), (2, 1)}, cycle, selfdict, through_tuple,
        [obj, obj], Plain(), Reduced(1, [2]), [len, Plain, copyreg.__newobj__], [(), (), frozenset(), frozenset()],
        list(range(2000)), {str(i): i for i in range(300)},
    ]


def has_identity(v):
    # The empty tuple and frozenset are one object each in CPython: values, not identities.
    if isinstance(v, (tuple, frozenset)) and not v:
        return False
    return isinstance(v, (list, tuple, dict, set, frozenset, bytearray, Plain, Reduced))


def float_json(x):
    if math.isnan(x):
        return {'$float': 'nan'}
    if math.isinf(x):
        return {'$float': 'inf' if x > 0 else '-inf'}
    return x


class Encoder:
    def __init__(self, root, protocol):
        self.protocol = protocol
        self.count = {}
        self.ids = {}
        self.walk(root)

    def members(self, v):
        if isinstance(v, dict):
            return [m for kv in v.items() for m in kv]
        if isinstance(v, (list, tuple, set, frozenset)):
            return list(v)
        if isinstance(v, (Plain, Reduced)):
            how, callable_, args, state = self.reduce(v)
            return [callable_, *args, state]
        return []

    def walk(self, root):
        seen = {id(root)} if has_identity(root) else set()
        stack = [root]
        while stack:
            for m in self.members(stack.pop()):
                if has_identity(m):
                    if id(m) in seen:
                        self.count[id(m)] = 2
                    else:
                        seen.add(id(m))
                        stack.append(m)

    def reduce(self, obj):
        r = obj.__reduce_ex__(self.protocol)
        func, args, state = r[0], r[1], r[2] if len(r) > 2 else None
        if func is copyreg.__newobj__:
            return 'newobj', args[0], list(args[1:]), state
        if func is copyreg._reconstructor and args[1] is object:
            return 'newobj', args[0], [], state
        return 'reduce', func, list(args), state

    def encode(self, v):
        if has_identity(v) and self.count.get(id(v)) == 2:
            if id(v) in self.ids:
                return {'$ref': self.ids[id(v)]}
            self.ids[id(v)] = len(self.ids) + 1
            n = self.ids[id(v)]
            return {'$id': n, '$value': self.compound(v)}
        return self.compound(v) if has_identity(v) or isinstance(v, (tuple, frozenset)) else self.scalar(v)

    def scalar(self, v):
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v if abs(v) <= 2**53 else {'$int': str(v)}
        if isinstance(v, float):
            return float_json(v)
        if isinstance(v, complex):
            return {'$complex': [float_json(v.real), float_json(v.imag)]}
        if isinstance(v, bytes):
            return {'$bytes': __import__('base64').b64encode(v).decode()}
        if callable(v):
            return {'$global': '%s.%s' % (v.__module__, v.__qualname__)}
        raise TypeError(type(v))

    def compound(self, v):
        e = self.encode
        if isinstance(v, list):
            return [e(x) for x in v]
        if isinstance(v, tuple):
            return {'$tuple': [e(x) for x in v]}
        if isinstance(v, dict):
            if all(isinstance(k, str) and not k.startswith('$') for k in v):
                return {k: e(x) for k, x in v.items()}
            return {'$dict': [[e(k), e(x)] for k, x in v.items()]}
        if isinstance(v, (set, frozenset)):
            return {'$set' if isinstance(v, set) else '$frozenset': [e(x) for x in v]}
        if isinstance(v, bytearray):
            return {'$bytearray': __import__('base64').b64encode(bytes(v)).decode()}
        how, callable_, args, state = self.reduce(v)
        out = {'how': how, 'callable': e(callable_), 'args': [e(a) for a in args]}
        if state is not None:
            out['state'] = e(state)
        return {'$object': out}


def same(a, b):
    """Equality of parsed JSON, with NaN-free floats compared by value and type."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def main(tool):
    if os.environ.get('PYTHONHASHSEED') != '0':
        return subprocess.run([sys.executable, *sys.argv], env=dict(os.environ, PYTHONHASHSEED='0')).returncode
    problems = 0
    checked = 0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'value.pkl')
        for i, value in enumerate(values()):
            for protocol in range(6):
                data = pickle.dumps(value, protocol)
                with open(path, 'wb') as f:
                    f.write(data)
                loaded = pickle.loads(data)
                want = Encoder(loaded, protocol).encode(loaded)
                r = subprocess.run([tool, 'json', path], capture_output=True, text=True)
                checked += 1
                got = json.loads(r.stdout) if r.returncode == 0 else r.stderr
                if not same(got, json.loads(json.dumps(want))):
                    problems += 1
                    print('value %d, protocol %d: pickletool json gives\n  %s\nthe mapping of what CPython loads is\n  %s'
                          % (i, protocol, str(got)[:400], json.dumps(want)[:400]))
    print('%d pickles, %d problems' % (checked, problems))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
