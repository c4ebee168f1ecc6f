#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets, corpus/<target>/, with CPython.

    python3 fuzz/gen_corpus.py                          # every candidate seed
    python3 fuzz/gen_corpus.py --merge build-fuzz        # only the seeds that add coverage

Seeds for the targets that read a pickle (loads, roundtrip, diff_loads, dis, cost): valid
pickles of every kind at protocols 0-5 (the fixed catalogue of conformance/corpus.py,
files of at most --max-size bytes) and pickletester's vectors, the malformed ones
included (conformance/vectors.py). fuzz_loads and fuzz_dis read an options byte first
(see their sources); their seeds carry it. Seeds for reducers and copyreg are inputs
in the small languages those targets decode, written by the encoders below (they
mirror the decoders in fuzz_reducers.cpp and fuzz_copyreg.cpp).

With --merge, each target's libFuzzer binary in BUILD keeps only the seeds that add
coverage (-merge=1); the kept files get descriptive names. Existing files in
corpus/<target>/ are replaced; corpus/regressions/ is never touched.
"""

import argparse
import hashlib
import os
import pickle
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from conformance import corpus as conformance_corpus  # noqa: E402
from conformance import vectors  # noqa: E402

PICKLE_TARGETS = ('loads', 'roundtrip', 'diff_loads', 'dis')
TARGETS = PICKLE_TARGETS + ('reducers', 'copyreg', 'api', 'cost')

# fuzz_loads' options byte: encoding (bits 0-2), errors (3-5), fix_imports off (6).
LOADS_ENCODINGS = ['ASCII', 'latin1', 'bytes', 'utf-8', 'koi8-r', 'cp1252', 'shift_jis', 'nosuch']
LOADS_ERRORS = ['strict', 'ignore', 'replace', 'surrogateescape', 'backslashreplace']


def loads_flags(kwargs):
    encoding = kwargs.get('encoding', 'ASCII')
    flags = LOADS_ENCODINGS.index(encoding) if encoding in LOADS_ENCODINGS else 0
    flags |= LOADS_ERRORS.index(kwargs.get('errors', 'strict')) << 3
    if not kwargs.get('fix_imports', True):
        flags |= 0x40
    return bytes([flags])


def pickle_seeds(max_size):
    """(name, data, loads() kwargs) of the catalogue at every protocol, and the vectors."""
    for name, proto, data in conformance_corpus.pickles(0, len(conformance_corpus.catalogue())):
        if len(data) <= max_size:
            yield '%s-p%d' % (name, proto), data, {}
    for v in vectors.all_vectors():
        if len(v.data) <= max_size:
            yield v.name, v.data, v.kwargs


# ---------------------------------------------------------------------------
# fuzz_reducers: the spec language (see reduce_value() and value() there).

NAMES = ['fz.K', 'fz.C', 'fz.F', 'fz.G', 'fz.setter', 'copyreg.__newobj__', 'copyreg.__newobj_ex__',
         'builtins.list', 'builtins.dict']
STRS = ['', 'a', 'x y', '!Vboom', '!Tbad type', '!Rno', '!Awhat', '!Oover', '!Iidx', '!']
FLOATS = [0.0, -0.0, 1.5, 1e308, -2.5e-300]


class G(str):
    """A global of NAMES in a spec."""


SELF = object()


class It(list):
    """iter(list) in a spec."""


class ItItems(dict):
    """iter(dict.items()) in a spec."""


def enc_value(v, depth):
    out = bytearray()
    assert depth < 3 or not isinstance(v, (tuple, list, dict)), 'containers nest 3 deep at most'
    if v is None:
        out.append(0)
    elif v is SELF:
        out.append(9)
    elif isinstance(v, bool):
        out += bytes([1, int(v)])
    elif isinstance(v, int) and -128 <= v < 128:
        out += bytes([2, v & 0xff])
    elif isinstance(v, int):
        out += bytes([3, 1]) + struct.pack('>q', v)
    elif isinstance(v, float):
        out += bytes([4, FLOATS.index(v)])
    elif isinstance(v, G):
        out += bytes([7, NAMES.index(v)])
    elif isinstance(v, str):
        out += bytes([5, STRS.index(v)])
    elif isinstance(v, bytes):
        out += bytes([6, len(v)]) + v
    elif isinstance(v, It):
        out += bytes([13]) + enc_items(v, depth)
    elif isinstance(v, ItItems):
        out += bytes([14]) + enc_dict(v, depth)
    elif isinstance(v, tuple):
        out += bytes([10]) + enc_items(v, depth)
    elif isinstance(v, list):
        out += bytes([11]) + enc_items(v, depth)
    elif isinstance(v, dict):
        out += bytes([12]) + enc_dict(v, depth)
    else:
        raise ValueError(v)
    return bytes(out)


def enc_items(items, depth):
    assert len(items) < 4
    return bytes([len(items)]) + b''.join(enc_value(v, depth + 1) for v in items)


def enc_dict(d, depth):
    assert len(d) < 4
    out = bytearray([len(d)])
    for k, v in d.items():
        out += bytes([1, k]) if isinstance(k, int) else bytes([0, ord(k) - ord('a')])
        out += enc_value(v, depth + 1)
    return bytes(out)


def enc_reduce(rv, dispatch=True, protocol=2):
    """The input that makes the reducer of fz.C return rv."""
    out = bytearray([int(dispatch), protocol])
    if rv == 'SINGLETON':
        return bytes(out + b'\x00')
    if isinstance(rv, Exception):
        return bytes(out + bytes([2, 'VTRAOIx'.index(rv.args[0])]))
    if not isinstance(rv, tuple):
        return bytes(out + b'\x01' + enc_value(rv, 0))
    out += bytes([3, len(rv)])
    for i, v in enumerate(rv):
        if i == 0 and isinstance(v, G):
            out += bytes([0, NAMES.index(v)])
        elif i == 1 and isinstance(v, tuple):
            out += b'\x00' + enc_items(v, 1)
        elif i >= 2 and v is None:
            out += b'\x00\x01'
        elif i == 2 and type(v) is dict:
            out += b'\x00\x00' + enc_dict(v, 1)
        elif i == 3 and isinstance(v, It):
            out += b'\x00\x00' + enc_items(v, 1)
        elif i == 4 and isinstance(v, ItItems):
            out += b'\x00\x00' + enc_dict(v, 1)
        elif i >= 5 and v == G('fz.setter'):
            out += b'\x00\x00'
        else:
            out += b'\xc8' + enc_value(v, 1)
    return bytes(out)


K, C, F, Gd = G('fz.K'), G('fz.C'), G('fz.F'), G('fz.G')
NEWOBJ, NEWOBJ_EX, SETTER = G('copyreg.__newobj__'), G('copyreg.__newobj_ex__'), G('fz.setter')

# Shapes of lib/test/golden/gen_reducer_cases.py, in the targets' vocabulary.
REDUCER_SEEDS = {
    'str_global': 'SINGLETON',
    'call_no_args': (C, ()),
    'call_args': (F, (1, 'a', None)),
    'call_state': (K, (), {'a': 1, 'b': [2, 3]}),
    'call_state_not_dict': (F, (), 42),
    'listitems': (F, (), None, It([1, 2, 3])),
    'dictitems': (Gd, (), None, None, ItItems({'a': 1, 'b': 2})),
    'dictitems_from_list': (Gd, (), None, None, It([('a', 1), ('x y', 2)])),
    'all_six': (K, (), {'s': 1}, It([1]), ItItems({}), SETTER),
    'state_setter': (C, (), {'a': 1}, None, None, SETTER),
    'newobj': (NEWOBJ, (C,)),
    'newobj_args': (NEWOBJ, (C, 1, 2)),
    'newobj_ex': (NEWOBJ_EX, (C, (1,), {'c': 2})),
    'state_holds_self': (C, (), {'d': SELF}),
    'args_hold_self': (K, (SELF,)),
    'list_rv': [C, ()],
    'not_str_or_tuple': 5,
    'none_rv': None,
    'one_item': (C,),
    'seven_items': (C, (), None, None, None, None, None),
    'empty_tuple': (),
    'func_not_callable': (5, ()),
    'args_list': (C, [1]),
    'listitems_list': (F, (), None, [1, 2]),
    'dictitems_not_pairs': (Gd, (), None, None, It([1, 2])),
    'setter_not_callable': (C, (), {'a': 1}, None, None, 5),
    'newobj_empty': (NEWOBJ, ()),
    'newobj_wrong_class': (NEWOBJ, (K,)),
    'newobj_ex_two_args': (NEWOBJ_EX, (C, ())),
    'newobj_ex_args_list': (NEWOBJ_EX, (C, [], {})),
    'raises': ValueError('V'),
    'constructor_raises': (K, ('!Vboom',)),
    'setstate_raises': (K, (), '!Tbad type'),
    'f_raises_at_load': (F, ('!Rno', 1)),
}


def reducer_seeds():
    for name, rv in REDUCER_SEEDS.items():
        for dispatch, protocol in ((True, 0), (False, 2), (True, 4)):
            yield '%s-%s-p%d' % (name, 'dispatch' if dispatch else 'override', protocol), \
                enc_reduce(rv, dispatch, protocol)


# ---------------------------------------------------------------------------
# fuzz_copyreg: operations (see next_op() there).

KINDS = ['add', 'add', 'remove', 'clear', 'dump', 'load']
CODES = [1, 2, 3, 255, 256, 65535, 65536, 0x7fffffff, 0, -1, 0x80000000, 0xffffffff]


def enc_op(kind, name='a', code=1):
    """One operation on key ('fz', name) of fz.a .. fz.d; code is a protocol for dump."""
    out = bytearray([KINDS.index(kind), 'abcd'.index(name), 0])
    if kind == 'dump':
        out.append(code)
    elif code in CODES:
        out.append(132 + CODES.index(code))     # 132 + i: a byte in [128, 250) that is i mod 12
    else:
        out += b'\xff' + struct.pack('>q', code)
    return bytes(out)


def enc_text_op(kind, code, module_chars, name_chars):
    """add/remove with a module and a name made of fuzz_copyreg's characters (indexes)."""
    out = bytearray([KINDS.index(kind), 0, 224, len(module_chars)]) + bytes(module_chars)
    out += bytes([len(name_chars)]) + bytes(name_chars)
    return bytes(out + bytes([132 + CODES.index(code)]))


