"""Seeded generator of object graphs to pickle, for the conformance checks.

The stream of objects is the fixed catalogue of edge cases (the same for every
seed) followed by random object graphs drawn from random.Random((seed, index)).
`--count N` takes the first N objects of the stream (default: the whole
catalogue plus 200 random graphs).

    python3 conformance/corpus.py --seed 1 --count 400 --out /tmp/corpus
    python3 conformance/corpus.py --list

Writes pickle.dumps(obj, p) for every protocol p in 0..5 as
`s<seed>-<index>-<name>-p<proto>.pickle`.  Combinations that CPython refuses to
pickle (objects with __slots__, ints of more than 4300 digits and a list
subclass holding itself at protocols 0 and 1, PickleBuffer below protocol 5) are
skipped and listed with --verbose.  When
writing files, the script re-runs itself with PYTHONHASHSEED=0 so that sets of
strings are written in the same order every time.

As a library:
    generate(seed, count)  -> iterator of (name, obj)
    pickles(seed, count)   -> iterator of (case name, protocol, bytes)
"""

import argparse
import collections
import datetime
import decimal
import enum
import fractions
import functools
import math
import os
import pickle
import random
import struct
import sys
import uuid

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.paths import safe_filename  # noqa: E402  (puts the repository root on sys.path)
from conformance import objects as O  # noqa: E402
from conformance.oracle import error_text  # noqa: E402
from conformance.sandbox import raise_recursion_limit  # noqa: E402

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)
DEFAULT_RANDOM = 200


# ---------------------------------------------------------------------------
# Edge values.

def edge_ints():
    out = [('int.0', 0), ('int.1', 1), ('int.-1', -1)]
    for k in (7, 8, 15, 16, 31, 32, 63, 64):
        for d in (-1, 0, 1):
            v = 2 ** k + d
            out.append(('int.2^%d%+d' % (k, d), v))
            out.append(('int.-2^%d%+d' % (k, d), -v))
    out += [
        ('int.10^100', 10 ** 100), ('int.-2^1000', -2 ** 1000),
        ('int.long1_max', 2 ** (8 * 255 - 1) - 1),        # largest LONG1 payload (255 bytes)
        ('int.long1_min', -2 ** (8 * 255 - 1)),
        ('int.long4_first', 2 ** (8 * 255 - 1)),           # needs 256 bytes: LONG4
        ('int.4300_digits', 10 ** 4299),                   # the str<->int limit, inclusive
        ('int.-4300_digits', -(10 ** 4300 - 1)),
        ('int.4301_digits', 10 ** 4300),                   # beyond the limit
        ('int.5000_digits', -(10 ** 4999 + 7)),
        ('int.2^20000', 2 ** 20000),
    ]
    return out


def edge_floats():
    return [
        ('float.0', 0.0), ('float.-0', -0.0), ('float.nan', math.nan),
        ('float.-nan', -math.nan),
        ('float.nan_payload', struct.unpack('<d', b'\x01\x00\x00\x00\x00\x00\xf8\x7f')[0]),
        ('float.inf', math.inf), ('float.-inf', -math.inf),
        ('float.min_subnormal', 5e-324), ('float.-min_subnormal', -5e-324),
        ('float.max_subnormal', 2.225073858507201e-308),
        ('float.min_normal', 2.2250738585072014e-308),
        ('float.max', 1.7976931348623157e308), ('float.0.1', 0.1), ('float.1/3', 1 / 3),
        ('float.1e16', 1e16), ('float.1e22', 1e22), ('float.1e-7', 1e-7),
        ('float.2^53+2', 2.0 ** 53 + 2), ('float.-123.456', -123.456), ('float.1.5', 1.5),
    ]


ESCAPE_CHARS = ''.join(map(chr, range(0x21))) + '\x7f\x80\x85\x9f\xa0\xad\xff' + \
    '\\\'"\u0100\u2028\u2029\ufeff\ufffe\uffff\U0001f600\U0010ffff'


