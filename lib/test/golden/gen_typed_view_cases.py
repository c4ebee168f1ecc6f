#!/usr/bin/env python3
"""Generate typed_view_cases.tsv: pickles of datetime, decimal, collections and numpy
values, with the fields CPython 3.11 loads from them (for stdlib_types_test and numpy_test).

    python3 lib/test/golden/gen_typed_view_cases.py          # rewrites typed_view_cases.tsv
    python3 lib/test/golden/gen_typed_view_cases.py --check  # fails if the file is stale

Needs CPython 3.11 (pyenv's 3.11.7), numpy 1.x from Debian (`apt-get install -y
python3-numpy`, numpy 1.24 for Debian's Python 3.11, imported here by appending
/usr/lib/python3/dist-packages to sys.path), and Python 2.7 (`$(pyenv root)/versions/
2.7.18/bin/python`, found through `pyenv root`, or the PYTHON2 environment variable) for
the Python 2 pickles. Standard library otherwise.

One case per line, seven tab-separated columns, no header:

    name <TAB> type <TAB> encoding <TAB> protocol <TAB> hex(pickle) <TAB> buffers <TAB> expected

type      which view reads the loaded root: date time datetime timedelta timezone decimal
          ordereddict counter defaultdict deque dtype ndarray npscalar
encoding  loads(encoding=...): '-' for the default, or latin1 / bytes (Python 2 pickles)
protocol  0..5 when the pickle is CPython 3.11's pickle.dumps(obj, protocol) of the value
          (so a converter's to_python must dump the view back to these exact bytes), '-'
          for the others (Python 2, numpy 2.x names, hand-made Python 2 numpy forms)
buffers   '-', or the out-of-band buffers of a protocol-5 pickle, comma-separated, each
          'r' (read-only) or 'w' followed by the hex of its bytes
expected  the fields, rendered from the value CPython loads from the pickle (not from the
          value pickled: fold does not survive protocols 0-3), as below. numpy values are
          rendered from the value pickled, after checking that CPython loads the same values
          back: below protocol 5 numpy loads a non-native byte order as native, while the
          view reports the data as pickled.

Renderings (repr() is Python's; tz names and data bytes in hex):
  date        "Y M D"
  time        "h m s us fold=F tz=TZ"
  datetime    "Y M D h m s us fold=F tz=TZ"
  timedelta   "days seconds microseconds"
  timezone    TZ = "None" | "timezone(days,seconds,microseconds,NAME)" (NAME: '-' or the
              hex of the UTF-8 name) | "other" (a tzinfo of another class)
  decimal     "str(d)|sign|exponent|digits" (exponent F, n, N for the specials; digits
              '' for infinities, the payload for NaNs)
  ordereddict "[(K, V), ...]"; counter the same
  defaultdict "factory=F items=[(K, V), ...]" (F: None, module.qualname or other)
  deque       "maxlen=M items=[X, ...]"
  items       repr(), except a collection item, rendered "<TYPE:rendering>"
  dtype       "dtype.str kind=K itemsize=N" plus " unit=U mult=M" for datetime64/timedelta64
  ndarray     "dtype=DTYPE shape=D0,D1 fortran=0|1 data=HEX" (data in that order), or for
              object arrays "... items=[X, ...]" (numpy's C order)
  npscalar    "dtype=DTYPE data=HEX"

numpy 2.x names (numpy._core.multiarray._reconstruct, numpy._core.numeric._frombuffer,
numpy._core.multiarray.scalar) are written by the installed numpy 1.x through stand-in
functions registered under those module names, so the bytes are what numpy 2 writes for
the same array; each such pickle is checked to load back equal in CPython.
"""

import argparse
import collections
import datetime
import decimal
import io
import os
import pickle
import subprocess
import sys
import types
import zoneinfo

from golden_file import write_or_check  # noqa: E402

sys.path.append('/usr/lib/python3/dist-packages')
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, 'typed_view_cases.tsv')

# ---------------------------------------------------------------------------
# Renderings

