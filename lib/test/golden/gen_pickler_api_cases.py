#!/usr/bin/env python3
"""Generate pickler_api_cases.tsv: CPython 3.11's bytes for lib/test/pickler_test.cpp.

    python3 lib/test/golden/gen_pickler_api_cases.py          # rewrites the file
    python3 lib/test/golden/gen_pickler_api_cases.py --check  # fails if it is stale

pickler_test.cpp checks the C++ contract of the pickler (options, the reusable Pickler,
its Sink, values built with the Graph API); wherever it asserts bytes they come from
here.  Each function below builds, in Python, the same object graph the test builds in
C++ (the C++ test names the function it mirrors), and records what CPython's C pickler
does with it.  Identity matters: a str or tuple made here with fresh() is a new object,
as Graph::new_str / new_tuple make new nodes; one-character strs are CPython's shared
ones (Graph::make_str).

One line per expectation, three tab-separated columns, no header:

    name <TAB> kind <TAB> data

kind   bytes       data: the pickle, hex-encoded as in pickle_cases.tsv (a run may be
                   abbreviated `<PATTERN*COUNT>`; see gen_pickle_cases.decode_field)
       err         data: hex of the UTF-8 of `ClassName: message`
       err-prefix  data: hex of the start of `ClassName: message` (the rest names an
                   address)
       writes      data: the write() calls a Pickler made to its file, in order, each
                   encoded like `bytes`, separated by commas
       count       data: a decimal number (how many times a callback was called)

CPython runs with PYTHONHASHSEED=0 (re-executing itself so if needed), except for the
hash_seed cases, which run a child process with another seed.
"""

import argparse
import collections
import copyreg
import datetime
import functools
import io
import math
import os
import pickle
import subprocess
import sys
import threading
import types

from golden_file import write_or_check  # noqa: E402

if os.environ.get('PYTHONHASHSEED') != '0':
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, PYTHONHASHSEED='0'))

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from gen_pickle_cases import encode_field, O  # noqa: E402  (O: conformance.objects)

OUTPUT = os.path.join(HERE, 'pickler_api_cases.tsv')
Q = range(6)
LINES = []


def fresh(s):
    """A str (or bytes) equal to s that is a new object, like Graph::new_str."""
    return s[:1] + s[1:] if len(s) > 1 else s


def tup(*items):
    """A new tuple, like Graph::new_tuple (literal tuples may be shared constants)."""
    return tuple(list(items))


def add(name, kind, data):
    assert '\t' not in name and not any(n == name for n, _, _ in LINES), name
    LINES.append((name, kind, data))


def add_bytes(name, data):
    add(name, 'bytes', encode_field(data))


def error_text(exc):
    msg = str(exc)
    return '%s: %s' % (type(exc).__name__, msg) if msg else type(exc).__name__


def add_outcome(name, fn):
    """Records fn()'s bytes, or its exception."""
    try:
        data = fn()
    except Exception as exc:        # noqa: B902 -- the exception is the expectation
        add(name, 'err', error_text(exc).encode('utf-8').hex())
        return
    add_bytes(name, data)


class LoggingFile:
    """A file object that keeps each write() call."""

    def __init__(self):
        self.writes = []

    def write(self, data):
        # CPython passes bytes, or the PickleBuffer of an in-band buffer
        self.writes.append(bytes(memoryview(data)))
        return len(self.writes[-1])


def add_writes(name, writes):
    add(name, 'writes', ','.join(encode_field(w) for w in writes))


# ---------------------------------------------------------------------------
# Protocol argument handling.  C++: ProtocolArgument.*

def simple_value():
    return [fresh('abc'), 1]


def protocol_cases():
    v = simple_value()
    add_bytes('protocol.default', pickle.dumps(v))
    for q in Q:
        add_bytes('protocol.%d' % q, pickle.dumps(v, q))
    for q in (-1, -5):
        add_bytes('protocol.%d' % q, pickle.dumps(v, q))
    for q in (6, 1000):
        add_outcome('protocol.%d' % q, lambda: pickle.dumps(v, q))
        add_outcome('pickler.protocol.%d' % q, lambda: pickle.Pickler(io.BytesIO(), q) and b'')

    def cb(buf):
        return True
    for q in list(range(5)) + [6]:
        add_outcome('buffer_callback.%d' % q, lambda: pickle.dumps(v, q, buffer_callback=cb))
        add_outcome('pickler.buffer_callback.%d' % q,
                    lambda: pickle.Pickler(io.BytesIO(), q, buffer_callback=cb) and b'')
    add_bytes('buffer_callback.-1', pickle.dumps(v, -1, buffer_callback=cb))
    add_bytes('buffer_callback.5', pickle.dumps(v, 5, buffer_callback=cb))