COPYREG_SEEDS = {
    'add_dump_load': [enc_op('add', 'a', 1), enc_op('dump', 'a', 2), enc_op('load', 'a', 1)],
    'ext2_ext4': [enc_op('add', 'b', 256), enc_op('add', 'c', 65536), enc_op('dump', 'b', 4),
                  enc_op('dump', 'c', 5), enc_op('load', code=256), enc_op('load', code=65536)],
    'conflicts': [enc_op('add', 'a', 1), enc_op('add', 'a', 2), enc_op('add', 'b', 1),
                  enc_op('add', 'a', 1)],
    'remove': [enc_op('add', 'd', 3), enc_op('remove', 'd', 2), enc_op('remove', 'd', 3),
               enc_op('remove', 'd', 3), enc_op('load', code=3)],
    'out_of_range': [enc_op('add', 'a', 0), enc_op('add', 'a', -1), enc_op('add', 'a', 0x80000000),
                     enc_op('add', 'a', 0x7fffffff), enc_op('dump', 'a', 3)],
    'clear': [enc_op('add', 'a', 5), enc_op('load', code=5), enc_op('clear'), enc_op('load', code=5)],
    'unregistered': [enc_op('load', code=0), enc_op('load', code=255), enc_op('load', code=0xffffffff)],
    'quoted_keys': [enc_text_op('add', 1, [5, 6], [7, 8, 9]), enc_text_op('add', 1, [0], [15]),
                    enc_text_op('remove', 2, [17, 18], [19, 20])],
}


