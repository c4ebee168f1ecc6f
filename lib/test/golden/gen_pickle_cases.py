#!/usr/bin/env python3
"""Generate pickle_cases.tsv: golden pickling outcomes computed by CPython 3.11.

    python3 lib/test/golden/gen_pickle_cases.py          # rewrites pickle_cases.tsv
    python3 lib/test/golden/gen_pickle_cases.py --check  # fails if the file is stale
    python3 lib/test/golden/gen_pickle_cases.py --show NAME   # print one case's lines

Each case is an input pickle P written by CPython (or by hand) and an output protocol
q; the expectation is what CPython does for `pickle.dumps(pickle.loads(P), q)`.  The
C++ test (lib/test/pickler_golden_test.cpp) loads P with pickle::loads and checks
pickle::dumps(root, {.protocol = q}) against it.

One line per case, six tab-separated columns, no header:

    name <TAB> P <TAB> q <TAB> outcome <TAB> detail <TAB> exclusion

name       `category.value.pN` (N: the protocol P was written at) or
           `category.value.raw` (P written by hand); the category is the text before
           the first dot.  Names are unique together with q.
P          the input pickle, hex-encoded (see "Encoding" below)
q          0..5
outcome    ok   detail is the bytes of pickle.dumps(pickle.loads(P), q), hex-encoded
           err  dumps raised; detail is the UTF-8 of `ClassName: message`, hex-encoded
                (only `RecursionError` for recursion errors: CPython's message depends
                on where its recursion limit is hit)
exclusion  `-` when the case is asserted, else `category: reason` (free text, no
           tabs): CPython's result depends on something the pickle does not carry,
           so the C++ test runs the case but only counts it (see doc/design.md and
           conformance/roundtrip_check.py):
             class-code  the value holds an instance whose class decides its
                         reduction in Python code (a pickling hook defined in
                         Python, or a subclass of tuple/int/float/str/bytes/complex,
                         whose __getnewargs__ a subclass may override); or, for
                         q >= 4 only, P (protocol < 4) names a global as
                         getattr(cls, name), which CPython writes both for nested
                         classes and functions (named directly at protocol 4) and
                         for methods (getattr at every protocol)
             set-order   the value holds a set or frozenset with a member whose hash
                         CPython takes from its address or from Python code (NaN,
                         instances), so its iteration order is unknowable
             executes    loading called a builtin that the library keeps inert
                         (builtins.range(...), an exception class, ...): CPython's
                         output is that of the object the call returned

Encoding: lowercase hex, two digits a byte, except that a run of at least 48 bytes
repeating a pattern of 1 to 32 bytes may be written `<PATTERN*COUNT>` (PATTERN in
hex, COUNT in decimal): `<78*65536>` is b'x' * 65536.  This keeps the frame-size
cases (64 KiB payloads) small.  decode_field() below is the reference decoder.

CPython runs with PYTHONHASHSEED=0 (the script re-executes itself so if needed),
the seed at which the library reproduces set iteration order by default, and with
conformance/objects.py importable as `conformance.objects`.  Everything here is
deterministic; --check verifies that the committed file is what this script writes.
"""

import argparse
import collections
import datetime
import decimal
import enum
import fractions
import functools
import io
import itertools
import math
import operator
import os
import pickle
import re
import string
import sys
import types
import uuid

if os.environ.get('PYTHONHASHSEED') != '0':
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, PYTHONHASHSEED='0'))

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, ROOT)

from conformance import objects as O                          # noqa: E402
from conformance.oracle import each_reachable  # noqa: E402
from golden_file import write_or_check  # noqa: E402

OUTPUT = os.path.join(HERE, 'pickle_cases.tsv')
PROTOCOLS = range(6)
ALL = tuple(PROTOCOLS)
BIG = (1, 4)        # protocols for inputs too big to write at all six


# ---------------------------------------------------------------------------
# Field encoding.

_RUN = re.compile(rb'(.{1,32}?)\1{2,}', re.S)
MIN_RUN = 48


def encode_field(data):
    """Hex, with long periodic runs abbreviated as <PATTERN*COUNT>."""
    out = []
    pos = 0
    for m in _RUN.finditer(data):
        unit = m.group(1)
        count = len(m.group(0)) // len(unit)
        if count * len(unit) < MIN_RUN:
            continue
        out.append(data[pos:m.start()].hex())
        out.append('<%s*%d>' % (unit.hex(), count))
        pos = m.start() + count * len(unit)
    out.append(data[pos:].hex())
    return ''.join(out)


def decode_field(text):
    out = bytearray()
    for m in re.finditer(r'<([0-9a-f]+)\*(\d+)>|([0-9a-f]+)', text):
        if m.group(3) is not None:
            out += bytes.fromhex(m.group(3))
        else:
            out += bytes.fromhex(m.group(1)) * int(m.group(2))
    return bytes(out)


# ---------------------------------------------------------------------------
# Values.  Each entry: (category, name, value, protocols P is written at).
# Values are built by functions so that identities are explicit.

def fresh(s):
    """A str equal to s that is a new object (not an interned constant)."""
    return ''.join(list(s)) if len(s) > 1 else s


def int_name(v):
    if v == 0:
        return '0'
    sign = '-' if v < 0 else ''
    a = abs(v)
    if a < 1 << 16:
        return str(v) if a < 256 else sign + hex(a)
    for k in range(16, 70000):
        for delta, suffix in ((0, ''), (-1, '-1'), (1, '+1')):
            if a == (1 << k) + delta:
                return '%s2^%d%s' % (sign, k, suffix)
        if 1 << k > a + 1:
            break
    for k in range(5, 5000):
        if a == 10 ** k:
            return '%s10^%d' % (sign, k)
    return sign + hex(a)


