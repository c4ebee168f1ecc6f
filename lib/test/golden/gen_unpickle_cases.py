#!/usr/bin/env python3
"""Generate unpickle_cases.tsv: golden unpickling outcomes computed by CPython 3.11.

    python3 lib/test/golden/gen_unpickle_cases.py        # rewrites unpickle_cases.tsv
    python3 lib/test/golden/gen_unpickle_cases.py --check  # fails if the file is stale

One line per case, five tab-separated columns, no header:

    name <TAB> hex(input) <TAB> kwargs <TAB> outcome <TAB> detail

hex        lowercase hex of the bytes (of the UTF-8 bytes for detail)
kwargs     '-', or comma-separated loads() arguments in this order:
           encoding=E, errors=E, fix_imports=0|1
outcome    ok         the value is made only of None/bool/int/float/complex/str/
                      bytes/bytearray/list/tuple/dict/set/frozenset; detail is
                      CPython's repr of it (ints in full: the 4300-digit limit of
                      int->str is lifted for this repr; loading keeps the limit)
           ok-object  any other value; detail is `module.qualname` of its type
           err        detail is `ClassName: message` of CPython's exception
           imports    CPython's outcome depends on importing a module or calling
                      something outside the safe set (conformance/sandbox.py
                      SAFE_GLOBALS), or the error was raised inside a called object;
                      C++ tests skip these, except the `emulated.*` cases (calls
                      the library emulates).  detail is `ok <repr or type>` or
                      `err <ClassName: message>`.

Sets in `ok` details contain only ints, in ascending order, which is also the
order they are inserted in by these pickles (so an insertion-ordered set prints
the same repr).  Outcomes that depend on the machine (MemoryError) are left out.

Cases: every vector of conformance/vectors.py (pickletester), a few hundred
pickles of builtin values at every protocol, and hand-written cases for the
text opcodes (INT, LONG, FLOAT, STRING, UNICODE), the encoding/errors/fix_imports
arguments and other malformed input.  Outcomes are pickle.loads (the C
unpickler, in memory) on CPython 3.11.7.
"""

import argparse
import os
import pickle
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, ROOT)

from conformance import vectors  # noqa: E402  (vectors imports test.pickletester)
from conformance.oracle import container_items, each_reachable, reference_load  # noqa: E402
from conformance.sandbox import raise_recursion_limit  # noqa: E402
from golden_file import write_or_check  # noqa: E402

OUTPUT = os.path.join(HERE, 'unpickle_cases.tsv')


# ---------------------------------------------------------------------------
# Pickles of builtin values at every protocol.