def copyreg_seeds():
    for name, ops in COPYREG_SEEDS.items():
        yield name, b''.join(ops)


def typed_view_seeds():
    """Pickles of the stdlib types pickle/stdlib.h reads (fuzz_api), at every protocol."""
    import collections
    import datetime
    import decimal
    tz = datetime.timezone(datetime.timedelta(hours=-5, minutes=-30), 'X')
    values = {
        'date': datetime.date(2024, 2, 29),
        'time': datetime.time(23, 59, 1, 5, tzinfo=tz, fold=1),
        'datetime': datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc),
        'timedelta': datetime.timedelta(days=-3, microseconds=7),
        'decimal': [decimal.Decimal('-1.5E+3'), decimal.Decimal('NaN'), decimal.Decimal('-Infinity')],
        'ordereddict': collections.OrderedDict([('a', 1), ('b', [2])]),
        'counter': collections.Counter('abracadabra'),
        'defaultdict': collections.defaultdict(list, {1: [2]}),
        'deque': collections.deque([1, 'x'], maxlen=5),
    }
    for name, value in values.items():
        for proto in range(6):
            yield '%s-p%d' % (name, proto), b'\x00' + pickle.dumps(value, proto)


# ---------------------------------------------------------------------------

def adversarial_seeds(max_len=65536):
    """bench/adversarial.py's loads, each at the largest of its sizes (/4 a step) within
    libFuzzer's -max_len in fuzz/run_fuzzers.py."""
    sys.path.insert(0, os.path.join(ROOT, 'bench'))
    import adversarial
    for name, (mode, size, generate, _) in sorted(adversarial.CLASSES.items()):
        data = generate(size)
        while len(data) > max_len and size > 1:
            size //= 4
            data = generate(size)
        if mode == 'load' and len(data) <= max_len:
            yield 'adversarial-' + name, data