def int_values():
    vals = [0, 1, -1, 0x7f, 0x80, 0xff, 0x100, -0x80, -0x81, -0xff, -0x100, -0x101,
            0x7fff, 0x8000, 0xffff, 0x10000, -0x8000, -0x8001, -0xffff, -0x10000, -0x10001,
            2 ** 31 - 1, 2 ** 31, -2 ** 31, -2 ** 31 - 1, 2 ** 31 + 1, -2 ** 31 + 1,
            2 ** 32 - 1, 2 ** 32, -2 ** 32, 2 ** 63 - 1, 2 ** 63, -(2 ** 63), -(2 ** 63) - 1,
            2 ** 64 - 1, 2 ** 64, -(2 ** 64), 10 ** 30, -(10 ** 30),
            # LONG1 holds at most 255 bytes of two's complement, LONG4 the rest.
            2 ** 2039 - 1, 2 ** 2039, -(2 ** 2039), -(2 ** 2039) - 1, 2 ** 2047, -(2 ** 2047),
            # the 4300-digit limit of int->str (protocols 0 and 1 write decimal text)
            10 ** 4299, 10 ** 4300, -(10 ** 4300)]
    # -(2**(8j-1)) fits in j bytes; CPython trims the 0xff byte its encoding ends with.
    for j in list(range(1, 11)) + [16, 32, 100, 255, 256]:
        p = 2 ** (8 * j - 1)
        vals += [p - 1, p, -p, -p - 1, -p + 1]
    seen = set()
    for v in vals:
        if v not in seen:
            seen.add(v)
            yield int_name(v), v


def floats():
    return [('0.0', 0.0), ('-0.0', -0.0), ('1.0', 1.0), ('-1.0', -1.0), ('1.5', 1.5),
            ('inf', math.inf), ('-inf', -math.inf), ('nan', math.nan), ('-nan', -math.nan),
            ('1e16', 1e16), ('1e15', 1e15), ('1e17', 1e17), ('1e-5', 1e-5), ('1e-4', 1e-4),
            ('0.1', 0.1), ('1/3', 1 / 3), ('1e22', 1e22), ('1e23', 1e23), ('1e300', 1e300),
            ('-1e300', -1e300), ('max', 1.7976931348623157e308), ('min_subnormal', 5e-324),
            ('-min_subnormal', -5e-324), ('min_normal', 2.2250738585072014e-308),
            ('max_subnormal', 2.225073858507201e-308), ('1e-310', 1e-310),
            ('2^53', 2.0 ** 53), ('2^53+2', 2.0 ** 53 + 2), ('0.1+0.2', 0.1 + 0.2),
            ('1e-7', 1e-7), ('123.456', 123.456), ('-2.5e-300', -2.5e-300),
            ('9.999999999999999e22', 9.999999999999999e22), ('123456789012345678', 123456789012345678.0),
            ('in_list', [0.5, -0.0, math.inf, 1e-5])]


# Hand-written float pickles: NaN payloads and signs, text parsing corner cases.
RAW_FLOATS = [
    ('nan_sign', b'G\xff\xf8\x00\x00\x00\x00\x00\x00.'),
    ('nan_payload', b'G\x7f\xf8\x00\x00\x00\x00\x00\x01.'),
    ('snan', b'G\x7f\xf0\x00\x00\x00\x00\x00\x01.'),
    ('text_-nan', b'F-nan\n.'), ('text_nan', b'Fnan\n.'), ('text_-inf', b'F-inf\n.'),
    ('text_-0', b'F-0\n.'),
    ('text_rounding', b'F1.00000000000000011102230246251565\n.'),
    ('text_4.9e-324', b'F4.9e-324\n.'), ('text_2.4e-324', b'F2.4e-324\n.'),
]


def strs():
    cases = [('empty', ''), ('a', 'a'), ('nul', '\x00'), ('e9', '\xe9'), ('ff', '\xff'),
             ('u0100', '\u0100'), ('euro', '\u20ac'), ('uffff', '\uffff'),
             ('u10000', '\U00010000'), ('emoji', '\U0001f600'), ('u10ffff', '\U0010ffff'),
             ('lone_high', '\ud800'), ('lone_low', '\udfff'), ('surrogate_pair', '\ud83d\ude00'),
             ('abc', fresh('abc')), ('backslash', '\\'), ('newline', '\n'), ('cr', '\r'),
             ('ctrl_z', '\x1a'), ('del', '\x7f'), ('x80', '\x80'), ('tab', '\t'), ('space', ' '),
             ('u2028', '\u2028'), ('x85', '\x85'), ('backslash_u', fresh('\\u0041')),
             ('backslash_U', fresh('\\U00010000')), ('backslash_x', fresh('\\x41')),
             ('escapes', fresh('a\\b\nc\rd\x00e\x1af\x7fg\x80h\xffi\u0100j\U00010000k')),
             ('mixed', fresh('ascii\u00e9\u20ac\U0001f600\ud800z')),
             ('latin1_all', ''.join(map(chr, range(256)))),
             ('controls', ''.join(map(chr, range(32)))),
             ('ascii_255', 'x' * 255), ('ascii_256', 'x' * 256),
             ('utf8_255_2byte', '\xe9' * 127 + 'x'), ('utf8_256_2byte', '\xe9' * 128),
             ('utf8_256_255chars', 'x' * 254 + '\xe9'), ('utf8_255_3byte', '\u20ac' * 85),
             ('utf8_258_3byte', '\u20ac' * 86), ('utf8_255_4byte', '\U0001f600' * 63 + 'xyz'),
             ('utf8_256_4byte', '\U0001f600' * 64),
             ('utf8_65535', 'x' * 65535), ('utf8_65536', 'x' * 65536), ('utf8_65537', 'x' * 65537),
             ('utf8_65536_2byte', '\xe9' * 32768), ('utf8_65537_3byte', '\u20ac' * 21845 + 'xy'),
             ('huge_300k', 'abcdefghij' * 30000 + '\xe9\u20ac\U0001f600'),
             ('huge_escapes', '\\\n\x00\u20ac' * 50000)]
    for c in (0, 9, 10, 13, 26, 27, 32, 34, 39, 92, 127, 128, 160, 173, 255, 256, 0x7ff, 0x800,
              0xd7ff, 0xe000, 0xfeff, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff):
        cases.append(('char_%04x' % c, chr(c)))
    return cases