STDLIB_TYPES = {
    collections.OrderedDict: 'ordereddict', collections.Counter: 'counter',
    collections.defaultdict: 'defaultdict', collections.deque: 'deque',
    datetime.datetime: 'datetime', datetime.date: 'date', datetime.time: 'time',
    datetime.timedelta: 'timedelta', datetime.timezone: 'timezone', decimal.Decimal: 'decimal',
}


def render_tz(tz):
    if tz is None:
        return 'None'
    if type(tz) is not datetime.timezone:
        return 'other'
    args = tz.__getinitargs__()
    off = args[0]
    name = args[1].encode('utf-8', 'surrogatepass').hex() if len(args) > 1 else '-'
    return 'timezone(%d,%d,%d,%s)' % (off.days, off.seconds, off.microseconds, name)


def render_item(x):
    kind = STDLIB_TYPES.get(type(x))
    if kind:
        return '<%s:%s>' % (kind, render(kind, x))
    return repr(x)


def render_pairs(items):
    return '[' + ', '.join('(%s, %s)' % (render_item(k), render_item(v)) for k, v in items) + ']'


def render_dtype(dt):
    text = '%s kind=%s itemsize=%d' % (dt.str, dt.kind, dt.itemsize)
    if dt.kind in 'Mm':
        unit, mult = np.datetime_data(dt)
        text += ' unit=%s mult=%d' % (unit, mult)
    return text


def render(kind, v):
    if kind == 'date':
        return '%d %d %d' % (v.year, v.month, v.day)
    if kind == 'time':
        return '%d %d %d %d fold=%d tz=%s' % (v.hour, v.minute, v.second, v.microsecond, v.fold,
                                              render_tz(v.tzinfo))
    if kind == 'datetime':
        return '%d %d %d %d %d %d %d fold=%d tz=%s' % (
            v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, v.fold,
            render_tz(v.tzinfo))
    if kind == 'timedelta':
        return '%d %d %d' % (v.days, v.seconds, v.microseconds)
    if kind == 'timezone':
        return render_tz(v)
    if kind == 'decimal':
        t = v.as_tuple()
        digits = '' if t.exponent == 'F' else ''.join(map(str, t.digits))
        return '%s|%d|%s|%s' % (v, t.sign, t.exponent, digits)
    if kind in ('ordereddict', 'counter'):
        return render_pairs(v.items())
    if kind == 'defaultdict':
        f = v.default_factory
        if f is None:
            factory = 'None'
        elif isinstance(f, type):
            factory = '%s.%s' % (f.__module__, f.__qualname__)
        else:
            factory = 'other'
        return 'factory=%s items=%s' % (factory, render_pairs(v.items()))
    if kind == 'deque':
        return 'maxlen=%s items=[%s]' % (v.maxlen, ', '.join(render_item(x) for x in v))
    if kind == 'dtype':
        return render_dtype(v)
    if kind == 'ndarray':
        fortran = v.flags.f_contiguous and not v.flags.c_contiguous
        text = 'dtype=%s shape=%s fortran=%d' % (render_dtype(v.dtype), ','.join(map(str, v.shape)),
                                                 fortran)
        if v.dtype.kind == 'O':
            return text + ' items=[%s]' % ', '.join(render_item(x) for x in v.flat)
        return text + ' data=' + v.tobytes(order='F' if fortran else 'C').hex()
    if kind == 'npscalar':
        return 'dtype=%s data=%s' % (render_dtype(np.array(v).dtype), np.array(v).tobytes().hex())
    raise AssertionError(kind)


# ---------------------------------------------------------------------------
# Values