def builtin_values():
    shared_list = [1]
    shared_tuple = (1, 2)
    shared_str = 'shared'
    rec_list = []
    rec_list.append(rec_list)
    rec_dict = {}
    rec_dict[1] = rec_dict
    rec_inner = []
    rec_tuple = (rec_inner,)
    rec_inner.append(rec_tuple)
    deep = 'leaf'
    for _ in range(50):
        deep = [deep]
    return [
        ('none', None), ('true', True), ('false', False),
        ('int.0', 0), ('int.1', 1), ('int.-1', -1), ('int.255', 255), ('int.256', 256),
        ('int.-256', -256), ('int.-257', -257), ('int.65535', 65535), ('int.65536', 65536),
        ('int.2^31-1', 2 ** 31 - 1), ('int.-2^31', -2 ** 31), ('int.2^31', 2 ** 31),
        ('int.2^63-1', 2 ** 63 - 1), ('int.-2^63', -2 ** 63), ('int.2^64', 2 ** 64),
        ('int.-2^64', -2 ** 64), ('int.10^30', 10 ** 30), ('int.-10^30', -10 ** 30),
        ('int.long1_max', 2 ** 2039 - 1), ('int.long4_min', 2 ** 2039),
        ('int.4301_digits', 10 ** 4300),
        ('float.0', 0.0), ('float.-0', -0.0), ('float.1.5', 1.5), ('float.-2.5e-300', -2.5e-300),
        ('float.5e-324', 5e-324), ('float.max', 1.7976931348623157e308),
        ('float.inf', float('inf')), ('float.-inf', float('-inf')), ('float.nan', float('nan')),
        ('float.0.1', 0.1), ('float.1e16', 1e16),
        ('complex', 1 + 2j), ('complex.-0j', complex(0.0, -0.0)),
        ('complex.inf_nan', complex(float('inf'), float('nan'))),
        ('str.empty', ''), ('str.abc', 'abc'), ('str.quotes', 'a\nb\\c\'"'),
        ('str.controls', '\x00\x7f\x80\xff'), ('str.euro', '\u20ac'), ('str.emoji', '\U0001f600'),
        ('str.surrogate', '\ud800'), ('str.256', 'x' * 256), ('str.line_sep', '\u2028\x85\r'),
        ('str.255_utf8', '\xe9' * 127 + 'x'), ('str.256_utf8', '\xe9' * 128),
        ('bytes.empty', b''), ('bytes.abc', b'abc'), ('bytes.all', bytes(range(256))),
        ('bytes.256', b'x' * 256), ('bytes.quote', b"'"), ('bytes.quotes', b'"\''),
        ('bytearray.empty', bytearray()), ('bytearray.small', bytearray(b'ab\x00')),
        ('bytearray.quote', bytearray(b"'")),
        ('list.empty', []), ('list.1', [1]), ('list.mixed', [1, 'a', None, 2.5]),
        ('list.1001', list(range(1001))), ('list.nested', [[1], [2, [3]]]),
        ('tuple.empty', ()), ('tuple.1', (1,)), ('tuple.2', (1, 2)), ('tuple.3', (1, 2, 3)),
        ('tuple.4', (1, 2, 3, 4)), ('tuple.nested', ((), (1, (2, (3,))))),
        ('dict.empty', {}), ('dict.1', {1: 2}), ('dict.str_keys', {'a': 1, 'b': [2]}),
        ('dict.mixed_keys', {(1, 2): 'k', 3.5: None, b'x': True, -1: 0}),
        ('dict.1001', {i: -i for i in range(1001)}),
        ('set.empty', set()), ('set.1', {1}), ('set.3', {1, 2, 3}),
        ('set.1001', set(range(1001))), ('frozenset.empty', frozenset()),
        ('frozenset.2', frozenset({1, 2})), ('frozenset.in_set', {frozenset({1})}),
        ('shared.list', [shared_list, shared_list]), ('shared.tuple', [shared_tuple, shared_tuple]),
        ('shared.str', [shared_str, shared_str]),
        ('recursive.list', rec_list), ('recursive.dict', rec_dict),
        ('recursive.tuple', rec_tuple), ('deep.list_50', deep),
        ('mixed.create_data', [0, 1, 2.0, 3.0 + 0j, 1, -1, 255, -255, -256, 65535, -65535,
                               -65536, 2147483647, -2147483647, -2147483648, ('abc', 'abc'), 5]),
    ]


def value_cases():
    for name, value in builtin_values():
        for proto in range(pickle.HIGHEST_PROTOCOL + 1):
            try:
                data = pickle.dumps(value, proto)
            except ValueError:          # ints of more than 4300 digits at protocols 0 and 1
                continue
            yield 'value.%s.p%d' % (name, proto), data, {}


# ---------------------------------------------------------------------------
# Text opcodes and other hand-written input.

INT_ARGS = [b'01', b'00', b'010', b'0x10', b'0X10', b'-0', b'+0', b'+1', b' 1', b'1 ', b'02',
            b'001', b'-01', b'08', b'0o7', b'0b11', b'1_0', b'1L', b'', b'abc', b'1e3',
            b'99999999999999999999', b'-99999999999999999999', b'9223372036854775807',
            b'9223372036854775808', b'-9223372036854775808', b'-9223372036854775809',
            b'1' * 4300, b'1' * 4301, b'-' + b'1' * 4300]