def bytes_values():
    one_char = [b'a', b'a', b'b', b'\xe9', b'\x00']
    return [('empty', b''), ('one_a', b'a'), ('one_00', b'\x00'), ('one_ff', b'\xff'),
            ('abc', b'abc'), ('quote', b"'"), ('backslash', b'\\'), ('newline', b'\n'),
            ('255', b'b' * 255), ('256', b'b' * 256), ('65535', b'c' * 65535),
            ('65536', b'c' * 65536), ('65537', b'c' * 65537), ('all', bytes(range(256))),
            ('high', bytes(range(128, 256)) * 3),
            ('shared_one_char', one_char),               # the same b'a' twice: one object
            ('distinct_one_char', [bytes([97]), b'a'[:], bytes(bytearray(b'a'))]),
            ('latin1_shared', [b'ab', b'cd', b'ef']),
            ('one_char_strs', [b'\xe9x', b'\xe9', b'x\xe9', b'x']),
            ('latin1_and_str', ['latin1', b'ab', 'latin1', fresh('latin1')]),
            ('same_twice', [b'xyz', b'xyz']),
            ('equal_distinct', [b'xyz', bytes(b'xyz'[:2] + b'z')]),
            ('dict_keys', {b'k1': 1, b'k2': b'k1'})]


def bytearray_values():
    return [('empty', bytearray()), ('one', bytearray(b'a')), ('one_ff', bytearray(b'\xff')),
            ('abc', bytearray(b'abc')), ('255', bytearray(b'd' * 255)),
            ('256', bytearray(b'd' * 256)), ('65535', bytearray(b'e' * 65535)),
            ('65536', bytearray(b'e' * 65536)), ('65537', bytearray(b'e' * 65537)),
            ('all', bytearray(range(256))),
            ('two_one_char', [bytearray(b'a'), bytearray(b'a'), b'a']),
            ('same_twice', (lambda b: [b, b])(bytearray(b'xy'))),
            ('with_bytes', [b'xy', bytearray(b'xy'), bytearray(b'xy')])]


