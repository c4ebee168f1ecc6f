"""CPython's pickletester unpickling vectors (of the running CPython), as data.

Module-level vectors (DATA0..DATA4, DATA_SET, ...) are imported from
test.pickletester.  The vectors that live inside test methods are read from the
methods' source with ast, so they are byte-for-byte pickletester's, and their
counts are checked.

Importing this module imports test.pickletester, which sets __main__.C, D and E
(the classes DATA0..DATA4 and the classic-instance pickles refer to).

    GROUPS   {group name: [Vector(name, data, kwargs), ...]}, in a fixed order
    VALID    names of the groups that CPython loads successfully
    all_vectors()  every Vector, group by group
"""

import ast
import collections
import inspect
import pickle
import struct
import sys
import textwrap

from test import pickletester as pt

Vector = collections.namedtuple('Vector', 'name data kwargs')
Vector.__doc__ = 'One input: a unique name, the pickle bytes, loads() keyword arguments.'


def _method_tree(name):
    for cls in (pt.AbstractUnpickleTests, pt.AbstractPickleModuleTests,
                pt.AbstractIdentityPersistentPicklerTests):
        if hasattr(cls, name):
            return ast.parse(textwrap.dedent(inspect.getsource(getattr(cls, name))))
    raise KeyError(name)


def _in_order(tree):
    return sorted((n for n in ast.walk(tree) if hasattr(n, 'lineno')),
                  key=lambda n: (n.lineno, n.col_offset))


def _list_literal(method, var):
    """The literal list assigned to `var` in pickletester's `method`."""
    for node in _in_order(_method_tree(method)):
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == var):
            return ast.literal_eval(node.value)
    raise KeyError((method, var))


def _call_literals(method, func, index):
    """Literal arguments number `index` of every self.func(...) call in `method`."""
    found = []
    for node in _in_order(_method_tree(method)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == func and len(node.args) > index):
            try:
                found.append(ast.literal_eval(node.args[index]))
            except ValueError:
                pass            # not a literal (a loop variable): skip
    return found


def _group(prefix, datas, kwargs=None, expect=None):
    if expect is not None:
        assert len(datas) == expect, (prefix, len(datas), expect)
    width = len(str(len(datas) - 1))
    return [Vector('%s.%0*d' % (prefix, width, i), d, dict(kwargs or {}))
            for i, d in enumerate(datas)]


def _classic_instances():
    # test_load_classic_instance: INST (proto 0), OBJ (proto 1), PROTO 2 + OBJ.
    out = []
    for xname in (b'C', b'D', b'E'):
        pickle0 = (b"(i__main__\n"
                   b"X\n"
                   b"p0\n"
                   b"(dp1\nb.").replace(b'X', xname)
        pickle1 = (b'(c__main__\n'
                   b'X\n'
                   b'q\x00oq\x01}q\x02b.').replace(b'X', xname)
        pickle2 = (b'\x80\x02(c__main__\n'
                   b'X\n'
                   b'q\x00oq\x01}q\x02b.').replace(b'X', xname)
        for proto, data in ((0, pickle0), (1, pickle1), (2, pickle2)):
            out.append(Vector('classic_instance.%s.proto%d' % (xname.decode(), proto), data, {}))
    return out


def _python2_exceptions():
    # (EnvironmentError and IOError are OSError in Python 3: three equal vectors.)
    out = []
    for i, exc in enumerate(pt.python2_exceptions_without_args):
        data = pt.exception_pickle.replace(b'?', exc.__name__.encode('ascii'))
        out.append(Vector('python2_exceptions.%02d.%s' % (i, exc.__name__), data, {}))
    out.append(Vector('python2_exceptions.%02d.StandardError' % len(out),
                      pt.exception_pickle.replace(b'?', b'StandardError'), {}))
    return out


def _compat_unpickle():
    # test_compat_unpickle
    datas = [b'\x80\x02c__builtin__\nxrange\nK\x01K\x07K\x01\x87R.',
             b'\x80\x02c__builtin__\nreduce\n.',
             b'\x80\x02cwhichdb\nwhichdb\n.']
    for name in (b'Exception', b'StandardError'):
        datas.append(b'\x80\x02cexceptions\n' + name + b'\nU\x03ugh\x85R.')
    for name in (b'UserDict', b'IterableUserDict'):
        datas.append(b'\x80\x02(cUserDict\n' + name + b'\no}U\x04data}K\x01K\x02ssb.')
    return _group('compat_unpickle', datas)


def _python2_strings():
    # test_load_python2_str_as_bytes, ..._unicode_as_str, test_load_long_python2_str_as_bytes,
    # test_empty_bytestring: vectors that need encoding= keyword arguments.
    as_bytes = {'encoding': 'bytes'}
    out = _group('python2_str_as_bytes',
                 [b"S'a\\x00\\xa0'\n.", b'U\x03a\x00\xa0.', b'\x80\x02U\x03a\x00\xa0.'],
                 as_bytes)
    out += _group('python2_unicode_as_str',
                  [b'V\\u03c0\n.', b'X\x02\x00\x00\x00\xcf\x80.',
                   b'\x80\x02X\x02\x00\x00\x00\xcf\x80.'], as_bytes)
    out.append(Vector('python2_long_str_as_bytes',
                      pickle.BINSTRING + struct.pack('<I', 300) + b'x' * 300 + pickle.STOP,
                      as_bytes))
    out.append(Vector('empty_bytestring_koi8r', b'\x80\x03U\x00q\x00.', {'encoding': 'koi8-r'}))
    return out