def stdlib_values():
    tz = datetime.timezone
    td = datetime.timedelta
    D, T, DT = datetime.date, datetime.time, datetime.datetime
    paris = zoneinfo.ZoneInfo('Europe/Paris')
    od_nested = collections.OrderedDict([('inner', collections.OrderedDict(a=1))])
    return [
        ('date', 'min', D.min), ('date', 'max', D.max), ('date', 'leap', D(2024, 2, 29)),
        ('date', 'plain', D(2024, 5, 7)), ('date', 'y2k', D(2000, 1, 1)),
        ('time', 'midnight', T()), ('time', 'max', T.max), ('time', 'fold', T(1, 2, 3, 4, fold=1)),
        ('time', 'us', T(0, 0, 0, 123456)),
        ('time', 'utc', T(12, tzinfo=tz.utc)),
        ('time', 'named', T(5, 6, 7, tzinfo=tz(td(hours=5, minutes=30), 'IST'))),
        ('time', 'tzmin', T(0, 0, 0, 1, tzinfo=tz.min)),
        ('time', 'fold_tz', T(23, 59, 59, 999999, tzinfo=tz(td(hours=-3)), fold=1)),
        ('datetime', 'min', DT.min), ('datetime', 'max', DT.max),
        ('datetime', 'plain', DT(2024, 5, 7, 1, 2, 3, 456)),
        ('datetime', 'fold', DT(2024, 11, 3, 1, 30, fold=1)),
        ('datetime', 'utc', DT(2024, 5, 7, tzinfo=tz.utc)),
        ('datetime', 'est', DT(2024, 5, 7, 1, 2, 3, 456, tzinfo=tz(td(hours=-5), 'EST'), fold=1)),
        ('datetime', 'nonascii_name', DT(1999, 12, 31, 23, 59, 59, tzinfo=tz(td(hours=1), 'Zürich'))),
        ('datetime', 'named_utc', DT(2001, 2, 3, tzinfo=tz(td(0), 'UTC'))),
        ('datetime', 'seconds_offset', DT(2001, 2, 3, tzinfo=tz(td(seconds=1, microseconds=5)))),
        ('datetime', 'tzmax', DT(9999, 12, 31, 23, 59, 59, 999999, tzinfo=tz.max)),
        ('datetime', 'zoneinfo', DT(2024, 5, 7, 1, 2, 3, 456, tzinfo=paris)),
        ('datetime', 'zoneinfo_fold', DT(2024, 10, 27, 2, 30, tzinfo=paris, fold=1)),
        ('timedelta', 'zero', td()), ('timedelta', 'max', td.max), ('timedelta', 'min', td.min),
        ('timedelta', 'minus_day', td(-1)), ('timedelta', 'mixed', td(days=-1, seconds=5, microseconds=7)),
        ('timedelta', 'minus_us', td(microseconds=-1)), ('timedelta', 'weeks', td(weeks=3, hours=5)),
        ('timedelta', 'resolution', td.resolution),
        ('timezone', 'utc', tz.utc), ('timezone', 'min', tz.min), ('timezone', 'max', tz.max),
        ('timezone', 'cest', tz(td(hours=2), 'CEST')), ('timezone', 'named_utc', tz(td(0), 'UTC')),
        ('timezone', 'negative', tz(-td(hours=9, minutes=30))),
        ('timezone', 'seconds', tz(td(seconds=1, microseconds=5))),
        ('timezone', 'one_char_name', tz(td(hours=1), 'A')),
    ] + [('decimal', 'd%02d' % i, decimal.Decimal(s)) for i, s in enumerate([
        '3.14', '-0', '0', '0E-10', '1E+2', '100', '-Infinity', 'Infinity', 'NaN', '-NaN123',
        'sNaN', 'sNaN45', '1.23E+7', '0.000001', '1E-7', '0.0000001234',
        '123456789012345678901234567890.5', '-1.5E+3', '1E+999999999999999999',
        '9.99E-1000000', str(2 ** 100), '-0.00', '5E-324'])] + [
        ('ordereddict', 'empty', collections.OrderedDict()),
        ('ordereddict', 'items', collections.OrderedDict([(1, 2), ('a', [1, 2]), (None, (3,)), (2.5, {'k': b'v'})])),
        ('ordereddict', 'nested', od_nested),
        ('ordereddict', 'many', collections.OrderedDict((i, str(i)) for i in range(1001))),
        ('counter', 'empty', collections.Counter()),
        ('counter', 'letters', collections.Counter('abracadabra')),
        ('counter', 'signed', collections.Counter({'x': -1, 'y': 0, 3: 10 ** 20})),
        ('defaultdict', 'list', collections.defaultdict(list, {1: [2], 'b': []})),
        ('defaultdict', 'none', collections.defaultdict(None, {'a': 1})),
        ('defaultdict', 'int_empty', collections.defaultdict(int)),
        ('defaultdict', 'class_factory', collections.defaultdict(collections.OrderedDict, {0: collections.OrderedDict(z=26)})),
        ('deque', 'empty', collections.deque()),
        ('deque', 'items', collections.deque([1, 'two', None, [3]])),
        ('deque', 'maxlen', collections.deque([1, 2, 3], maxlen=5)),
        ('deque', 'maxlen_full', collections.deque(range(10), maxlen=3)),
        ('deque', 'maxlen0', collections.deque(maxlen=0)),
        ('deque', 'nested', collections.deque([collections.OrderedDict(a=1), collections.deque([1], 1)])),
        ('deque', 'many', collections.deque(range(2001))),
    ]