# ---------------------------------------------------------------------------
# Out-of-band buffers.  C++: Buffers.*

def buffer_value():
    ro = pickle.PickleBuffer(b'abc')
    rw = pickle.PickleBuffer(bytearray(b'xyz'))
    return [ro, rw, ro, rw]


def buffer_cases():
    v = buffer_value()
    add_bytes('buffers.inband', pickle.dumps(v, 5))
    for label, decide in (('true', lambda b: True), ('false', lambda b: False),
                          ('readonly_inband', lambda b: b.raw().readonly)):
        calls = []

        def cb(b, decide=decide, calls=calls):
            calls.append(1)
            return decide(b)
        add_bytes('buffers.callback_%s' % label, pickle.dumps(v, 5, buffer_callback=cb))
        add('buffers.callback_%s.calls' % label, 'count', str(len(calls)))
    for q in range(5):
        add_outcome('buffers.%d' % q, lambda: pickle.dumps(v, q))
    big = [pickle.PickleBuffer(b'q' * 70000), pickle.PickleBuffer(bytearray(b'r' * 70000)), 1]
    add_bytes('buffers.big_inband', pickle.dumps(big, 5))
    f = LoggingFile()
    pickle.Pickler(f, 5).dump(big)
    add_writes('buffers.big_inband.writes', f.writes)
    f = LoggingFile()
    pickle.Pickler(f, 5, buffer_callback=lambda b: False).dump(big)
    add_writes('buffers.big_oob.writes', f.writes)
    # What READONLY_BUFFER makes of a writable buffer: a memoryview, which nothing pickles
    # (buffer_callback is not asked).
    view = memoryview(bytearray(b'xyz')).toreadonly()
    for q in Q:
        add_outcome('buffers.memoryview.%d' % q, lambda: pickle.dumps([1, view], q))
    add_outcome('buffers.memoryview.callback',
                lambda: pickle.dumps([1, view], 5, buffer_callback=lambda b: 1 / 0))
    # A PickleBuffer hashes by identity.
    ro = pickle.PickleBuffer(b'abc')
    add_bytes('buffers.as_key', pickle.dumps({ro: 1, 'k': ro}, 5))


# ---------------------------------------------------------------------------
# Fast mode.  C++: FastMode.*

def fast_dumps(v, q):
    f = io.BytesIO()
    p = pickle.Pickler(f, q)
    p.fast = True
    p.dump(v)
    return f.getvalue()


def fast_shared_value():
    s = fresh('abc')
    lst = [1]
    t = tup(lst, 2)
    return [s, s, lst, lst, t, t, 'a', 'a']


def fast_deep_value():
    leaf = [fresh('leaf')]
    v = [leaf, leaf]
    for _ in range(60):
        v = [v]
    return v


def fast_cases():
    rec_list = []
    rec_list.append(rec_list)
    rec_dict = {}
    rec_dict[1] = rec_dict
    inner = []
    rec_tuple = (inner,)
    inner.append(rec_tuple)
    # CPython's save_frozenset enters fast mode's nesting count but never leaves it, so
    # the 50th frozenset (in a list: the 49th) is tracked, and the next visit of the same
    # frozenset is taken for a cycle; with 49, leaving the list deletes a fast-memo key
    # that was never added: KeyError (its message is an address).
    fs = frozenset({1})
    for q in (2, 4):
        for n in (49, 50):
            try:
                fast_dumps([fs] * n, q)
                raise AssertionError('fast mode pickled %d frozensets' % n)
            except (KeyError, ValueError) as exc:
                text = error_text(exc)
                prefix = text[:text.rindex(' at ') + 4] if ' at ' in text else 'KeyError: '
                add('fast.frozenset_%d.%d' % (n, q), 'err-prefix', prefix.encode().hex())
    for q in Q:
        add_bytes('fast.shared.%d' % q, fast_dumps(fast_shared_value(), q))
        add_bytes('fast.deep.%d' % q, fast_dumps(fast_deep_value(), q))
        for name, v in (('list', rec_list), ('dict', rec_dict), ('tuple', rec_tuple)):
            try:
                fast_dumps(v, q)
                raise AssertionError('fast mode pickled a cycle')
            except ValueError as exc:
                text = error_text(exc)
                prefix = text[:text.rindex(' at ') + 4]
                add('fast.cycle_%s.%d' % (name, q), 'err-prefix', prefix.encode().hex())