LONG_ARGS = [b'123L', b'123', b'-0', b'00', b'+5L', b'1_000', b'1__0', b'_1', b' 5', b'5 ',
             b'0x10L', b'0b101', b'0o17', b'010', b'0x', b'L', b'', b'5LL', b'-',
             b'12345678901234567890L',
             b'1' * 4300 + b'L', b'1' * 4301 + b'L', b'-' + b'1' * 4301, b'0x' + b'f' * 5000]
FLOAT_ARGS = [b'1.5', b'-0.0', b'1.', b'.5', b'+1', b'1e5', b'1E5', b'0.1', b'1e308', b'1e999',
              b'-1e999', b'1e-400', b'4.9e-324', b'2.5e-324', b'1e-324', b'inf', b'-inf', b'Inf',
              b'infinity', b'-Infinity', b'iNf', b'nan', b'NaN', b'-nan', b' 1.5', b'1.5 ',
              b'1_0', b'0x1p3', b'', b'abc', b'1.5.5', b'--1']
STRING_ARGS = [b"'abc'", b'"abc"', b"'a\"b'", b'"a\'b"', b"'\\x41\\n\\t\\'\\\\'", b"'\\101'",
               b"'\\0'", b"'\\777'", b"'\\q'", b"'\\x4'", b"'\\x'", b"'\\'", b"'\\u20ac'",
               b"'\\N{DASH}'", b"'\xe9'", b"'abc", b"abc'", b"'abc\"", b"''", b"'", b'x']
UNICODE_ARGS = [b'abc', b'', b'\\u20ac', b'\\U0001f600', b'\\U0001F600', b'\\uD800', b'\\ud800',
                b'\\x41', b'\\n', b'\\', b'\\\\', b'\\u12', b'\\U00110000', b'\\u', b'\xe9',
                b'\xff\xfe', b'\x00', b'a\\u0062c']


def text_opcode_cases():
    for i, arg in enumerate(INT_ARGS):
        yield 'INT.%02d' % i, b'I' + arg + b'\n.', {}
    for i, arg in enumerate(LONG_ARGS):
        yield 'LONG.%02d' % i, b'L' + arg + b'\n.', {}
    for i, arg in enumerate(FLOAT_ARGS):
        yield 'FLOAT.%02d' % i, b'F' + arg + b'\n.', {}
    for i, arg in enumerate(STRING_ARGS):
        yield 'STRING.%02d' % i, b'S' + arg + b'\n.', {}
    for i, arg in enumerate(UNICODE_ARGS):
        yield 'UNICODE.%02d' % i, b'V' + arg + b'\n.', {}
    yield 'INT.no_newline', b'I1.', {}
    yield 'LONG.no_newline', b'L1L.', {}
    yield 'FLOAT.no_newline', b'F1.5.', {}


def python2_string_cases():
    """STRING / BINSTRING / SHORT_BINSTRING under encoding= and errors= arguments."""
    contents = [('ascii', b'plain'), ('latin1', b'caf\xe9'), ('high', b'\x80\xff'), ('empty', b'')]
    settings = [{}] + [dict(encoding=e, errors=r) for e in ('ASCII', 'latin1', 'bytes', 'utf-8')
                       for r in ('strict', 'replace')] + [dict(encoding='koi8-r')]
    for cname, content in contents:
        escaped = ''.join(chr(b) if 32 <= b < 127 and b not in b"\\'" else '\\x%02x' % b
                          for b in content).encode('ascii')
        pickles = [('STRING', b"S'" + escaped + b"'\n."),
                   ('BINSTRING', b'T' + len(content).to_bytes(4, 'little') + content + b'.'),
                   ('SHORT_BINSTRING', b'U' + bytes([len(content)]) + content + b'.')]
        for opname, data in pickles:
            for kw in settings:
                label = '.'.join(str(v) for v in kw.values()) or 'default'
                yield 'py2str.%s.%s.%s' % (opname, cname, label), data, kw
    yield 'py2str.BINUNICODE.bytes', b'X\x02\x00\x00\x00\xcf\x80.', {'encoding': 'bytes'}
    yield 'py2str.in_list.latin1', b'(lp0\nS\'\\xe9\'\np1\naU\x01\xe9a.', {'encoding': 'latin1'}