def container_values():
    out = [('tuple0', ()), ('tuple1', (1,)), ('tuple2', (1, 2)), ('tuple3', (1, 2, 3)),
           ('tuple4', (1, 2, 3, 4)), ('tuple5', (1, 2, 3, 4, 5)), ('list0', []), ('list1', [1]),
           ('list2', [1, 2]), ('list3', [1, 2, 3]), ('dict0', {}), ('dict1', {1: 2}),
           ('dict2', {1: 2, 3: 4}), ('set0', set()), ('set1', {1}), ('set2', {1, 2}),
           ('frozenset0', frozenset()), ('frozenset1', frozenset({1})),
           ('frozenset2', frozenset({1, 2})),
           ('nested', [(), [()], {(): [{}]}, ((1,), [(2, (3, [4]))]), {'k': {'k2': [set()]}}]),
           ('tuple_of_empty', ((), (), [])), ('list_of_tuples', [(i, -i) for i in range(5)]),
           ('dict_mixed_keys', {(1, 2): 'k', 3.5: None, b'x': True, -1: 0, 'one': 1}),
           ('dict_str_keys', {fresh('alpha'): 1, fresh('beta'): [2], fresh('gamma'): {}}),
           ('frozenset_in_set', {frozenset({1}), frozenset()}),
           ('frozenset_nested', frozenset({frozenset({frozenset()})})),
           ('deep_100', functools.reduce(lambda acc, _: [acc], range(100), 'leaf')),
           # Set order from member hashes: frozensets nested 300 deep, a str shared by the
           # members (ASCII and not).
           ('frozenset_chain_300', functools.reduce(lambda acc, k: frozenset({acc, k}), range(1, 301),
                                                    frozenset())),
           ('set_sharing_strs', (lambda a, u: {(a, i) for i in range(12)} | {(u, i) for i in range(12)})(
               fresh('shared ascii ' * 40), fresh('shared \u00e9\u4e2d ' * 40)))]
    # Batches of 1000 (APPENDS, SETITEMS, ADDITEMS); distinct keys make the dicts and
    # sets big, so their pickles are written at two protocols only.
    for n in (999, 1000, 1001, 2000, 2001):
        out.append(('list_%d' % n, [i % 3 == 0 for i in range(n)]))
        out.append(('tuple_%d' % n, tuple([None, 1] * (n // 2) + [None] * (n % 2))))
        out.append(('dict_%d' % n, {i: None for i in range(n)}, BIG))
        out.append(('set_%d' % n, set(range(n)), BIG))
        out.append(('frozenset_%d' % n, frozenset(range(n)), BIG))
    out.append(('list_of_ints_1001', list(range(1001)), BIG))
    return out


def shared_values():
    lst, tup, st, by = [1], (1, 2), fresh('shared'), b'shared'
    dct, s, fs, ba = {1: 2}, {1}, frozenset({2}), bytearray(b'z')
    cases = [('list', [lst, lst]), ('tuple', [tup, tup]), ('str', [st, st]), ('bytes', [by, by]),
             ('dict', [dct, dct]), ('set', [s, s]), ('frozenset', [fs, fs]),
             ('bytearray', [ba, ba]), ('bigint', (lambda b: [b, b])(2 ** 100)),
             ('float', (lambda f: [f, f])(2.5)), ('complex', (lambda c: [c, c])(complex(1, 2))),
             ('global', [len, len, dict, dict]), ('nonetype', [type(None), type(None)]),
             ('equal_strs', [fresh('abc'), fresh('abc')]), ('one_char_strs', ['a', 'a', 'b']),
             ('empty_tuple', [(), (), ((),)]), ('empty_str', ['', '', ('',)]),
             ('tuple_in_tuple', (lambda t: (t, t, [t]))((1, 'x'))),
             # memo indexes past 255: LONG_BINPUT / LONG_BINGET
             ('memo_300', (lambda xs: xs + xs)([fresh('s%03d' % i) for i in range(300)]), BIG),
             ('memo_300_lists', (lambda xs: xs + [xs[0], xs[255], xs[256], xs[-1]])(
                 [[i] for i in range(300)]), BIG)]
    # Recursive structures.
    rec_list = []
    rec_list.append(rec_list)
    rec_dict = {}
    rec_dict['self'] = rec_dict
    cases += [('rec_list', rec_list), ('rec_dict', rec_dict)]
    rec_list2 = [1, 2]
    rec_list2.append([rec_list2, (rec_list2,)])
    cases.append(('rec_list_deep', rec_list2))
    for n in (1, 2, 3, 4, 5):
        for pos in ('first', 'last'):
            inner = []
            items = list(range(n - 1))
            items.insert(0 if pos == 'first' else len(items), inner)
            t = tuple(items)
            inner.append(t)
            cases.append(('rec_tuple%d_%s' % (n, pos), t))
            cases.append(('rec_tuple%d_%s_from_list' % (n, pos), inner))
    d = {}
    t = (d, 'x')
    d['t'] = t
    cases.append(('rec_tuple_dict', t))
    inner = []
    t2 = ((inner,), 1)
    inner.append(t2)
    cases.append(('rec_tuple_nested', t2))
    inner = []
    t3 = (inner, inner)
    inner.append(t3)
    cases.append(('rec_tuple_twice', t3))
    obj = O.Plain()
    obj.a = obj
    cases.append(('rec_object', obj))
    obj = O.Plain()
    fs = frozenset([obj])
    obj.a = fs
    cases.append(('rec_frozenset_object', fs))
    obj = O.Plain()
    t = (obj, 1)
    obj.a = t
    cases.append(('rec_tuple_object', t))
    ml = O.MyList([1])
    ml.append(ml)
    cases.append(('rec_mylist', ml))
    md = O.MyDict()
    md['self'] = md
    cases.append(('rec_mydict', md))
    return cases


# Hand-written pickles with sharing CPython's pickler would not write.
RAW_SHARED = [
    # two SHORT_BINUNICODE 'a' (no memo): one-character strs load as one object
    ('one_char_twice', b'\x80\x04(\x8c\x01a\x8c\x01a\x8c\x01b\x8c\x02ab\x8c\x02abl.'),
    # two SHORT_BINBYTES b'a' (no memo): CPython loads two objects
    ('one_byte_twice', b'\x80\x04(C\x01aC\x01aC\x00C\x00l.'),
    # empty tuples written twice
    ('empty_tuple_twice', b'\x80\x04())\x86.'),
    # DUP of a list
    ('dup', b'\x80\x02]2\x86.'),
    # the same list reached through GET of a PUT index far from its position
    ('sparse_memo', b'\x80\x02]r\xff\x00\x00\x00j\xff\x00\x00\x00\x86.'),
    # protocol 0 one-character strs via UNICODE and latin-1 escapes
    ('p0_chars', b'(lVa\naVa\naV\\xe9\naV\xe9\na.'),
    # Python 2 str (SHORT_BINSTRING) loaded with the default ASCII decoding
    ('py2_strs', b'\x80\x02(U\x01aU\x01aU\x02abU\x02abl.'),
]


def framing_values():
    """Sizes that put the 64 KiB frame boundary around opcodes.  At protocol 4 the
    pickler opens a frame (9-byte header) at the first write after PROTO and, at the
    start of each save(), commits it once its payload has reached 65536 bytes; a
    payload of 65536 bytes or more bypasses framing (the current frame is committed,
    then the opcode and the payload are written unframed)."""
    cases = []
    # [X, 1, 'yy'] at protocol 4: the frame holds `]\x94(` (3), then X's opcode
    # (BINBYTES: 5 + n + MEMOIZE 1), so the payload reaches 65536 after X for n = 65527.
    for d in range(-3, 4):
        n = 65527 + d
        cases.append(('list_bytes_%+d' % d, [b'a' * n, 1, fresh('yy')]))
        cases.append(('list_str_%+d' % d, [fresh('a' * n), 1, fresh('yy')]))
    # (X, Y): after Y comes TUPLE2, which is no save boundary.
    for d in range(-2, 3):
        n = 65530 + d
        cases.append(('tuple_%+d' % d, (b'a' * n, b'b')))
    # dict {k: X, k2: v}: the boundary before a key or before a value
    for d in range(-2, 3):
        n = 65524 + d
        cases.append(('dict_%+d' % d, {'k': b'v' * n, 'k2': [1]}))
    # a payload of exactly 64 KiB, alone and in a list
    cases += [('bytes_64k', b'x' * 65536), ('bytes_64k-1', b'x' * 65535),
              ('list_bytes_64k', [b'x' * 65536]), ('list_bytes_64k-1', [b'x' * 65535]),
              ('bytes_64k_then', [b'x' * 65536, 1, fresh('yy')]),
              ('three_65000', [b'a' * 65000, b'b' * 65000, b'c' * 65000]),
              ('two_64k', [b'a' * 65536, b'b' * 65536]),
              ('str_then_bytes', [fresh('s' * 70000), b'b' * 70000, fresh('t' * 10)]),
              ('bytearray_64k', [bytearray(b'q' * 65536), 1]),
              ('small_then_64k', [1, 2, 3, b'x' * 65536]),
              # many small objects: several frames
              ('many_none', [None] * 200000),
              ('many_small', [None, True, False, 0, 1] * 40000),
              # 9000 distinct str objects (memo indexes past 65535 at protocols 1-3)
              ('many_strs', [fresh('abcde') for i in range(9000)], (4,))]
    return cases


def global_values():
    cases = [('len', len), ('int', int), ('str', str), ('list', list), ('dict', dict),
             ('object', object), ('type', type), ('range', range), ('getattr', getattr),
             ('set', set), ('frozenset', frozenset), ('bytearray', bytearray), ('bytes', bytes),
             ('complex', complex), ('ValueError', ValueError), ('KeyError', KeyError),
             ('OSError', OSError), ('Exception', Exception), ('BaseException', BaseException),
             ('FileNotFoundError', FileNotFoundError), ('chr', chr), ('filter', filter),
             ('map', map), ('zip', zip), ('abs', abs), ('max', max), ('sorted', sorted),
             ('isinstance', isinstance),
             ('collections.OrderedDict', collections.OrderedDict),
             ('collections.UserDict', collections.UserDict),
             ('collections.UserList', collections.UserList),
             ('collections.UserString', collections.UserString),
             ('collections.deque', collections.deque),
             ('collections.namedtuple', collections.namedtuple),
             ('functools.reduce', functools.reduce), ('functools.partial', functools.partial),
             ('itertools.chain', itertools.chain), ('itertools.filterfalse', itertools.filterfalse),
             ('itertools.zip_longest', itertools.zip_longest),
             ('operator.add', operator.add), ('operator.itemgetter', operator.itemgetter),
             ('math.sqrt', math.sqrt), ('datetime.datetime', datetime.datetime),
             ('decimal.Decimal', decimal.Decimal), ('fractions.Fraction', fractions.Fraction),
             ('uuid.UUID', uuid.UUID), ('enum.Enum', enum.Enum), ('string.Template', string.Template),
             ('types.SimpleNamespace', types.SimpleNamespace),
             ('types.FunctionType', types.FunctionType),
             ('codecs.encode', __import__('codecs').encode),
             ('copyreg._reconstructor', __import__('copyreg')._reconstructor),
             ('NoneType', type(None)), ('EllipsisType', type(Ellipsis)),
             ('NotImplementedType', type(NotImplemented)), ('Ellipsis', Ellipsis),
             ('NotImplemented', NotImplemented), ('None', None),
             ('dict.fromkeys', dict.fromkeys), ('int.from_bytes', int.from_bytes),
             ('bytes.fromhex', bytes.fromhex),
             ('OrderedDict.fromkeys', collections.OrderedDict.fromkeys),
             ('datetime.now', datetime.datetime.now),
             ('str.upper', str.upper), ('list.append', list.append),
             ('dict.__getitem__', dict.__getitem__),
             ('bound_str_method', fresh('abc').upper),
             ('Outer', O.Outer), ('Outer.Inner', O.Outer.Inner),
             ('Outer.Inner.Deeper', O.Outer.Inner.Deeper),
             ('Plain.method', O.Plain.method), ('Plain.make', O.Plain.make),
             ('module_function', O.module_function), ('Color', O.Color),
             ('nested_twice', [O.Outer.Inner, O.Outer.Inner, O.Outer, O.Outer.Inner.Deeper]),
             ('many', [len, int, range, ValueError, collections.OrderedDict, functools.reduce,
                       O.Outer.Inner, len, range, O.Outer]),
             ('type_singletons', [type(None), type(Ellipsis), type(NotImplemented),
                                  type(None), Ellipsis, NotImplemented, None])]
    return cases


COMPAT_MODULES = ['builtins', 'collections', 'functools', '_functools', 'itertools', 'dbm',
                  'socket', '_socket', 'sys', 'urllib.error', 'urllib.parse', 'urllib.request',
                  'http.server', 'xmlrpc.server', 'multiprocessing.connection',
                  'multiprocessing.context']
# Globals of modules that fix_imports renames (REVERSE_IMPORT_MAPPING) below protocol 3.
RENAMED_MODULE_GLOBALS = [('copyreg', '_reconstructor'), ('queue', 'Queue'),
                          ('socketserver', 'TCPServer'), ('http.cookies', 'SimpleCookie'),
                          ('http.client', 'HTTPConnection'), ('configparser', 'ConfigParser'),
                          ('reprlib', 'Repr'), ('html.parser', 'HTMLParser'),
                          ('collections.abc', 'Mapping'), ('xmlrpc.client', 'ServerProxy'),
                          ('urllib.robotparser', 'RobotFileParser'), ('_thread', 'allocate_lock'),
                          ('dbm.dumb', 'open'), ('_pickle', 'Pickler'), ('_pickle', 'dumps'),
                          ('_pickle', 'PickleError'), ('_bz2', 'BZ2Compressor'),
                          ('_markupbase', 'ParserBase'), ('_dbm', 'open'), ('_gdbm', 'open'),
                          ('subprocess', 'Popen')]


def compat_global_values():
    """Every name _compat_pickle.REVERSE_NAME_MAPPING maps (those of importable modules),
    and globals of modules REVERSE_IMPORT_MAPPING renames: fix_imports writes them with
    their Python 2 names below protocol 3."""
    import _compat_pickle
    import importlib
    names = [key for key in sorted(_compat_pickle.REVERSE_NAME_MAPPING)
             if key[0] in COMPAT_MODULES] + RENAMED_MODULE_GLOBALS
    for module, name in names:
        try:
            obj = importlib.import_module(module)
        except ImportError:     # _dbm, _gdbm: optional extension modules
            continue
        for part in name.split('.'):
            obj = getattr(obj, part, None)
        if obj is None:
            continue
        yield '%s.%s' % (module, name), obj


def object_values():
    r4 = O.Reduce4('tag4')
    r4.items.extend([1, 2, 3])
    r5 = O.Reduce5()
    r5.items.append('i')
    r5.mapping.update({'k': 'v', 'k2': 2})
    cont = O.Container()
    cont.items.append(1)
    shared = O.Plain(1, 2)
    nested = O.Plain(O.Plain(3, 4), [O.Plain()])
    return [('Plain', O.Plain()), ('Plain_values', O.Plain([1, 2], {'k': fresh('v')})),
            ('Plain_shared', [shared, shared]), ('Plain_nested', nested),
            ('Slots', O.Slots(1, 2)), ('Slots_absent', O.Slots(1)),
            ('SlotsDict', O.SlotsDict(1, z=3)), ('GetSetState', O.GetSetState(5, 'x')),
            ('Reduce2', O.Reduce2(1, 'b')), ('Reduce3', O.Reduce3(7)), ('Reduce4', r4),
            ('Reduce5', r5), ('Reduce6', O.Reduce6({'s': 1})), ('ReduceEx', O.ReduceEx(3)),
            ('SINGLETON', O.SINGLETON), ('NewArgs', O.NewArgs(1, 2)),
            ('NewArgsEx', O.NewArgsEx(1, scale=2)), ('Registered', O.Registered(5)),
            ('MyList', O.MyList([1, 2])), ('MyListAttr', O.MyListAttr([1], 'n')),
            ('MyDict', O.MyDict({'a': 1})), ('MyDictAttr', O.MyDictAttr({'a': 1})),
            ('MySet', O.MySet({1, 2})), ('MyFrozenSet', O.MyFrozenSet({1, 2})),
            ('MyInt', O.MyInt(5)), ('MyIntAttr', O.MyIntAttr(5)), ('MyFloat', O.MyFloat(1.5)),
            ('MyStr', O.MyStr('s')), ('MyStrAttr', O.MyStrAttr('s')),
            ('MyBytes', O.MyBytes(b'b')), ('MyTuple', O.MyTuple((1, 2))),
            ('MyTupleAttr', O.MyTupleAttr((1,))), ('Outer', O.Outer()),
            ('Inner', O.Outer.Inner()), ('Deeper', O.Outer.Inner.Deeper()),
            ('Color.RED', O.Color.RED), ('Color.BLUE', O.Color.BLUE), ('Number.BIG', O.Number.BIG),
            ('Perm.RW', O.Perm.R | O.Perm.W), ('Point', O.Point(1, 2)),
            ('DataPoint', O.DataPoint(1, 'y', [1])), ('FrozenPoint', O.FrozenPoint(1, 2)),
            ('Container', cont), ('module_function', O.module_function)]


def stdlib_values():
    tz = datetime.timezone(datetime.timedelta(hours=5, minutes=30), 'IST')
    return [('date', datetime.date(2024, 1, 2)),
            ('datetime', datetime.datetime(2024, 1, 2, 3, 4, 5, 6)),
            ('datetime_utc', datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)),
            ('datetime_tz', datetime.datetime(2024, 1, 2, tzinfo=tz)),
            ('datetime_fold', datetime.datetime(2024, 11, 3, 1, 30, fold=1)),
            ('time_fold', datetime.time(1, 2, 3, 4, fold=1)), ('time', datetime.time(23, 59)),
            ('timedelta', datetime.timedelta(days=1, seconds=2, microseconds=3)),
            ('timezone', tz), ('Decimal', decimal.Decimal('1.10')),
            ('Decimal_-inf', decimal.Decimal('-Infinity')), ('Decimal_nan', decimal.Decimal('NaN')),
            ('Fraction', fractions.Fraction(1, 3)),
            ('OrderedDict', collections.OrderedDict([('a', 1), ('b', 2)])),
            ('OrderedDict_empty', collections.OrderedDict()),
            ('deque', collections.deque([1, 2, 3])),
            ('deque_maxlen', collections.deque([1], maxlen=3)),
            ('defaultdict', collections.defaultdict(list, {'a': [1]})),
            ('defaultdict_none', collections.defaultdict(None, {1: 2})),
            ('Counter', collections.Counter('abracadabra')),
            ('namedtuple', O.Point(3, fresh('four'))), ('enum', O.Color.GREEN),
            ('UUID', uuid.UUID('12345678-1234-5678-1234-567812345678')),
            ('range', range(10)), ('range_step', range(1, 10, 2)), ('slice', slice(1, 2, 3)),
            ('slice_none', slice(None)), ('complex', complex(1, 2)),
            ('complex_signed', complex(-0.0, math.inf)), ('complex_nan', complex(math.nan, 0)),
            ('SimpleNamespace', types.SimpleNamespace(a=1, b=[2])),
            ('partial', functools.partial(max, 1, key=None)),
            ('UserDict', collections.UserDict({'k': 1})),
            ('exception', ValueError('bad', 2)), ('Ellipsis', ...),
            ('mixed', [datetime.date(2020, 2, 29), decimal.Decimal('3.14'), range(3),
                       collections.OrderedDict(x=1), complex(0, 1)])]


WORDS = ['apple', 'banana', 'cherry', 'date', 'elderberry', 'fig', 'grape', 'honeydew',
         'kiwi', 'lemon', 'mango', 'nectarine', 'orange', 'papaya', 'quince', 'raspberry']


def set_values():
    scrambled = list(range(1000))
    scrambled = scrambled[::7] + scrambled[3::7] + scrambled[1::7] + scrambled[5::7] + \
        scrambled[2::7] + scrambled[6::7] + scrambled[4::7]
    grown = set()
    for i in range(0, 64, 3):
        grown.add(i * 97)
    return [('ints', {1, 2, 3}), ('ints_50', set(range(50))), ('ints_scrambled', set(scrambled), BIG),
            ('ints_neg_big', {-1, -2, 2 ** 64, 10 ** 20, -(2 ** 70), 0}),
            ('ints_collide', {0, 8, 16, 32, 64, 1 << 61, (1 << 61) - 1, -1, -2}),
            ('ints_grown', grown),
            ('strs', {'a', 'b', 'c'}), ('words', set(WORDS)),
            ('strs_100', {fresh('w%d' % i) for i in range(100)}),
            ('strs_1001', {fresh('s%d' % i) for i in range(1001)}, BIG),
            ('frozen_words', frozenset(WORDS[:8])), ('bytes', {b'x', b'yy', b'zzz', b''}),
            ('tuples', {(1, 'a'), (2, 'b'), (3, fresh('cc'))}),
            ('mixed', {1, 'one', 2.5, b'two', (3,), None, True}),
            ('floats', {1.5, 2.5, -0.0, 1e300}), ('bool_int', {True, 2, False}),
            ('nested_frozen', {frozenset(WORDS[:3]), frozenset({1, 2})}),
            ('in_dict', {'s': set(WORDS[:5]), 'f': frozenset(WORDS[5:9])}),
            ('unicode', {'\xe9', '\u20ac', '\U0001f600', 'z', '\ud800'}),
            ('nan', {math.nan}),  # one member: several NaNs iterate in the order of their addresses
            ('objects', {O.FrozenPoint(1, 2), O.FrozenPoint(3, 4)})]


def value_cases():
    groups = [
        ('int', list(int_values()), ALL),
        ('bool', [('true', True), ('false', False), ('in_list', [True, False, 1, 0])], ALL),
        ('float', floats(), ALL),
        ('str', strs(), ALL),
        ('bytes', bytes_values(), ALL),
        ('bytearray', bytearray_values(), ALL),
        ('container', container_values(), ALL),
        ('shared', shared_values(), ALL),
        ('framing', framing_values(), (1, 3, 4, 5)),
        ('global', global_values(), ALL),
        ('global', [('compat.' + n, v) for n, v in compat_global_values()], ALL),
        ('object', object_values(), ALL),
        ('stdlib', stdlib_values(), ALL),
        ('set', set_values(), ALL),
    ]
    for category, values, protocols in groups:
        for name, value, *override in values:
            for p in (override[0] if override else protocols):
                try:
                    data = pickle.dumps(value, p)
                except (pickle.PicklingError, TypeError, ValueError, RecursionError,
                        AttributeError):
                    continue            # CPython cannot write this value at protocol p
                yield '%s.%s.p%d' % (category, name, p), data
    for name, data in RAW_FLOATS:
        yield 'float.%s.raw' % name, data
    for name, data in RAW_SHARED:
        yield 'shared.%s.raw' % name, data


# ---------------------------------------------------------------------------
# Exclusions.

# The first two criteria are conformance/roundtrip_check.py's (set_with_opaque_members,
# uses_class_code), repeated here so that the golden file does not change with that script.

BUILTIN_VALUE_TYPES = frozenset([type(None), bool, int, float, complex, str, bytes, bytearray,
                                 list, tuple, dict, set, frozenset])
BUILTIN_NEWARGS_TYPES = (tuple, int, float, str, bytes, complex)
HOOKS = ('__reduce_ex__', '__reduce__', '__setstate__', '__getstate__', '__getnewargs__',
         '__getnewargs_ex__')


def children(x):
    """What the walks below descend into."""
    if isinstance(x, (list, tuple, set, frozenset)):
        return list(x)
    if isinstance(x, dict):
        return list(x.keys()) + list(x.values())
    if hasattr(type(x), '__dict__') and not isinstance(x, type) and \
            isinstance(getattr(x, '__dict__', None), dict):
        return [x.__dict__]
    return []


def walk(obj):
    return each_reachable(obj, children)


def is_builtin_value(obj):
    """Made only of builtin value types (exact types); None is not one (its hash is its
    address in 3.11)."""
    return all(type(x) in BUILTIN_VALUE_TYPES and x is not None for x in walk(obj))


def hashed_by_address(m):
    """NaN (in a tuple or frozenset too) hashes by address since Python 3.10."""
    stack = [m]
    while stack:
        y = stack.pop()
        if isinstance(y, (float, complex)) and y != y:
            return True
        if isinstance(y, (tuple, frozenset)):
            stack.extend(y)
    return False


def opaque_set_member(obj):
    """A set or frozenset with a member whose hash is not a pure function of builtin
    values: an instance, None, a NaN."""
    for x in walk(obj):
        if isinstance(x, (set, frozenset)):
            if not all(is_builtin_value(m) and not hashed_by_address(m) for m in x):
                return True
    return False


def uses_class_code(obj):
    """An instance whose class decides its reduction in Python code (a pickling hook
    defined in Python), or of a subclass of a builtin type with __getnewargs__."""
    for x in walk(obj):
        t = type(x)
        if not isinstance(x, type) and t.__module__ != 'builtins':
            if isinstance(x, BUILTIN_NEWARGS_TYPES):
                return True
            for hook in HOOKS:
                f = getattr(t, hook, None)
                if f is not None and hasattr(f, '__code__'):
                    return True
    return False


SAFE_BUILTIN_CALLS = {'set', 'frozenset', 'bytearray', 'bytes', 'complex', 'getattr', 'object',
                      'type'}


class _CallRecorder(pickle._Unpickler):
    """Pure-Python unpickler that records the calls REDUCE, NEWOBJ and NEWOBJ_EX make
    while loading: (callable, arguments, result)."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def _wrap(opcode, depth):
        original = pickle._Unpickler.dispatch[opcode[0]]

        def load(self):
            func, args = self.stack[-depth], self.stack[-depth + 1:]
            original(self)
            self.calls.append((func, args, self.stack[-1]))
        return load

    dispatch[pickle.REDUCE[0]] = _wrap(pickle.REDUCE, 2)
    dispatch[pickle.NEWOBJ[0]] = _wrap(pickle.NEWOBJ, 2)
    dispatch[pickle.NEWOBJ_EX[0]] = _wrap(pickle.NEWOBJ_EX, 3)
    del _wrap


def recorded_calls(data):
    rec = _CallRecorder(io.BytesIO(data))
    rec.load()
    return rec.calls


def is_builtins_callable(c):
    if isinstance(c, type):
        return c.__module__ == 'builtins'
    return isinstance(c, types.BuiltinFunctionType) and \
        getattr(c, '__self__', None) is sys.modules['builtins']


def executed_builtin(calls):
    """The name of a builtins callable (outside those the library rebuilds natively)
    that loading called, or None."""
    for func, _, _ in calls:
        if is_builtins_callable(func) and func.__name__ not in SAFE_BUILTIN_CALLS:
            return 'builtins.' + func.__name__
    return None


def getattr_by_name(calls):
    """The `cls.name` of a getattr(cls, name) call (how picklers below protocol 4 write
    nested names and methods alike) whose result protocol 4 names directly, or None."""
    for func, args, result in calls:
        if func is getattr and len(args) == 1 and len(args[0]) == 2 and \
                isinstance(args[0][0], type) and \
                isinstance(result, (type, types.FunctionType)):
            return '%s.%s' % (args[0][0].__qualname__, args[0][1])
    return None
def exclusions(data):
    """(reason for every q, reason for q >= 4 only), each '-' when there is none."""
    obj = pickle.loads(data)        # a copy of its own: inspecting may change an object
    calls = recorded_calls(data)
    if opaque_set_member(obj):
        return 'set-order: a set member is hashed by address or by Python code', '-'
    if uses_class_code(obj):
        return 'class-code: an instance whose class reduces it in Python code', '-'
    name = executed_builtin(calls)
    if name:
        return 'executes: loading calls %s, which the library keeps inert' % name, '-'
    name = getattr_by_name(calls)
    if name:
        return '-', ('class-code: getattr(%s) below protocol 4 does not say whether the '
                     'attribute is a nested class or function (named directly at protocol 4) '
                     'or a method (getattr at every protocol)' % name.replace('.', ', ', 1))
    return '-', '-'


# ---------------------------------------------------------------------------
# Outcomes.

ADDRESS = re.compile(r'0x[0-9a-f]{6,}')


def error_text(exc):
    msg = str(exc)
    return '%s: %s' % (type(exc).__name__, msg) if msg else type(exc).__name__


def outcomes(data):
    excl, excl4 = exclusions(data)
    obj = pickle.loads(data)
    for q in PROTOCOLS:
        e = excl4 if q >= 4 and excl4 != '-' else excl
        try:
            yield q, 'ok', pickle.dumps(obj, q), e
        except RecursionError:
            # The message depends on where the limit is hit (in the C pickler, or in
            # Python code such as copyreg._reduce_ex): only the class is recorded.
            yield q, 'err', b'RecursionError', e
        except Exception as exc:        # noqa: B902 -- every CPython failure is an outcome
            text = error_text(exc)
            assert not ADDRESS.search(text), text
            yield q, 'err', text.encode('utf-8', 'surrogatepass'), e


def lines(only=None):
    names = set()
    for name, data in value_cases():
        assert name not in names and '\t' not in name and ' ' not in name, name
        names.add(name)
        if only and name != only:
            continue
        assert decode_field(encode_field(data)) == data
        for q, kind, detail, excl in outcomes(data):
            assert kind == 'err' or decode_field(encode_field(detail)) == detail
            yield '\t'.join([name, encode_field(data), str(q), kind,
                             encode_field(detail) if kind == 'ok' else detail.hex(), excl]) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--check', action='store_true', help='compare with the file, write nothing')
    ap.add_argument('--show', metavar='NAME', help='print the lines of one case')
    ap.add_argument('--output', default=OUTPUT)
    args = ap.parse_args()
    sys.setrecursionlimit(10000)        # deep_100 and the recursive cases need some room
    if args.show:
        sys.stdout.write(''.join(lines(args.show)))
        return 0
    text = ''.join(lines())
    counts = collections.Counter()
    excluded = collections.Counter()
    for line in text.splitlines():
        f = line.split('\t')
        counts[f[0].split('.')[0]] += 1
        if f[5] != '-':
            excluded[f[5].split(':')[0]] += 1
    summary = ', '.join('%s %d' % kv for kv in sorted(counts.items()))
    summary += '; excluded: ' + ', '.join('%s %d' % kv for kv in sorted(excluded.items()))
    return write_or_check(args.output, text, args.check, summary)


if __name__ == '__main__':
    sys.exit(main())