# ---------------------------------------------------------------------------
# persistent_id.  C++: PersistentIds.*

class Ref:
    """Stands for a PersistentId node: persistent_id returns its pid."""

    def __init__(self, pid):
        self.pid = pid


class PidPickler(pickle.Pickler):
    """The C++ tests' hook: a str starting with 'ext:' is written as a reference to the
    rest of it (a new str); a Ref as a reference to its pid."""

    def persistent_id(self, obj):
        if type(obj) is str and obj.startswith('ext:'):
            return obj[4:]
        if type(obj) is Ref:
            return obj.pid
        return None


def pid_dumps(v, q):
    f = io.BytesIO()
    PidPickler(f, q).dump(v)
    return f.getvalue()


def persistent_cases():
    one = fresh('ext:one')
    for q in Q:
        add_outcome('persistent.strs.%d' % q,
                    lambda: pid_dumps([one, fresh('plain'), one, fresh('ext:two'),
                                       tup(fresh('ext:three'), 3)], q))
        add_outcome('persistent.nodes.%d' % q,
                    lambda: pid_dumps([Ref(tup(fresh('ref'), 1)), Ref(7), Ref(fresh('name'))], q))
        add_outcome('persistent.nested.%d' % q,
                    lambda: pid_dumps([Ref(tup(fresh('ext:inner'), 2))], q))
        add_outcome('persistent.non_ascii.%d' % q, lambda: pid_dumps([fresh('ext:caf\xe9')], q))
        add_outcome('persistent.newline.%d' % q, lambda: pid_dumps([fresh('ext:a\nb')], q))
        add_outcome('persistent.bytes_pid.%d' % q, lambda: pid_dumps([Ref(b'raw')], q))
        add_outcome('persistent.none.%d' % q, lambda: pid_dumps(simple_value(), q))


# Loaded PersistentId nodes: P is read with keep_persistent_ids, written again with
# PersistentId nodes as references.  C++: PersistentIds.LoadedNodes
class RefUnpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        return Ref(pid)


def loaded_persistent_cases():
    for p in Q:
        try:
            src = pid_dumps([Ref(fresh('k1')), Ref(tup(fresh('k2'), 2)), fresh('x')], p)
        except pickle.PicklingError:
            continue
        add_bytes('persistent.loaded.p%d' % p, src)
        obj = RefUnpickler(io.BytesIO(src)).load()
        for q in Q:
            add_outcome('persistent.loaded.p%d.%d' % (p, q), lambda: pid_dumps(obj, q))


# ---------------------------------------------------------------------------
# The reusable Pickler and its file.  C++: ReusablePickler.*, Streaming.*

def buffer_in_list():
    return [1, ['x'], pickle.PickleBuffer(b'buf')]


def pickler_cases():
    for q in Q:
        lst = simple_value()
        f = LoggingFile()
        p = pickle.Pickler(f, q)
        p.dump(lst)
        p.dump(lst)
        add_writes('pickler.memo.%d' % q, f.writes)

        f = LoggingFile()
        p = pickle.Pickler(f, q)
        p.dump(lst)
        p.clear_memo()
        p.dump(lst)
        add_writes('pickler.clear_memo.%d' % q, f.writes)

        f = LoggingFile()
        p = pickle.Pickler(f, q)
        p.dump(lst)
        p.dump([lst, 'x', lst[0]])
        add_writes('pickler.memo_across.%d' % q, f.writes)

        # Two graphs' values (in C++, built alike in two Graphs) through one memo.
        first, second = [fresh('abc'), [fresh('de')]], [fresh('abc'), [fresh('de')]]
        f = LoggingFile()
        p = pickle.Pickler(f, q)
        for v in (first, second, first, second[1], second):
            p.dump(v)
        add_writes('pickler.two_graphs.%d' % q, f.writes)

        f = LoggingFile()
        p = pickle.Pickler(f, q)
        p.dump(len)
        p.dump([len, collections.OrderedDict, collections.OrderedDict.fromkeys])
        p.dump(collections.OrderedDict)
        add_writes('pickler.globals.%d' % q, f.writes)

        if q < 5:
            # A failed dump writes nothing; what it memoized before failing stays.
            v = buffer_in_list()
            f = LoggingFile()
            p = pickle.Pickler(f, q)
            try:
                p.dump(v)
                raise AssertionError('PickleBuffer pickled below protocol 5')
            except pickle.PicklingError as exc:
                add('pickler.after_error.%d.error' % q, 'err', error_text(exc).encode().hex())
            add_writes('pickler.after_error.%d.first' % q, f.writes)
            p.dump(v[1])
            p.dump(v)
            add_writes('pickler.after_error.%d' % q, f.writes)