def numpy_arrays():
    base = np.arange(12).reshape(3, 4)
    readonly = np.arange(4, dtype='<i2')
    readonly.flags.writeable = False
    # 1.5 and -2 as x86-64's 80-bit long double with zeroed padding (assigning a value
    # leaves whatever memory held in the 6 padding bytes, which would change every run)
    longdouble = np.frombuffer((0xC000000000000000).to_bytes(8, 'little') + b'\xff\x3f' + bytes(6) +
                               (0x8000000000000000).to_bytes(8, 'little') + b'\x00\xc0' + bytes(6),
                               dtype=np.longdouble).copy()
    assert list(longdouble) == [1.5, -2]
    return [
        ('bool', np.array([True, False, True])),
        ('int8', np.array([-128, 0, 127], dtype=np.int8)),
        ('uint8', np.arange(5, dtype=np.uint8)),
        ('int16', np.array([-2, 300], dtype=np.int16)),
        ('uint16', np.array([65535, 1], dtype=np.uint16)),
        ('int32', np.arange(-3, 3, dtype=np.int32)),
        ('uint32', np.array([2 ** 32 - 1], dtype=np.uint32)),
        ('int64', np.array([-2 ** 63, 2 ** 63 - 1], dtype=np.int64)),
        ('uint64', np.array([2 ** 64 - 1, 0], dtype=np.uint64)),
        ('float16', np.array([1.5, -2, np.inf], dtype=np.float16)),
        ('float32', np.array([0.1, np.nan], dtype=np.float32)),
        ('float64', np.linspace(0, 1, 5)),
        ('longdouble', longdouble),
        ('complex64', np.array([1 + 2j], dtype=np.complex64)),
        ('complex128', np.array([1 - 1j, 0], dtype=np.complex128)),
        ('big_i4', np.arange(6, dtype='>i4').reshape(2, 3)),
        ('big_f8', np.array([1.0, -0.5], dtype='>f8')),
        ('big_c8', np.array([3j], dtype='>c8')),
        ('little_u2', np.array([1, 2], dtype='<u2')),
        ('datetime_ns', np.array(['2020-01-01T00:00:00.5', 'NaT'], dtype='M8[ns]')),
        ('datetime_D', np.array(['1970-01-02', '2024-05-07'], dtype='M8[D]')),
        ('datetime_generic', np.array(['NaT'], dtype='M8')),
        ('timedelta_10s', np.array([1, -2], dtype='m8[10s]')),
        ('big_datetime_us', np.array(['2000-01-01'], dtype='>M8[us]')),
        ('bytes_S3', np.array([b'ab', b'xyz'])),
        ('str_U5', np.array(['héllo', 'x'])),
        ('big_U2', np.array(['ab', '\u20ac'], dtype='>U2')),
        ('void_V4', np.zeros(2, dtype='V4')),
        ('object', np.array([1, 'x', None, [1, 2]], dtype=object)),
        ('object_2d_F', np.array([[1, 'a'], [None, 2.5]], dtype=object, order='F')),
        ('object_nested', np.array([collections.deque([1]), decimal.Decimal('1.5')], dtype=object)),
        ('zero_d', np.array(3.5)),
        ('zero_d_object', np.array(None, dtype=object)),
        ('empty', np.zeros((0,), 'f4')),
        ('empty_2d', np.zeros((0, 3))),
        ('empty_str', np.array([], dtype='U3')),
        ('c_3d', np.arange(24, dtype='i2').reshape(2, 3, 4)),
        ('f_2d', np.asfortranarray(np.arange(6.).reshape(2, 3))),
        ('f_3d', np.asfortranarray(np.arange(24, dtype='u1').reshape(2, 3, 4))),
        ('column', np.arange(3.).reshape(3, 1)),
        ('slice_step', np.arange(10)[::2]),
        ('slice_transposed', base[:, ::2].T),
        ('transposed', base.T),
        ('readonly', readonly),
    ]