def edge_strs():
    out = [('str.empty', ''), ('str.a', 'a'), ('str.escapes', ESCAPE_CHARS),
           ('str.latin1', ''.join(map(chr, range(256)))),
           ('str.surrogates', '\ud800 \udbff \udc00 \udfff a\udc80b'),
           ('str.lone_high', '\ud800'), ('str.lone_low', '\udfff'),
           ('str.pair_as_surrogates', '\ud83d\ude00'),
           ('str.non_bmp', '\U0001f600\U0010ffff'), ('str.py_source', "print('hi')\n"),
           # Code points that repr escapes in some releases only (Unicode 12.1 to 15.1).
           ('str.unicode_releases', '\u061d\u0d04\u1715\u0870\u0cf3\U00013440\U00011f3e\U0001e030')]
    for i, ch in enumerate('\\\n\r\t\x00\'"\x85\u2028\x1a'):
        out.append(('str.char%d' % i, ch))
        out.append(('str.char%d_in_text' % i, 'a%sb%s' % (ch, ch)))
    for n in (255, 256):
        out.append(('str.%d_ascii' % n, 'x' * n))
    out.append(('str.255_utf8_bytes', '\xe9' * 127 + 'x'))
    out.append(('str.256_utf8_bytes', '\xe9' * 128))
    for n in (65535, 65536, 65537):
        out.append(('str.%d' % n, ('abcdefg\u20ac' * (n // 8 + 1))[:n]))
    return out


def edge_bytes():
    out = [('bytes.empty', b''), ('bytes.all', bytes(range(256))),
           ('bytes.escapes', ESCAPE_CHARS.encode('utf-8', 'surrogatepass')),
           ('bytearray.empty', bytearray()), ('bytearray.small', bytearray(b'xyz\x00\xff'))]
    for n in (255, 256):
        out.append(('bytes.%d' % n, bytes(range(256))[:n]))
        out.append(('bytearray.%d' % n, bytearray(n)))
    for n in (65535, 65536, 65537):
        out.append(('bytes.%d' % n, bytes(i % 251 for i in range(n))))
    out.append(('bytearray.65536', bytearray(b'\x01') * 65536))
    return out


def containers():
    out = [('list.empty', []), ('tuple.empty', ()), ('dict.empty', {}), ('set.empty', set()),
           ('frozenset.empty', frozenset())]
    for n in (1, 2, 3, 4):
        out.append(('tuple.%d' % n, tuple(range(n))))
    for n in (999, 1000, 1001):
        out.append(('list.%d' % n, list(range(n))))
        out.append(('tuple.%d' % n, tuple(range(n))))
        out.append(('dict.%d' % n, {i: str(i) for i in range(n)}))
        out.append(('set.%d' % n, set(range(n))))
        out.append(('frozenset.%d' % n, frozenset(range(n))))
    out.append(('list.2001_mixed', [i if i % 3 else str(i) for i in range(2001)]))
    out.append(('dict.mixed_keys', {0: 'int', 1.5: 'float', 'k': 'str', b'b': 'bytes',
                                    (1, 2): 'tuple', None: 'none', True: 'bool (== 1)',
                                    frozenset([1]): 'frozenset', -0.0: 'float zero'}))
    out.append(('set.mixed', {0, 'a', b'a', (1, 'x'), 2.5, frozenset(), 1j, True}))
    out.append(('set.strs', {'alpha', 'beta', 'gamma', 'delta'}))
    out.append(('frozenset.nested', frozenset([frozenset([1, 2]), frozenset(), 3])))
    out.append(('tuple.nested', ((), ((),), (((),),))))
    return out


def shared_and_cycles():
    out = []
    x = [1, 2]
    out.append(('shared.list', [x, x, (x,), {'k': x}]))
    s = 'shared string ' * 3
    out.append(('shared.str', [s, s, (s, s)]))
    b = b'shared bytes'
    out.append(('shared.bytes', (b, b, [b])))
    t = ('a', ('b',))
    out.append(('shared.tuple', [t, t, t[1], t[1]]))
    p = O.Plain(1, 'shared')
    out.append(('shared.instance', [p, {'p': p}, (p,)]))
    fs = frozenset([1, 2])
    out.append(('shared.frozenset', {fs: fs, 'again': [fs]}))

    lst = []
    lst.append(lst)
    out.append(('cycle.list_self', lst))
    d = {}
    d['self'] = d
    out.append(('cycle.dict_self', d))
    lst2 = []
    tup = (lst2, 'x')
    lst2.append(tup)
    out.append(('cycle.tuple_via_list', tup))
    out.append(('cycle.list_via_tuple', lst2))
    deep = []
    tup3 = (deep,)
    deep.append(((tup3,),))
    out.append(('cycle.nested_tuples', tup3))
    inst = O.Plain()
    inst.a = inst
    out.append(('cycle.instance_self', inst))
    a, b2 = O.Plain(), O.Plain()
    a.b, b2.b = b2, a
    out.append(('cycle.instance_pair', [a, b2]))
    st = set()
    holder = O.Plain(a=st)
    st.add(holder)
    out.append(('cycle.set_via_instance', st))
    fholder = O.Plain()
    fz = frozenset([fholder])
    fholder.a = fz
    out.append(('cycle.frozenset_via_instance', fz))
    dd = {}
    dd['l'] = [dd, (dd,)]
    out.append(('cycle.dict_list_tuple', dd))
    r4 = O.Reduce4()
    r4.append(r4)
    out.append(('cycle.reduce_listitems', r4))
    ml = O.MyListAttr()
    ml.append(ml)
    ml.note = ml
    out.append(('cycle.list_subclass', ml))
    return out


def deep_nesting():
    def nest(depth, wrap):
        v = 'leaf'
        for i in range(depth):
            v = wrap(v, i)
        return v

    return [
        ('deep.list_1000', nest(1000, lambda v, i: [v])),
        ('deep.list_3000', nest(3000, lambda v, i: [v])),
        ('deep.dict_2000', nest(2000, lambda v, i: {'k': v})),
        ('deep.tuple_500', nest(500, lambda v, i: (v,))),
        ('deep.tuple2_300', nest(300, lambda v, i: (i, v))),
        ('deep.mixed_2000', nest(2000, lambda v, i: [v] if i % 2 else {i: v})),
        ('deep.frozenset_200', nest(200, lambda v, i: frozenset([v]))),
        ('deep.instance_1000', nest(1000, lambda v, i: O.Plain(a=v, b=i))),
    ]


def user_objects():
    r4 = O.Reduce4('items')
    r4.extend([1, 'two', (3,)])
    r5 = O.Reduce5()
    r5.append(1)
    r5['key'] = 'value'
    r5[2] = [3]
    r3 = O.Reduce3(7)
    r3.extra = [1, 2]
    slots_dict = O.SlotsDict(5, z='zed')
    my_list_attr = O.MyListAttr([1, 2], note={'n': 1})
    return [
        ('obj.Plain', O.Plain()), ('obj.Plain_values', O.Plain([1, 2.5], {'x': None})),
        ('obj.Slots', O.Slots(1, 2)), ('obj.Slots_partial', O.Slots('only x')),
        ('obj.SlotsDict', slots_dict), ('obj.GetSetState', O.GetSetState(42, 'label')),
        ('obj.Reduce2', O.Reduce2('a', ('b',))), ('obj.Reduce3', r3), ('obj.Reduce4', r4),
        ('obj.Reduce5', r5), ('obj.Reduce6', O.Reduce6({'s': [1]})),
        ('obj.ReduceEx', O.ReduceEx(9)), ('obj.Singleton', O.SINGLETON),
        ('obj.NewArgs', O.NewArgs(1, 'y')), ('obj.NewArgsEx', O.NewArgsEx(2, scale=10)),
        ('obj.Registered', O.Registered([1, 2])), ('obj.factory', O.factory('k', 1, 2)),
        ('obj.MyList', O.MyList([1, 2, 3])), ('obj.MyListAttr', my_list_attr),
        ('obj.MyDict', O.MyDict(a=1, b=2)), ('obj.MyDictAttr', O.MyDictAttr({1: 'one'})),
        ('obj.MySet', O.MySet([1, 2])), ('obj.MyFrozenSet', O.MyFrozenSet(['a'])),
        ('obj.MyInt', O.MyInt(-7)), ('obj.MyIntAttr', O.MyIntAttr(2 ** 70, note='big')),
        ('obj.MyFloat', O.MyFloat(-0.0)), ('obj.MyStr', O.MyStr('s\u20ac')),
        ('obj.MyStrAttr', O.MyStrAttr('s', note=[1])), ('obj.MyBytes', O.MyBytes(b'\x00b')),
        ('obj.MyTuple', O.MyTuple((1, 'a'))), ('obj.MyTupleAttr', O.MyTupleAttr((2,))),
        ('obj.Outer', O.Outer()), ('obj.Outer.Inner', O.Outer.Inner()),
        ('obj.Outer.Inner.Deeper', O.Outer.Inner.Deeper(4)),
        ('enum.Color', [O.Color.RED, O.Color.GREEN, O.Color.BLUE]),
        ('enum.Number', [O.Number.ONE, O.Number.BIG, O.Number.NEG]),
        ('enum.Perm', [O.Perm.R, O.Perm.R | O.Perm.W, O.Perm(0), O.Perm.R | O.Perm.W | O.Perm.X]),
        ('namedtuple.Point', O.Point(1, (2, 'y'))),
        ('dataclass.DataPoint', O.DataPoint(1, 'y', [1, 2])),
        ('dataclass.FrozenPoint', {O.FrozenPoint(1, 2): 'frozen dataclass as key'}),
    ]


def stdlib_objects():
    tz = datetime.timezone(datetime.timedelta(hours=5, minutes=30), 'IST')
    dd = collections.defaultdict(list)
    dd['a'].append(1)
    return [
        ('std.OrderedDict', collections.OrderedDict([('b', 1), ('a', 2)])),
        ('std.deque', collections.deque([1, 'two', 3.0], maxlen=5)),
        ('std.deque_unbounded', collections.deque(range(10))),
        ('std.defaultdict', dd), ('std.defaultdict_none', collections.defaultdict(None, {1: 2})),
        ('std.Counter', collections.Counter('abracadabra')),
        ('std.date', datetime.date(2024, 2, 29)),
        ('std.time', datetime.time(12, 30, 15, 123456)),
        ('std.time_tz', datetime.time(23, 59, 59, tzinfo=datetime.timezone.utc)),
        ('std.datetime', datetime.datetime(2000, 1, 1, 0, 0)),
        ('std.datetime_tz', datetime.datetime(2021, 12, 31, 23, 59, 59, 999999, tzinfo=tz)),
        ('std.datetime_fold', datetime.datetime(2021, 11, 7, 1, 30, fold=1)),
        ('std.timedelta', datetime.timedelta(days=-1, seconds=5, microseconds=7)),
        ('std.Decimal', [decimal.Decimal('3.14'), decimal.Decimal('-0'),
                         decimal.Decimal('NaN'), decimal.Decimal('-Infinity'),
                         decimal.Decimal('1E+999')]),
        ('std.Fraction', fractions.Fraction(-1, 3)),
        ('std.UUID', uuid.UUID('12345678-1234-5678-1234-567812345678')),
        ('std.range', [range(5), range(1, 10, 3), range(-5), range(2 ** 70)]),
        ('std.slice', [slice(1, 10, 2), slice(None), slice('a', None, [1])]),
        ('std.complex', [1 + 2j, complex(-0.0, -0.0), complex(math.nan, math.inf), 1j]),
        ('std.singletons', [Ellipsis, NotImplemented, None, True, False]),
        ('std.singleton_types', [type(None), type(Ellipsis), type(NotImplemented)]),
        ('std.partial', functools.partial(O.module_function, 1)),
        ('std.partial_kw', functools.partial(max, key=len)),
        ('global.builtin_functions', [len, max, abs, getattr]),
        ('global.builtin_types', [int, list, object, type, bytearray, frozenset]),
        ('global.stdlib', [collections.OrderedDict, math.floor, functools.reduce,
                           datetime.datetime]),
        ('global.user', [O.Plain, O.Outer.Inner, O.Outer.Inner.Deeper, O.module_function,
                         O.Color, O.Point, O.DataPoint]),
        ('global.methods', [O.Plain.method, O.Plain.make, O.Plain(5).method, 'abc'.upper,
                            dict.fromkeys, [].append]),
        ('global.Color_member_in_dict', {O.Color.RED: O.Color, 'f': O.module_function}),
    ]


def more_edge_cases():
    """Recursive tuples of every small size, payloads across frames, large containers
    of user and collections types, and the rarer reduce forms and value kinds."""
    out = []
    for n in range(1, 6):           # TUPLE1..3 and MARK/TUPLE, then POP(_MARK) + GET
        lst = []
        t = tuple([lst] + list(range(n - 1)))
        lst.append(t)
        out.append(('cycle.tuple%d_via_list' % n, t))
    lst = []
    t = (lst, 'x')
    lst.append(t)
    out.append(('cycle.recursive_tuple_twice', [t, t, lst]))
    d = {}
    t = (d,)
    d['t'] = t
    out.append(('cycle.tuple_via_dict', t))
    p = O.Plain()
    t = (p, 1)
    p.a = t
    out.append(('cycle.tuple_via_instance', t))
    out += [
        ('frames.list_200k', ['%05d' % i + 'x' * 60 for i in range(3000)]),
        ('frames.big_payloads_in_list', [b'a' * 70000, 'small', 'b' * 70000,
                                         bytearray(70000), b'tail']),
        ('frames.nested_big', {'k': ['\u20ac' * 30000], 'n': (b'z' * 65536,)}),
        # Runs of numbers of every opcode size, broken by other values at varying places,
        # across several frames (the dumper writes number runs apart).
        ('frames.number_runs', [[1, 300, 70000, -1, 2.5, 2 ** 31 - 1, -2 ** 31][i % 7] if i % 997 else
                                [2 ** 31, 'x', None, True, 2 ** 70, -2 ** 31 - 1][i % 6]
                                for i in range(40000)]),
        ('obj.MyList_1001', O.MyList(range(1001))),
        ('obj.MyDict_1000', O.MyDict((i, -i) for i in range(1000))),
        ('obj.MySet_999', O.MySet(range(999))),
        ('std.OrderedDict_1001', collections.OrderedDict((str(i), i) for i in range(1001))),
        ('std.deque_1000', collections.deque(range(1000))),
        ('std.Counter_1001', collections.Counter({i: i for i in range(1001)})),
    ]
    r4 = O.Reduce4('batched')
    r4.extend(range(1001))
    r5 = O.Reduce5('batched')
    for i in range(1000):
        r5[i] = i
    dd = collections.defaultdict(int, {'a': 1})
    out += [
        ('obj.Reduce4_1001', r4), ('obj.Reduce5_1000', r5),
        ('obj.RegisteredState', O.RegisteredState([1, 'x'])),
        ('obj.GetStateNone', O.GetStateNone(5)), ('obj.GetStateEmpty', O.GetStateEmpty()),
        ('obj.NewArgsExNoKw', O.NewArgsExNoKw(3)),
        ('obj.NewArgsExKwOnly', O.NewArgsExKwOnly(x='kw')),
        ('std.ChainMap', collections.ChainMap({'a': 1}, {'b': 2})),
        ('std.UserDict', collections.UserDict({'a': [1]})),
        ('std.UserList', collections.UserList([1, 2])),
        ('std.UserString', collections.UserString('us')),
        ('std.Counter_empty', collections.Counter()),
        ('std.deque_maxlen0', collections.deque(maxlen=0)),
        ('std.defaultdict_int', dd),
        ('std.Decimal_more', [decimal.Decimal('1.' + '0' * 100), decimal.Decimal('-1E-999999'),
                              decimal.Decimal('sNaN'), decimal.Decimal(2 ** 70)]),
        ('std.Fraction_big', fractions.Fraction(2 ** 100 + 1, 3 ** 50)),
        ('std.UUID_more', [uuid.UUID(int=0), uuid.UUID(int=2 ** 128 - 1),
                           uuid.UUID('12345678-1234-5678-1234-567812345678',
                                     is_safe=uuid.SafeUUID.safe)]),
        ('pickle.PickleBuffer_bytes', pickle.PickleBuffer(b'in-band bytes')),
        ('pickle.PickleBuffer_bytearray', pickle.PickleBuffer(bytearray(b'in-band array'))),
    ]
    return out


def catalogue():
    """The fixed edge cases, as (name, object) pairs (fresh objects on every call)."""
    out = []
    out += [('none', None), ('true', True), ('false', False)]
    out += edge_ints() + edge_floats()
    out += [('complex', 3 - 4j), ('complex.-0', complex(0.0, -0.0))]
    out += edge_strs() + edge_bytes() + containers() + shared_and_cycles()
    out += deep_nesting() + user_objects() + stdlib_objects() + more_edge_cases()
    out.append(('mixed.create_data_like', [0, 1, 2.0, 3.0 + 0j, 1, -1, 255, -255, -256, 65535,
                                           -65535, -65536, 2147483647, -2147483647,
                                           -2147483648, ('abc', 'abc'), 5]))
    return out


# ---------------------------------------------------------------------------
# Random graphs.

ALPHABET = 'abcxyz019 _-\\\'"\n\r\t\x00\x7f\x80\xe9\xff\u0100\u20ac\ud800\udfff\U0001f600'


class RandomGraph:
    """Builds one random object graph.  Only random.Random draws: deterministic."""

    def __init__(self, rng, budget=200):
        self.rng = rng
        self.budget = budget          # max number of containers/instances
        self.pool = []                # built objects, for shared references
        self.hashable_pool = []
        self.edges = [v for _, v in edge_ints() if abs(v) < 2 ** 200] + \
                     [v for _, v in edge_floats()]

    def text(self):
        n = self.rng.choice((0, 1, 2, 5, 10, 40))
        return ''.join(self.rng.choice(ALPHABET) for _ in range(n))

    def scalar(self):
        r = self.rng
        kind = r.randrange(12)
        if kind == 0:
            return r.choice((None, True, False))
        if kind == 1:
            return r.randrange(-300, 300)
        if kind == 2:
            bits = r.choice((8, 16, 31, 32, 33, 63, 64, 65, 100, 1000, 3000))
            return r.getrandbits(bits) * r.choice((1, -1))
        if kind == 3:
            return r.choice(self.edges)
        if kind == 4:
            return r.uniform(-1e6, 1e6)
        if kind in (5, 6):
            return self.text()
        if kind == 7:
            return bytes(r.getrandbits(8) for _ in range(r.choice((0, 1, 3, 20))))
        if kind == 8:
            return complex(r.choice(self.edges[-20:]), r.uniform(-5, 5))
        if kind == 9:
            return r.choice((O.Color.RED, O.Color.BLUE, O.Number.NEG, O.Perm.W | O.Perm.X,
                             Ellipsis, NotImplemented))
        if kind == 10:
            return r.choice((len, O.Plain, O.module_function, collections.OrderedDict,
                             O.Outer.Inner, type(None)))
        return r.choice((datetime.date(2020, 1, r.randrange(1, 29)),
                         decimal.Decimal(r.randrange(-999, 999)) / 100,
                         fractions.Fraction(r.randrange(-9, 9), r.randrange(1, 9)),
                         range(r.randrange(20)), slice(r.randrange(9), None),
                         uuid.UUID(int=r.getrandbits(128)),
                         datetime.timedelta(seconds=r.randrange(-99999, 99999))))

    def hashable(self, depth):
        r = self.rng
        if self.hashable_pool and r.random() < 0.1:
            return r.choice(self.hashable_pool)
        kind = r.randrange(10)
        if depth <= 0 or kind < 5:
            v = self.scalar()
            while not _stable_hash(v):
                v = self.scalar()
        elif kind == 5:
            v = tuple(self.hashable(depth - 1) for _ in range(r.randrange(4)))
        elif kind == 6:
            v = frozenset(self.hashable(depth - 1) for _ in range(r.randrange(4)))
        elif kind == 7:
            v = O.Point(self.hashable(depth - 1), self.hashable(depth - 1))
        elif kind == 8:
            v = O.FrozenPoint(r.randrange(9), r.randrange(9))
        else:
            v = O.Color.GREEN
        self.hashable_pool.append(v)
        return v

    def value(self, depth):
        r = self.rng
        if depth <= 0 or self.budget <= 0 or r.random() < 0.35:
            return self.scalar()
        if self.pool and r.random() < 0.12:
            return r.choice(self.pool)                   # shared reference (maybe a cycle)
        self.budget -= 1
        n = r.choice((0, 1, 2, 3, 4, 5, 8))
        kind = r.randrange(16)
        if kind <= 2:
            v = []
            self.pool.append(v)
            v.extend(self.value(depth - 1) for _ in range(n))
            if r.random() < 0.1:
                v.append(v)
        elif kind <= 4:
            v = {}
            self.pool.append(v)
            for _ in range(n):
                v[self.hashable(depth - 1)] = self.value(depth - 1)
            if r.random() < 0.1:
                v['self'] = v
        elif kind == 5:
            v = tuple(self.value(depth - 1) for _ in range(n))
        elif kind == 6:
            v = set(self.hashable(depth - 1) for _ in range(n))
        elif kind == 7:
            v = frozenset(self.hashable(depth - 1) for _ in range(n))
        elif kind == 8:
            v = bytearray(self.rng.getrandbits(8) for _ in range(n))
        elif kind == 9:
            v = O.Plain()
            self.pool.append(v)
            v.a, v.b = self.value(depth - 1), self.value(depth - 1)
        elif kind == 10:
            cls = r.choice((O.Reduce2, O.Reduce3, O.ReduceEx, O.GetSetState, O.Registered))
            v = cls(self.value(depth - 1))
        elif kind == 11:
            v = r.choice((O.Reduce4, O.Reduce5))()
            self.pool.append(v)
            for _ in range(n):
                v.append(self.value(depth - 1))
                v[self.hashable(depth - 1)] = self.value(depth - 1)
        elif kind == 12:
            v = r.choice((O.MyList, O.MyListAttr))(self.value(depth - 1) for _ in range(n))
        elif kind == 13:
            v = r.choice((O.NewArgs(self.value(depth - 1), 1),
                          O.NewArgsEx(self.value(depth - 1), scale=n),
                          O.DataPoint(n, self.value(depth - 1)),
                          O.Reduce6(self.value(depth - 1))))
        elif kind == 14:
            pairs = [(self.hashable(depth - 1), self.value(depth - 1)) for _ in range(n)]
            v = r.choice((collections.OrderedDict, O.MyDict, collections.Counter,
                          functools.partial(collections.defaultdict, list)))(dict(pairs))
        else:
            v = r.choice((collections.deque, O.MyTuple, collections.UserList))(
                self.value(depth - 1) for _ in range(n))
        if _stable_hash(v):
            self.hashable_pool.append(v)
        self.pool.append(v)
        return v


def _stable_hash(v):
    """Hashable, and hashed the same in every process (given PYTHONHASHSEED).

    Identity-hashed objects (None, nan, functions, classes, plain instances and
    short ranges, whose hash involves None, in 3.11) would make the iteration
    order of sets change from run to run.
    """
    if isinstance(v, (tuple, frozenset)):
        return all(_stable_hash(x) for x in v)
    if isinstance(v, O.FrozenPoint):
        return _stable_hash(v.x) and _stable_hash(v.y)
    if isinstance(v, (float, complex)) and v != v:
        return False
    return type(v) in (bool, int, float, complex, str, bytes, datetime.date, decimal.Decimal,
                       fractions.Fraction) or isinstance(v, enum.Enum)


def random_graph(seed, index):
    rng = random.Random('%s:%s' % (seed, index))
    g = RandomGraph(rng, budget=rng.choice((5, 20, 60, 200)))
    return g.value(rng.choice((2, 4, 6, 10)))


# ---------------------------------------------------------------------------
# The stream.

def generate(seed=0, count=None):
    """Yield (name, obj): the catalogue, then random graphs; `count` items in all."""
    fixed = catalogue()
    if count is None:
        count = len(fixed) + DEFAULT_RANDOM
    for index in range(count):
        if index < len(fixed):
            yield fixed[index]
        else:
            yield 'random', random_graph(seed, index)


def case_name(seed, index, name):
    return safe_filename('s%d-%05d-%s' % (seed, index, name))


def pickles(seed=0, count=None, protocols=PROTOCOLS, skipped=None):
    """Yield (case name, protocol, pickle bytes); refused combinations go to `skipped`."""
    raise_recursion_limit()
    for index, (name, obj) in enumerate(generate(seed, count)):
        for proto in protocols:
            try:
                data = pickle.dumps(obj, proto)
            except Exception as exc:
                if skipped is not None:
                    skipped.append((case_name(seed, index, name), proto, error_text(exc)))
                continue
            yield case_name(seed, index, name), proto, data


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--count', type=int, default=None,
                    help='number of objects (default: catalogue + %d random)' % DEFAULT_RANDOM)
    ap.add_argument('--out', help='directory to write the pickles to')
    ap.add_argument('--list', action='store_true', help='print the object names and stop')
    ap.add_argument('--verbose', '-v', action='store_true', help='list skipped combinations')
    args = ap.parse_args()
    if args.list:
        for index, (name, _) in enumerate(generate(args.seed, args.count)):
            print(case_name(args.seed, index, name))
        return 0
    if not args.out:
        ap.error('--out DIR or --list is required')
    if os.environ.get('PYTHONHASHSEED') != '0':
        os.environ['PYTHONHASHSEED'] = '0'
        os.execv(sys.executable, [sys.executable] + sys.argv)
    os.makedirs(args.out, exist_ok=True)
    skipped = []
    n = 0
    for name, proto, data in pickles(args.seed, args.count, skipped=skipped):
        with open(os.path.join(args.out, '%s-p%d.pickle' % (name, proto)), 'wb') as f:
            f.write(data)
        n += 1
    print('wrote %d pickles to %s; %d (object, protocol) combinations refused by CPython'
          % (n, args.out, len(skipped)))
    if args.verbose:
        for name, proto, why in skipped:
            print('  skipped %s protocol %d: %s' % (name, proto, why))
    return 0


if __name__ == '__main__':
    sys.exit(main())