def stream_values():
    return [('big1', lambda: [b'x' * 65536, 1, fresh('yy')]),
            ('big3', lambda: [b'a' * 65000, b'b' * 65000, b'c' * 65000]),
            ('many_none', lambda: [None] * 200000),
            ('str_100k', lambda: fresh('x' * 100000)),
            ('bytearray_70k', lambda: bytearray(b'z' * 70000)),
            ('small', lambda: ['a']),
            ('nested_big', lambda: [[b'p' * 40000, b'q' * 40000], fresh('end')]),
            ('frame_edge', lambda: [b'a' * 65527, 1, fresh('yy')])]


def stream_cases():
    for name, make in stream_values():
        for q in Q:
            f = LoggingFile()
            pickle.Pickler(f, q).dump(make())
            add_writes('stream.%s.%d' % (name, q), f.writes)
            assert b''.join(f.writes) == pickle.dumps(make(), q)
    for q in Q:
        f = LoggingFile()
        p = pickle.Pickler(f, q)
        v = [b'x' * 65536, fresh('yy')]
        p.dump(v)
        p.dump(v)
        p.dump([b'y' * 70000])
        add_writes('stream.two_dumps.%d' % q, f.writes)


# ---------------------------------------------------------------------------
# Values built with the Graph API.  C++: GraphApi.*

def graph_scalars():
    return [None, True, False, 0, -1, 255, 65536, -2 ** 31, 2 ** 31, 2 ** 63 - 1, -2 ** 63,
            2 ** 100, -2 ** 70, 0.5, -0.0, math.inf, complex(1, 2)]


def graph_strings():
    return ['', 'a', 'a', fresh('hi'), fresh('h\xe9\u20ac\U0001f600'), '\ud800', b'', b'x',
            fresh(b'bytes'), bytearray(b'ba'), bytearray()]


def graph_containers():
    s1 = set()
    for x in (3, 1, 2):
        s1.add(x)
    s2 = set()
    for x in ('b', 'a', 'c'):
        s2.add(x)
    d = {}
    d['k'] = fresh('v')
    d[1] = None
    d[2.5] = tup(1)
    return [(), tup(1), tup(1, 2), tup(1, 2, 3), tup(1, 2, 3, 4), [], [1, [2]], {}, d, set(), s1,
            s2, frozenset(), frozenset([fresh('xx'), fresh('yy')])]


def graph_shared():
    s = fresh('shared')
    lst = [1]
    t = tup(lst, s)
    b = fresh(b'bb')
    return [s, s, lst, lst, t, t, b, b]


def graph_recursive():
    lst = []
    lst.append(lst)
    d = {}
    d[fresh('self')] = d
    inner = []
    t = tup(inner, 1)
    inner.append(t)
    return [lst, d, t]


def graph_globals():
    # functools.reduce is _functools.reduce (its __module__), as pickles name it
    return [len, collections.OrderedDict, collections.OrderedDict, O.Outer.Inner,
            collections.OrderedDict.fromkeys, functools.reduce, range]


def graph_objects():
    return [O.Plain(), datetime.date(2024, 1, 2), O.Outer.Inner(5)]


def graph_wide():
    return list(range(2500))


def graph_small_bigints():
    # C++ builds these with Graph::new_bigint (not Value::integer)
    return [5, 0, 0, 5, 2 ** 40, -(2 ** 40)]


def graph_non_ascii_names():
    """A function uni_mod.café and a function módulo.f, in modules made up here."""
    def make(module, name):
        m = sys.modules.get(module) or types.ModuleType(module)
        sys.modules[module] = m

        def f():
            pass
        f.__module__, f.__qualname__, f.__name__ = module, name, name
        setattr(m, name, f)
        return f
    return [make('uni_mod', 'caf\xe9')], [make('m\xf3dulo', 'f')]