def fix_imports_cases():
    """Python 2 global names under fix_imports on and off, at protocols 0, 2 and 3."""
    bodies = [
        ('set', b'c__builtin__\nset\n((lI1\naI2\natR.'),
        ('frozenset', b'c__builtin__\nfrozenset\n((lI3\natR.'),
        ('complex', b'c__builtin__\ncomplex\n(F1.0\nF2.0\ntR.'),
        ('bytearray', b'c__builtin__\nbytearray\n(Vab\nVlatin1\ntR.'),
        ('object', b'ccopy_reg\n_reconstructor\n(c__builtin__\nobject\nc__builtin__\nobject\nNtR.'),
        ('unicode', b'c__builtin__\nunicode\n(Vx\ntR.'),
        ('xrange', b'c__builtin__\nxrange\n(I0\nI3\nI1\ntR.'),
        ('exceptions', b'cexceptions\nValueError\n(Vmsg\ntR.'),
        ('py3_set', b'cbuiltins\nset\n((lI1\natR.'),
        ('codecs', b'c_codecs\nencode\n(Vab\nVlatin1\ntR.'),
    ]
    for name, body in bodies:
        for header, proto in ((b'', 0), (b'\x80\x02', 2), (b'\x80\x03', 3)):
            for fix in (True, False):
                yield ('fix_imports.%s.p%d.%d' % (name, proto, fix), header + body,
                       {'fix_imports': fix})