def numpy_scalars():
    # (no longdouble scalar: its padding bytes are whatever memory held)
    return [
        ('float64', np.float64(1.5)), ('float32', np.float32(2.5)), ('float16', np.float16(-1)),
        ('int8', np.int8(-3)), ('uint64', np.uint64(2 ** 64 - 1)),
        ('int64', np.int64(-5)), ('bool', np.bool_(True)), ('complex128', np.complex128(1 + 2j)),
        ('complex64', np.complex64(-1j)), ('str', np.str_('ab')), ('bytes', np.bytes_(b'xy')),
        ('datetime_D', np.datetime64('2020-01-01', 'D')), ('datetime_ns', np.datetime64(1, 'ns')),
        ('timedelta_10s', np.timedelta64(5, '10s')), ('void', np.void(b'ab')),
    ]


def numpy_dtypes():
    return [np.dtype(s) for s in ['f8', '>i2', '<u4', '?', 'i1', 'U3', '>U1', 'S0', 'S7', 'O',
                                  'M8[ns]', 'M8', 'm8[25ms]', 'V3', 'c16', 'f2']]


# ---------------------------------------------------------------------------
# numpy 2.x names, written through stand-ins

NP2_NAMES = {}


def install_numpy2_names():
    assert np.__version__.startswith('1.'), 'numpy 1.x expected (Debian python3-numpy)'
    import numpy.core.multiarray as ma
    import numpy.core.numeric as nu
    pkg = types.ModuleType('numpy._core')
    sys.modules['numpy._core'] = pkg
    for sub, fn in [('multiarray', ma._reconstruct), ('multiarray', ma.scalar), ('numeric', nu._frombuffer)]:
        modname = 'numpy._core.' + sub
        mod = sys.modules.get(modname)
        if mod is None or not isinstance(mod, types.ModuleType) or getattr(mod, '__file__', None):
            mod = sys.modules[modname] = types.ModuleType(modname)
            setattr(pkg, sub, mod)

        def stand_in(*args, _fn=fn):
            return _fn(*args)
        stand_in.__module__ = modname
        stand_in.__name__ = stand_in.__qualname__ = fn.__name__
        setattr(mod, fn.__name__, stand_in)
        NP2_NAMES[fn] = stand_in


class Numpy2Pickler(pickle.Pickler):
    def __init__(self, file, protocol, **kw):
        super().__init__(file, protocol, **kw)
        self.proto = protocol

    def reducer_override(self, obj):
        if isinstance(obj, (np.ndarray, np.generic)):
            rv = obj.__reduce_ex__(self.proto)
            if rv[0] in NP2_NAMES:
                return (NP2_NAMES[rv[0]],) + tuple(rv[1:])
        return NotImplemented


def dumps_numpy2(obj, protocol, buffer_callback=None):
    f = io.BytesIO()
    Numpy2Pickler(f, protocol, buffer_callback=buffer_callback).dump(obj)
    return f.getvalue()


# ---------------------------------------------------------------------------
# Python 2 forms of numpy pickles, made here (no numpy for Python 2.7 here): the shape
# numpy 1.x on Python 2 wrote, with a str payload, loaded with encoding='latin1' or
# 'bytes'.

class Py2Dtype:
    def __init__(self, dt, as_bytes):
        self.dt, self.as_bytes = dt, as_bytes

    def __reduce__(self):
        dt = self.dt
        elsize = dt.itemsize // (4 if dt.kind == 'U' else 1)
        typestr = '%s%d' % (dt.kind, elsize)
        order = dt.str[0]
        flexible = dt.kind in 'SUV'
        state = (3, order, None, None, None, dt.itemsize if flexible else -1,
                 dt.alignment if flexible else -1, 0)
        if self.as_bytes:
            typestr, state = typestr.encode(), (3, order.encode()) + state[2:]
        return (np.dtype, (typestr, 0, 1), state)