def graph_cases():
    for name, make in (('scalars', graph_scalars), ('strings', graph_strings),
                       ('containers', graph_containers), ('shared', graph_shared),
                       ('recursive', graph_recursive), ('globals', graph_globals),
                       ('objects', graph_objects), ('wide', graph_wide),
                       ('small_bigints', graph_small_bigints),
                       ('non_ascii_name', lambda: graph_non_ascii_names()[0]),
                       ('non_ascii_module', lambda: graph_non_ascii_names()[1])):
        for q in Q:
            add_outcome('graph.%s.%d' % (name, q), lambda: pickle.dumps(make(), q))


# ---------------------------------------------------------------------------
# Other options.  C++: Options.*

EXTENSIONS = [('collections', 'OrderedDict', 0xf0), ('collections', 'deque', 0x1234),
              ('conformance.objects', 'Plain', 0x12345678)]


def extension_cases():
    for module, name, code in EXTENSIONS:
        copyreg.add_extension(module, name, code)
    try:
        for q in Q:
            add_bytes('extensions.%d' % q, pickle.dumps(
                [collections.OrderedDict, collections.deque, O.Plain, collections.OrderedDict,
                 O.Plain()], q))
    finally:
        for module, name, code in EXTENSIONS:
            copyreg.remove_extension(module, name, code)


def fix_imports_value():
    return [range, int, str, ValueError, collections.UserDict, functools.reduce, copyreg._reconstructor]


def fix_imports_cases():
    for q in Q:
        add_bytes('fix_imports.on.%d' % q, pickle.dumps(fix_imports_value(), q))
        add_bytes('fix_imports.off.%d' % q, pickle.dumps(fix_imports_value(), q, fix_imports=False))


WORDS = ['apple', 'banana', 'cherry', 'date', 'elderberry', 'fig', 'grape', 'honeydew',
         'kiwi', 'lemon', 'mango', 'nectarine', 'orange', 'papaya', 'quince', 'raspberry']
HASH_SEED = 12345
CHILD = '''
import pickle, sys
words = %r
s = set()
for w in words:
    s.add(w)
b = set()
for x in (b'x', b'yy', b'zzz'):     # not a set display: its order is a constant's
    b.add(x)
v = [s, frozenset(words[:5]), b]
out = [pickle.dumps(v, q).hex() for q in range(6)]
sys.stdout.write(' '.join(out))
''' % (WORDS,)


def hash_seed_cases():
    for seed in (0, HASH_SEED):
        env = dict(os.environ, PYTHONHASHSEED=str(seed))
        out = subprocess.run([sys.executable, '-c', CHILD], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        for q, h in enumerate(out):
            add_bytes('hash_seed.%d.%d' % (seed, q), bytes.fromhex(h))


# ---------------------------------------------------------------------------
# A list nested 1,000,000 deep.  C++: Deep.*

DEPTH = 1_000_000


def deep_cases():
    result = {}

    def run():
        sys.setrecursionlimit(DEPTH * 3)
        v = []
        for _ in range(DEPTH):
            v = [v]
        for q in (4, 5):
            result[q] = pickle.dumps(v, q)
        f = LoggingFile()
        pickle.Pickler(f, 4).dump(v)
        result['writes'] = f.writes
        while v:        # free it iteratively
            v = v[0]
    threading.stack_size(1 << 30)
    t = threading.Thread(target=run)
    t.start()
    t.join()
    for q in (4, 5):
        add_bytes('deep.%d' % q, result[q])
    add_writes('deep.4.writes', result['writes'])


def lines():
    protocol_cases()
    buffer_cases()
    fast_cases()
    persistent_cases()
    loaded_persistent_cases()
    pickler_cases()
    stream_cases()
    graph_cases()
    extension_cases()
    fix_imports_cases()
    hash_seed_cases()
    deep_cases()
    return ''.join('%s\t%s\t%s\n' % line for line in LINES)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--check', action='store_true', help='compare with the file, write nothing')
    ap.add_argument('--output', default=OUTPUT)
    args = ap.parse_args()
    text = lines()
    return write_or_check(args.output, text, args.check)


if __name__ == '__main__':
    sys.exit(main())