def candidates(max_size):
    """{target: [(name, data)]}."""
    out = {t: [] for t in TARGETS}
    for name, data, kwargs in pickle_seeds(max_size):
        out['loads'].append((name, loads_flags(kwargs) + data))
        if not kwargs:
            out['roundtrip'].append((name, data))
            out['diff_loads'].append((name, data))
            out['dis'].append((name, b'\x04' + data))          # indentlevel 4, annotate 0
    out['dis'] += [('annotated-' + n, b'\x14' + d[1:]) for n, d in out['dis'][:40]]
    # fuzz_api's options byte: 0 is ASCII with fix_imports; the typed views' types added.
    out['api'] = [(n, b'\x00' + d) for n, d in out['roundtrip']] + list(typed_view_seeds())
    # fuzz_cost: the pickles, and bench/adversarial.py's loads.
    out['cost'] = list(out['diff_loads']) + list(adversarial_seeds())
    out['reducers'] = list(reducer_seeds())
    out['copyreg'] = list(copyreg_seeds())
    return out


def safe_name(name):
    return re.sub(r'[^A-Za-z0-9_.=+-]+', '_', name)[:100]


def write(directory, seeds):
    """Writes seeds under descriptive names; identical inputs once."""
    os.makedirs(directory, exist_ok=True)
    seen = set()
    for name, data in seeds:
        if data not in seen:
            seen.add(data)
            with open(os.path.join(directory, safe_name(name)), 'wb') as f:
                f.write(data)


def merge(binary, target, seeds, directory):
    """Keeps the seeds that add coverage for the target's libFuzzer binary."""
    with tempfile.TemporaryDirectory() as tmp:
        everything, kept = os.path.join(tmp, 'all'), os.path.join(tmp, 'kept')
        os.makedirs(kept)
        write(everything, seeds)
        subprocess.run([binary, '-merge=1', '-detect_leaks=0', kept, everything], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        by_hash = {hashlib.sha1(d).hexdigest(): n for n, d in seeds}
        chosen = []
        for fn in os.listdir(kept):
            with open(os.path.join(kept, fn), 'rb') as f:
                data = f.read()
            chosen.append((by_hash.get(hashlib.sha1(data).hexdigest(), fn), data))
        shutil.rmtree(directory, ignore_errors=True)
        write(directory, sorted(chosen))
        return len(chosen)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(ROOT, 'corpus'), help='default: %(default)s')
    ap.add_argument('--merge', metavar='BUILD', help='directory of the libFuzzer binaries fuzz_<target>')
    ap.add_argument('--max-size', type=int, default=4096, help='largest seed pickle (default %(default)s)')
    ap.add_argument('targets', nargs='*', default=TARGETS)
    args = ap.parse_args()
    if os.environ.get('PYTHONHASHSEED') != '0':        # sets of str pickle in a fixed order
        os.environ['PYTHONHASHSEED'] = '0'
        os.execv(sys.executable, [sys.executable] + sys.argv)
    seeds = candidates(args.max_size)
    for target in args.targets:
        directory = os.path.join(args.out, target)
        if args.merge:
            binary = os.path.join(args.merge, 'fuzz', 'fuzz_' + target)   # the `fuzz` preset's tree
            if not os.path.exists(binary):
                binary = os.path.join(args.merge, 'fuzz_' + target)        # a flat directory ($OUT)
            n = merge(binary, target, seeds[target], directory)
        else:
            shutil.rmtree(directory, ignore_errors=True)
            write(directory, seeds[target])
            n = len(os.listdir(directory))
        print('%-12s %5d seeds (of %d candidates)' % (target, n, len(seeds[target])))


if __name__ == '__main__':
    main()