def _good_opcodes():
    # The positive assertions of AbstractUnpickleTests that need no globals.
    datas = _call_literals('test_constants', 'loads', 0)
    for method in ('test_short_binbytes', 'test_binbytes', 'test_short_binunicode',
                   'test_binbytes8', 'test_binunicode8', 'test_bytearray8'):
        datas.append(_list_literal(method, 'dumped'))
    for method in ('test_get', 'test_binget', 'test_long_binget', 'test_dup',
                   'test_frame_readline'):
        datas.append(_list_literal(method, 'pickled'))
    datas += _call_literals('test_misc_get', 'loads', 0)
    datas += [p for p, _ in _list_literal('test_correctly_quoted_string', 'goodpickles')]
    datas.append(b'I' + str((1 << 63) - 1).encode('ascii') + b'\n.')     # test_maxint64
    datas += _call_literals('test_bad_reduce', 'loads', 0)               # int() via REDUCE
    datas += _call_literals('test_bad_newobj', 'loads', 0)
    datas += _call_literals('test_bad_newobj_ex', 'loads', 0)
    return _group('good_opcodes', datas, expect=25)


def _oob_buffer_pickle():
    # test_buffers_error: a protocol 5 pickle with an out-of-band buffer.
    return pickle.dumps(pickle.PickleBuffer(b'foobar'), 5, buffer_callback=[].append)


def _build_groups():
    g = collections.OrderedDict()
    g['data'] = [Vector('DATA%d' % i, getattr(pt, 'DATA%d' % i), {}) for i in range(5)]
    g['python2'] = [Vector(n, getattr(pt, n), {}) for n in
                    ('DATA_SET', 'DATA_XRANGE', 'DATA_SET2', 'DATA_COOKIE', 'DATA_UEERR')]
    g['python2_exceptions'] = _python2_exceptions()
    g['classic_instance'] = _classic_instances()
    g['compat_unpickle'] = _compat_unpickle()
    g['python2_strings'] = _python2_strings()
    g['good_opcodes'] = _good_opcodes()
    # Malformed input.
    g['bad_stack'] = _group('bad_stack', _list_literal('test_bad_stack', 'badpickles'), expect=44)
    g['bad_mark'] = _group('bad_mark', _list_literal('test_bad_mark', 'badpickles'), expect=30)
    g['truncated'] = _group('truncated',
                            _call_literals('test_truncated_data', 'check_unpickling_error', 1)
                            + _list_literal('test_truncated_data', 'badpickles'), expect=87)
    g['badly_quoted_string'] = _group(
        'badly_quoted_string', _list_literal('test_badly_quoted_string', 'badpickles'), expect=13)
    g['badly_escaped_string'] = _group(
        'badly_escaped_string',
        _call_literals('test_badly_escaped_string', 'check_unpickling_error', 1), expect=1)
    g['misc_get'] = _group('misc_get',
                           _call_literals('test_misc_get', 'check_unpickling_error', 1),
                           expect=1 if sys.version_info < (3, 9) else 3)
    g['negative_put'] = _group('negative_put', [_list_literal('test_negative_put', 'dumped')])
    g['maxint64'] = _group('maxint64',
                           [b'I' + str((1 << 63) - 1).encode('ascii') + b'JUNK\n.'])
    g['bad_reduce'] = _group(
        'bad_reduce', _call_literals('test_bad_reduce', 'check_unpickling_error', 1), expect=2)
    g['bad_newobj'] = _group(
        'bad_newobj', _call_literals('test_bad_newobj', 'check_unpickling_error', 1), expect=2)
    g['bad_newobj_ex'] = _group(
        'bad_newobj_ex', _call_literals('test_bad_newobj_ex', 'check_unpickling_error', 1),
        expect=3)
    g['bad_protocol'] = _group('bad_protocol', [pickle.PROTO + bytes([pickle.HIGHEST_PROTOCOL + 1])
                                                + pickle.NONE + pickle.STOP,
                                                b'\x80\xffN.'])
    g['persid_without_persistent_load'] = _group(
        'persid_without_persistent_load',
        [b'Pabc\n.', b'NQ.',
         pickle.PERSID + '\N{EMPTY SET}'.encode('utf-8') + b'\n.'])   # test_protocol0_is_ascii_only
    g['next_buffer_without_buffers'] = _group(
        'next_buffer_without_buffers', [_oob_buffer_pickle(), b'\x80\x05\x97.', b'\x97.'])
    g['incomplete_input'] = _group('incomplete_input', [b"X''."])
    # The 32-bit-only tests (their vectors are still malformed input on 64 bits).
    g['large_32b'] = _group('large_32b', [
        _list_literal('test_negative_32b_binbytes', 'dumped'),
        _list_literal('test_negative_32b_binunicode', 'dumped'),
        _list_literal('test_large_32b_binbytes8', 'dumped'),
        _list_literal('test_large_32b_bytearray8', 'dumped'),
        _list_literal('test_large_32b_binunicode8', 'dumped'),
        _list_literal('test_negative_32b_binput', 'dumped'),
    ])
    return g


GROUPS = _build_groups()

VALID = ('data', 'python2', 'python2_exceptions', 'classic_instance', 'compat_unpickle',
         'python2_strings', 'good_opcodes')


def all_vectors(groups=None):
    """Every Vector of the named groups (default: all), in order."""
    for name, vectors in GROUPS.items():
        if groups is None or name in groups:
            yield from vectors


if __name__ == '__main__':
    for name, vectors in GROUPS.items():
        print('%-32s %3d' % (name, len(vectors)))
    print('%-32s %3d' % ('total', sum(map(len, GROUPS.values()))))