def misc_cases():
    """Malformed or unusual input not covered by pickletester."""
    datas = [
        b'\xff', b'z', b"'", b'\\', b'\x00', b'\x99',                     # unknown opcodes
        b'\x82\x00.', b'\x83\x00\x00.', b'\x84\x00\x00\x00\x00.', b'\x84\xff\xff\xff\xff.',
        b'\x82\xfe.', b'\x83\xff\xff.',                                    # EXT1/2/4
        b'\x8a\x00.', b'\x8a\x01\xff.', b'\x8a\x02\x00\x80.', b'\x8b\x00\x00\x00\x00.',
        b'\x8b\x01\x00\x00\x00\x7f.', b'\x8b\xff\xff\xff\xff.',            # LONG1/LONG4
        b'T\xff\xff\xff\xff.', b'\x80\x03B\x00\x00\x00\x80.',
        b'(K\x01d.', b'}(K\x01u.', b'}K\x01]s.', b'\x8f(]\x90.', b'(]\x91.',
        b'\x8f(K\x01K\x01\x90.', b'(K\x01K\x01\x91.', b'}(K\x01K\x02K\x01K\x03u.',
        b'(K\x01\x88d.', b'(\x88K\x01K\x01K\x02d.',                        # equal keys: 1 == True
        b'NK\x01\x93.', b'K\x01N\x93.', b'\x8c\x08builtins\x8c\x03set\x93.',
        b'\x8c\x08builtins\x8c\x06nosuch\x93.',
        b'cbuiltins\nobject\n)\x81K\x01b.', b'cbuiltins\nobject\n)\x81(}K\x01t\x85b.',
        b'cbuiltins\nobject\n)\x81(N}t\x85b.', b'cbuiltins\nobject\n)\x81}b.',
        b'cbuiltins\nobject\n)\x81}(K\x01K\x02ub.', b']K\x01b.', b'N}b.',
        b'\x97.', b'N\x98.', b'\x98.',
        b'\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00N.',
        b'\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N\x95\x01\x00\x00\x00\x00\x00\x00\x00.',
        b'\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00I1\n.',
        b'\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00\x00\x00\x00\x00\x00\x00N.',
        b'\x80\x05\x95\x00\x00\x00\x00\x00\x00\x00\x00N.',
        b'\x95\xff\xff\xff\xff\xff\xff\xff\xffN.', b'\x8e\xff\xff\xff\xff\xff\xff\xff\xff.',
        b'\x8d\xff\xff\xff\xff\xff\xff\xff\xff.', b'\x96\xff\xff\xff\xff\xff\xff\xff\xff.',
        b'X\x01\x00\x00\x00\xff.', b'X\x02\x00\x00\x00\xed\xa0.', b'X\x03\x00\x00\x00\xed\xa0\x80.',
        b'\x8c\x01\x80.', b'U\x01\xff.', b'V\\u12\n.',
        b'g-1\n.', b'gx\n.', b'g\n.', b'p\n.', b'Np-5\n.', b'Npx\n.', b'Np1\np1\ng1\n.',
        b'h\x00.', b'j\x00\x00\x00\x00.', b'g0\n.', b'Nq\x05h\x05.', b'N\x94h\x00.',
        b'K\x01\x94\x94h\x01.', b'Nr\xff\xff\xff\x7fj\xff\xff\xff\x7f.',
        b'N(.', b'K\x01K\x02.', b'(.', b'(t.', b'(l.', b'(d.', b'(\x91.', b'N1.', b'N0.',
        b'K\x01(0.', b'(N1.', b'\x88\x89.', b'N.trailing', b'\x80\x05\x80\x02N.', b'\x80\x00N.',
        b'\x80\x02\x80\x06N.', b'cbuiltins\nnosuchname\n.', b'cnosuchmodule_xyz\nx\n.',
        b'c\xff\nx\n.', b'cbuiltins\n\xff\n.', b'c\nx\n.', b'cbuiltins\nset',
        b'\x80\x04\x8c\x08builtins\x8c\x08list.pop\x93.', b'\x80\x03cbuiltins\nlist.pop\n.',
        b'\x80\x04\x8c\x08builtins\x8c\x0bset.__doc__\x93.',
        b'cbuiltins\ngetattr\n(cbuiltins\nset\nVunion\ntR.',
        b'cbuiltins\nset\n(K\x01tR.', b'cbuiltins\nset\n)R.', b'cbuiltins\nfrozenset\n)R.',
        b'cbuiltins\nbytes\n)R.', b'cbuiltins\nbytearray\n)R.', b'cbuiltins\ncomplex\n)R.',
        b'cbuiltins\ncomplex\n(K\x01K\x02tR.', b'cbuiltins\nbytes\n(]K\x01atR.',
        b'c_codecs\nencode\n(V\\u20ac\nVlatin1\ntR.', b'c_codecs\nencode\n(Vab\nVlatin1\ntR.',
        b'cbuiltins\nobject\n)\x81.', b'cbuiltins\ntype\n(NtR.', b'cbuiltins\nEllipsis\n.',
        b'cbuiltins\nNotImplemented\n.', b'cbuiltins\nNone\n.', b'cbuiltins\nTrue\n.',
        b'ccopyreg\n_reconstructor\n(cbuiltins\nobject\ncbuiltins\nobject\nNtR.',
        b'\x80\x02cbuiltins\nset\n]\x85R.', b'cbuiltins\nlen\n(Vabc\ntR.', b'N)R.',
        b'cbuiltins\nset\n}\x85R.',
        # Empty payloads at the end of the input (no STOP): in memory, CPython says
        # "truncated" after an empty BINBYTES / SHORT_BINBYTES and "Ran out of input"
        # after the others.
        b'C\x00', b'B\x00\x00\x00\x00', b'\x8e' + bytes(8), b'\x96' + bytes(8), b'U\x00',
        b'T\x00\x00\x00\x00', b'\x8c\x00', b'X\x00\x00\x00\x00', b'\x8d' + bytes(8),
        b'V\n', b'S""\n', b'\x80\x03C\x00', b'C\x00N', b'C\x01a',
        # _codecs.encode with encoding names other than the pickler's 'latin1'.
        b'c_codecs\nencode\n(Vab\nVlatin-1\ntR.', b'c_codecs\nencode\n(Vab\nVL1\ntR.',
        b'c_codecs\nencode\n(Vab\nViso-8859-1\ntR.', b'c_codecs\nencode\n(V\xe9\nVlatin5\ntR.',
        b'c_codecs\nencode\n(V\u20ac\nVutf-8\ntR.', b'c_codecs\nencode\n(Vab\nVascii\ntR.',
        b'c_codecs\nencode\n(Vab\nVnosuchcodec\ntR.', b'c_codecs\nencode\n(Vab\ntR.',
        # READONLY_BUFFER: bytes stay bytes; a bytearray becomes a read-only memoryview,
        # unhashable, through which the bytearray may change but not be resized.
        b'C\x01a\x98.', b'\x96' + bytes(8) + b'\x98.', b'\x96\x01' + bytes(7) + b'a\x98.',
        b'}\x96\x01' + bytes(7) + b'a\x98K\x01s.', b'(\x96\x01' + bytes(7) + b'a\x98\x91.',
        b'\x96\x01' + bytes(7) + b'a\x94\x98\x94h\x00(e0h\x01\x86.',
        b'\x96\x01' + bytes(7) + b'a\x94\x98\x94h\x00K\x62a0h\x01\x86.',
        b'\x96\x01' + bytes(7) + b'a\x94\x98\x94h\x00(K\x62K\x63e0h\x01\x86.',
        b'\x96\x01' + bytes(7) + b'a\x94\x98\x94h\x00K\x00K\x62s0h\x01\x86.',
        b'\x96\x01' + bytes(7) + b'a\x94\x98\x94h\x00M\x2c\x01a0h\x01\x86.',
        b'cbuiltins\ntype\n\x96\x01' + bytes(7) + b'a\x98\x85R.',
        # A NaN is one key as one float object (the memo's), another key as another.
        b'}(G\x7f\xf8' + bytes(6) + b'q\x00K\x01h\x00K\x02u.',
        b'}(G\x7f\xf8' + bytes(6) + b'K\x01G\x7f\xf8' + bytes(6) + b'K\x02u.',
        b'}Fnan\np0\nK\x01sg0\nK\x02s.', b'}Fnan\nK\x01sFnan\nK\x02s.',
        b'}G\xff\xf8' + bytes(6) + b'\x94K\x01s(h\x00K\x02h\x00K\x03u.',
        # Values popped at once go back to the arena; values the memo, an older object or
        # the stack below still hold stay.
        b'\x80\x04]0]0]\x8c\x01aa0K\x01.', b'\x80\x04]\x940]0h\x00\x8c\x02bca0h\x00.',
        b'\x80\x04]]0\x8c\x02xya]0\x8c\x02zwa.', b'\x80\x04K\x07](]]\x8c\x02aba\x8c\x02cdae0.',
        b'\x80\x04]]2\x8c\x02xya0.', b'\x80\x04](K\x01K\x02(\x8c\x02ab\x8c\x02cd1\x8c\x02efe.',
        b'\x80\x04(]\x8c\x02xy\x86]0l.', b'\x80\x04}\x8c\x02ab]\x8c\x02cda0]\x8c\x02efas.',
        b'\x80\x04\x8c\x02ab\x8c\x02cd\x86]0\x8c\x02ef\x86.', b'\x80\x04]\x8c\x02\xc3\xa90\x8c\x02\xc3\xa90\x8c\x02\xc3\xa9a.',
    ]
    for i, data in enumerate(datas):
        yield 'misc.%03d' % i, data, {}