class Py2Array:
    def __init__(self, a, as_bytes):
        self.a, self.as_bytes = a, as_bytes

    def __reduce__(self):
        a = self.a
        fortran = a.flags.f_contiguous and not a.flags.c_contiguous
        data = a.tobytes(order='F' if fortran else 'C')
        payload = data if self.as_bytes else data.decode('latin1')
        code = b'b' if self.as_bytes else 'b'
        return (np.core.multiarray._reconstruct, (np.ndarray, (0,), code),
                (1, a.shape, Py2Dtype(a.dtype, self.as_bytes), fortran, payload))


class Py2Scalar:
    def __init__(self, s, as_bytes):
        self.s, self.as_bytes = s, as_bytes

    def __reduce__(self):
        data = np.array(self.s).tobytes()
        payload = data if self.as_bytes else data.decode('latin1')
        return (np.core.multiarray.scalar, (Py2Dtype(np.array(self.s).dtype, self.as_bytes), payload))


# ---------------------------------------------------------------------------
# Python 2 pickles of the standard library types

PY2_SCRIPT = r'''
import pickle, datetime, decimal, collections, binascii
D, T, DT, TD = datetime.date, datetime.time, datetime.datetime, datetime.timedelta
values = [
    ('date', 'plain', D(2024, 5, 7)), ('date', 'min', D.min), ('date', 'max', D.max),
    ('datetime', 'plain', DT(2024, 5, 7, 1, 2, 3, 456)), ('datetime', 'max', DT.max),
    ('time', 'max', T(23, 59, 1, 999999)), ('time', 'midnight', T()),
    ('timedelta', 'mixed', TD(-3, 5, 7)), ('timedelta', 'max', TD.max),
    ('decimal', 'neg', decimal.Decimal('-1.5E+3')), ('decimal', 'nan', decimal.Decimal('NaN12')),
    ('ordereddict', 'items', collections.OrderedDict([(1, 2), ('a', [3])])),
    ('ordereddict', 'empty', collections.OrderedDict()),
    ('counter', 'letters', collections.Counter('abca')),
    ('defaultdict', 'list', collections.defaultdict(list, {1: [2]})),
    ('defaultdict', 'none', collections.defaultdict(None, {'k': 'v'})),
    ('deque', 'maxlen', collections.deque([1, 2, 3], 2)),
    ('deque', 'plain', collections.deque([1, 'x'])),
]
for kind, name, v in values:
    for proto in (0, 1, 2):
        print('%s %s %d %s' % (kind, name, proto, binascii.hexlify(pickle.dumps(v, proto))))
'''


def python2():
    exe = os.environ.get('PYTHON2')
    if not exe:
        root = subprocess.run(['pyenv', 'root'], capture_output=True, text=True, check=True).stdout.strip()
        exe = os.path.join(root, 'versions', '2.7.18', 'bin', 'python')
    return exe


# ---------------------------------------------------------------------------

def line(name, kind, encoding, protocol, data, buffers, obj):
    expected = render(kind, obj)
    assert '\t' not in expected and '\n' not in expected, name
    return '\t'.join([name, kind, encoding, protocol, data.hex(), buffers, expected]) + '\n'


def buffer_field(bufs):
    if not bufs:
        return '-'
    return ','.join(('r' if m.readonly else 'w') + bytes(m).hex()
                    for m in (b.raw() for b in bufs))


def same_array(a, b):
    """b, loaded, holds the values of a (numpy < 5 protocols load a non-native byte order
    as native: the same values, which the view reports in the pickled byte order)."""
    if type(a) is not type(b) or a.shape != b.shape or a.dtype.newbyteorder('=') != b.dtype.newbyteorder('='):
        return False
    if a.dtype.kind == 'O':
        return repr(list(a.flat)) == repr(list(b.flat))
    return np.asarray(b, dtype=a.dtype).tobytes() == a.tobytes()