def emulated_call_cases():
    """Calls of safe globals the library emulates, with CPython's errors: the conformance
    scripts count an error raised inside a call apart (`imports` here), so
    unpickle_golden_test checks these by name."""
    datas = [
        # type.__new__'s argument checks.
        b'\x80\x02cbuiltins\ntype\n)\x81.', b'\x80\x02cbuiltins\ntype\nK\x01)}\x87\x81.',
        b'\x80\x02cbuiltins\ntype\nVX\nK\x01}\x87\x81.', b'\x80\x02cbuiltins\ntype\nVX\n)K\x01\x87\x81.',
        b'\x80\x02cbuiltins\ntype\nN)}\x87\x81.', b'(cbuiltins\ntype\no.',
        b'\x80\x04cbuiltins\ntype\nN\x85}\x92.', b'ccopyreg\n__newobj__\n(cbuiltins\ntype\nK\x01tR.',
        # _codecs.encode of something other than a str.
        b'c_codecs\nencode\n()tR.', b'c_codecs\nencode\n(NVlatin1\ntR.', b'c_codecs\nencode\n(K\x01Vcp1252\ntR.',
        b'c_codecs\nencode\n(K\x01Vnosuch\ntR.', b'c_codecs\nencode\n(Va\nNtR.',
        b'c_codecs\nencode\n(C\x01aVASCII\ntR.', b'c_codecs\nencode\n(cbuiltins\nlen\ntR.',
        # BUILD on a function of copyreg (only what fails or changes nothing: a successful
        # setattr would change the function for the cases after it).
        b'ccopyreg\n__newobj__\n}b.', b'ccopyreg\n__newobj__\nN}\x86b.', b'ccopyreg\n__newobj__\nNN\x86b.',
        b'ccopyreg\n__newobj__\nK\x01b.', b'ccopyreg\n__newobj__\nK\x01}\x86b.',
        b'ccopyreg\n__newobj__\nN}(K\x01K\x02u\x86b.',
        b'ccopyreg\n__newobj__\nN}(V__name__\nK\x01u\x86b.', b'ccopyreg\n__newobj__\nN}(V__code__\nNu\x86b.',
        b'ccopyreg\n__newobj__\nN}(V__defaults__\nK\x01u\x86b.',
        b'ccopyreg\n__newobj__\nN}(V__kwdefaults__\n]u\x86b.',
        b'ccopyreg\n__newobj__\nN}(V__dict__\nK\x01u\x86b.', b'ccopyreg\n__newobj__\nN}(V__globals__\nNu\x86b.',
        b'ccopyreg\n__newobj__\nN}(V__class__\nNu\x86b.',
        b'ccopyreg\n__newobj__\nN}(V__class__\ncbuiltins\nint\nu\x86b.',
        b'cbuiltins\nlen\n}b.', b'cbuiltins\nlen\nN}(Vx\nK\x01u\x86b.',
        # BUILD on a class with a __setstate__ method calls it unbound.
        b'cfunctools\npartial\n\x8a\x01\xffb.', b'cfunctools\npartial\n}b.', b'cbuiltins\nValueError\nNb.',
        b'cbuiltins\nOSError\nK\x01b.', b'cbuiltins\nzip\n}b.', b'cbuiltins\nreversed\n}b.',
        # bytes(n) and bytearray(n) with n beyond Py_ssize_t (2**63, -2**64).
        b'cbuiltins\nbytes\n(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00tR.',
        b'cbuiltins\nbytearray\n(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xfftR.',
        # cls.__new__(cls) of a builtin value type is its empty value (not callable).
        b'\x80\x02cbuiltins\nint\n)\x81.', b'\x80\x02cbuiltins\nlist\n)\x81.', b'cbuiltins\nstr\n)\x81.',
        b'\x80\x04cbuiltins\ntuple\n)}\x92.', b'(cbuiltins\nbytearray\no.', b'(cbuiltins\ndict\no.',
        b'(cbuiltins\nbytearray\no)R.', b'\x80\x02cbuiltins\nfloat\n)\x81)R.',
        # set, list, dict and bytearray.__new__ ignore their arguments.
        b'\x80\x02cbuiltins\nset\n]K\x01a\x85\x81.', b'\x80\x02cbuiltins\nlist\nK\x01\x85\x81.',
        b'\x80\x02cbuiltins\ndict\nK\x01\x85\x81.', b'\x80\x02cbuiltins\nbytearray\nK\x05\x85\x81.',
        # Items on a builtin function (not a class): the error names its type.
        b'\x80\x02cbuiltins\nlen\n(K\x01e.', b'\x80\x02cbuiltins\nlen\nK\x01a.',
        b'\x80\x02cbuiltins\nlen\n(K\x01K\x02u.', b'\x80\x02cbuiltins\nlen\nK\x01K\x02s.',
        b'\x80\x04cbuiltins\nlen\n(K\x01\x90.', b'c__builtin__\nEllipsis\n(K\x01e.',
    ]
    for i, data in enumerate(datas):
        yield 'emulated.%03d' % i, data, {}