def lines():
    out = []
    for kind, name, v in stdlib_values():
        for proto in range(6):
            data = pickle.dumps(v, proto)
            loaded = pickle.loads(data)
            out.append(line('%s.%s.p%d' % (kind, name, proto), kind, '-', str(proto), data, '-', loaded))

    for py2line in subprocess.run([python2(), '-c', PY2_SCRIPT], capture_output=True, text=True,
                                  check=True).stdout.splitlines():
        kind, name, proto, hexdata = py2line.split()
        data = bytes.fromhex(hexdata)
        for encoding in ('latin1', 'bytes'):
            try:
                loaded = pickle.loads(data, encoding=encoding)
            except TypeError:       # Decimal(bytes): CPython refuses it
                continue
            out.append(line('py2.%s.%s.p%s.%s' % (kind, name, proto, encoding), kind, encoding, '-',
                            data, '-', loaded))

    install_numpy2_names()
    for name, a in numpy_arrays():
        for proto in range(6):
            data = pickle.dumps(a, proto)
            b = pickle.loads(data)
            assert same_array(a, b), name
            out.append(line('ndarray.%s.p%d' % (name, proto), 'ndarray', '-', str(proto), data, '-', a))
        if a.dtype.kind != 'O':
            bufs = []
            data = pickle.dumps(a, 5, buffer_callback=bufs.append)
            b = pickle.loads(data, buffers=bufs)
            assert same_array(a, b), name
            out.append(line('ndarray.%s.p5.oob' % name, 'ndarray', '-', '5', data, buffer_field(bufs), a))
        for proto in (2, 5):
            data = dumps_numpy2(a, proto)
            b = pickle.loads(data)
            assert same_array(a, b), name
            out.append(line('ndarray.%s.numpy2.p%d' % (name, proto), 'ndarray', '-', '-', data, '-', a))
        if a.dtype.kind not in 'OMm':
            for encoding, as_bytes in (('latin1', False), ('bytes', True)):
                data = pickle.dumps(Py2Array(a, as_bytes), 2)
                b = pickle.loads(data, encoding=encoding)
                assert same_array(a, b), name
                out.append(line('ndarray.%s.py2.%s' % (name, encoding), 'ndarray', encoding, '-', data, '-', a))
    for name, s in numpy_scalars():
        for proto in range(6):
            data = pickle.dumps(s, proto)
            t = pickle.loads(data)
            assert type(t) is type(s) and np.array(t).tobytes() == np.array(s).tobytes(), name
            out.append(line('npscalar.%s.p%d' % (name, proto), 'npscalar', '-', str(proto), data, '-', s))
        data = dumps_numpy2(s, 4)
        t = pickle.loads(data)
        assert type(t) is type(s) and np.array(t).tobytes() == np.array(s).tobytes(), name
        out.append(line('npscalar.%s.numpy2.p4' % name, 'npscalar', '-', '-', data, '-', s))
        if np.array(s).dtype.kind not in 'Mm':
            for encoding, as_bytes in (('latin1', False), ('bytes', True)):
                data = pickle.dumps(Py2Scalar(s, as_bytes), 2)
                t = pickle.loads(data, encoding=encoding)
                assert np.array(t).tobytes() == np.array(s).tobytes(), name
                out.append(line('npscalar.%s.py2.%s' % (name, encoding), 'npscalar', encoding, '-', data, '-', s))
    for dt in numpy_dtypes():
        for proto in range(6):
            data = pickle.dumps(dt, proto)
            t = pickle.loads(data)
            assert t == dt
            out.append(line('dtype.%s.p%d' % (dt.str, proto), 'dtype', '-', str(proto), data, '-', t))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--check', action='store_true', help='compare with the file, write nothing')
    ap.add_argument('--output', default=OUTPUT)
    args = ap.parse_args()
    text = ''.join(lines())
    counts = {}
    for row in text.splitlines():
        kind = row.split('\t')[1]
        counts[kind] = counts.get(kind, 0) + 1
    summary = ', '.join('%s %d' % kv for kv in sorted(counts.items()))
    return write_or_check(args.output, text, args.check, summary)


if __name__ == '__main__':
    sys.exit(main())