def vector_cases():
    for v in vectors.all_vectors():
        yield 'vector.' + v.name, v.data, v.kwargs


def all_cases():
    yield from vector_cases()
    yield from value_cases()
    yield from text_opcode_cases()
    yield from python2_string_cases()
    yield from fix_imports_cases()
    yield from misc_cases()
    yield from emulated_call_cases()


# ---------------------------------------------------------------------------
# Outcomes.

def kwargs_column(kwargs):
    parts = []
    for key in ('encoding', 'errors', 'fix_imports'):
        if key in kwargs:
            value = kwargs[key]
            parts.append('%s=%s' % (key, int(value) if key == 'fix_imports' else value))
    assert set(kwargs) <= {'encoding', 'errors', 'fix_imports'}, kwargs
    return ','.join(parts) or '-'


def check_set_order(value):
    """Sets in `ok` results must hold ints in ascending order (see the docstring)."""
    for x in each_reachable(value, container_items):
        if isinstance(x, (set, frozenset)):
            items = list(x)
            if not all(type(i) in (int, frozenset) for i in items) or \
                    [i for i in items if type(i) is int] != sorted(i for i in items
                                                               if type(i) is int):
                raise AssertionError('set with an ambiguous order: %r' % (x,))


def outcome(data, kwargs):
    """(outcome, detail text), or None for machine-dependent outcomes."""
    out = reference_load(data, kwargs, repr_digits_limit=False)
    if out.status == 'err' and out.text.startswith('MemoryError'):
        return None
    if out.category != 'plain':
        return 'imports', '%s %s' % ('err' if out.status == 'err' else 'ok', out.text)
    if out.status == 'ok':
        check_set_order(pickle.loads(data, **kwargs))
    return out.status, out.text


def lines():
    names = set()
    for name, data, kwargs in all_cases():
        assert name not in names and '\t' not in name, name
        names.add(name)
        result = outcome(data, kwargs)
        if result is None:
            sys.stderr.write('skipped (machine-dependent): %s\n' % name)
            continue
        kind, detail = result
        yield '\t'.join([name, data.hex(), kwargs_column(kwargs), kind,
                         detail.encode('utf-8', 'surrogatepass').hex()]) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--check', action='store_true', help='compare with the file, write nothing')
    ap.add_argument('--output', default=OUTPUT)
    args = ap.parse_args()
    warnings.simplefilter('ignore')         # DeprecationWarning for invalid escapes in STRING
    raise_recursion_limit()
    text = ''.join(lines())
    counts = {}
    for line in text.splitlines():
        kind = line.split('\t')[3]
        counts[kind] = counts.get(kind, 0) + 1
    summary = ', '.join('%s %d' % kv for kv in sorted(counts.items()))
    return write_or_check(args.output, text, args.check, summary)


if __name__ == '__main__':
    sys.exit(main())
