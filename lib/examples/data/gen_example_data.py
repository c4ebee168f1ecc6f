#!/usr/bin/env python3
"""Writes the inputs of the recipes in lib/examples/ and, for each recipe, the output it
must print (<recipe>.expected), both computed by CPython (3.11) and, for the numpy recipe,
numpy (Debian's python3-numpy; its dist-packages folder is put on sys.path):

    python3 lib/examples/data/gen_example_data.py

Files (all in this folder):
  measurements.pickle   three pickles written one after another by pickle.dump (protocols
                        2, 4 and 5), as a program appending records to a file would
  untrusted.pickle      a pickle that calls os.system (never run: the recipe refuses it)
  appointment.pickle    a datetime.datetime with a timezone, which the allowlist admits
  checkpoint/data.pkl   a PyTorch-style state dict (torch.save's data.pkl layout: an
  checkpoint/data/0     OrderedDict of torch._utils._rebuild_tensor_v2 calls on persistent
                        storages), its storage bytes in data/<key>; written with stand-in
                        classes named as torch's, so torch is not needed
  array.pickle          numpy.arange(6, dtype='<f4').reshape(2, 3), protocol 2
  array_fortran.pickle  the same array in Fortran order, protocol 5 (in-band buffer)
"""
import collections
import datetime
import io
import os
import pickle
import struct
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data, mode='wb'):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


def fmt(x):
    """C's printf("%g")."""
    return '%g' % x


# ---- load_file and typed_data -------------------------------------------------------------

RECORDS = [
    [{'sensor': 'a', 'values': [1.5, 2.0], 'ok': True, 'unit': 'V'}],
    [{'sensor': 'b', 'values': [], 'ok': False, 'unit': None},
     {'sensor': 'c', 'values': [-3, 0.25, 1e100], 'ok': True, 'unit': 'mA'}],
    [{'sensor': 'd\u00e9j\u00e0', 'values': [7], 'ok': True, 'unit': None}],
]


def measurements():
    buf = io.BytesIO()
    for records, proto in zip(RECORDS, (2, 4, 5)):
        pickle.dump(records, buf, protocol=proto)
    write('measurements.pickle', buf.getvalue())
    # load_file prints each pickle's repr, then the offset the file was left at.
    lines = []
    buf.seek(0)
    for i in range(len(RECORDS)):
        obj = pickle.load(buf)
        lines.append(f'pickle {i} ends at byte {buf.tell()}: {obj!r}')
    lines.append('end of file: EOFError: Ran out of input')
    write('load_file.expected', '\n'.join(lines) + '\n', 'w')
    # typed_data prints one line per record.
    lines = []
    for records in RECORDS:
        for r in records:
            mean = fmt(sum(r['values']) / len(r['values'])) if r['values'] else '-'
            lines.append(f"{r['sensor']}: {len(r['values'])} values, mean {mean}, "
                         f"{'ok' if r['ok'] else 'failed'}, unit {r['unit'] or '-'}")
    write('typed_data.expected', '\n'.join(lines) + '\n', 'w')


# ---- untrusted ------------------------------------------------------------------------------

class RestrictedUnpickler(pickle.Unpickler):
    """The pickle documentation's example of restricting globals."""
    ALLOWED = {('datetime', 'datetime'), ('datetime', 'timezone'), ('datetime', 'timedelta')}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError("global '%s.%s' is forbidden" % (module, name))


def untrusted():
    evil = b"cos\nsystem\n(S'echo pwned'\ntR."
    write('untrusted.pickle', evil)
    when = datetime.datetime(2026, 12, 3, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1), 'CET'))
    good = pickle.dumps(when, 4)
    write('appointment.pickle', good)
    lines = []
    for name, data in (('untrusted.pickle', evil), ('appointment.pickle', good)):
        try:
            v = RestrictedUnpickler(io.BytesIO(data)).load()
            off = v.utcoffset()
            lines.append(f'{name}: {v:%Y-%m-%d %H:%M} UTC{int(off.total_seconds()) // 3600:+d} '
                         f'({v.tzname()})')
        except pickle.UnpicklingError as e:
            # CPython reports no offset; the library adds the byte of the GLOBAL opcode.
            lines.append(f'{name}: refused: UnpicklingError: {e} (at byte {data.index(b"c")})')
    write('untrusted.expected', '\n'.join(lines) + '\n', 'w')


# ---- build_pickle ---------------------------------------------------------------------------

def build_pickle():
    run = {
        'name': 'run-7',
        'scores': [0.5, 0.25, 1.0],
        'shape': (2, 3),
        'labels': {'cat': 3, 'dog': 1},
        'note': None,
        'blob': b'\x00\x01',
        'when': datetime.date(2026, 12, 3),
        'big': 2**70,
    }
    lines = [f'protocol {p}: {pickle.dumps(run, p).hex()}' for p in (2, 4)]
    write('build_pickle.expected', '\n'.join(lines) + '\n', 'w')


# ---- pytorch_checkpoint ---------------------------------------------------------------------

def pytorch_checkpoint():
    """torch.save(state_dict)'s data.pkl, written by CPython with stand-ins for torch's
    names: REDUCE of torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
    requires_grad, backward_hooks), the storage a persistent id ('storage',
    torch.FloatStorage, key, location, numel)."""
    torch = types.ModuleType('torch')
    utils = types.ModuleType('torch._utils')

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise AssertionError('only pickled')

    FloatStorage.__module__, FloatStorage.__qualname__ = 'torch', 'FloatStorage'
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = 'torch._utils', '_rebuild_tensor_v2'
    torch.FloatStorage, utils._rebuild_tensor_v2, torch._utils = FloatStorage, _rebuild_tensor_v2, utils
    sys.modules['torch'], sys.modules['torch._utils'] = torch, utils

    class Storage:
        def __init__(self, key, numel):
            self.key, self.numel = key, numel

    class Tensor:
        def __init__(self, storage, offset, size, stride):
            self.args = (storage, offset, size, stride, False, collections.OrderedDict())

        def __reduce_ex__(self, proto):
            return _rebuild_tensor_v2, self.args

    class Saver(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ('storage', FloatStorage, obj.key, 'cpu', obj.numel)
            return None

    values = [0.5, -1.0, 2.25, 3.0, 4.5, -0.125, 8.0, 16.0]  # one storage, two views
    storage = Storage('0', len(values))
    state = collections.OrderedDict()
    state['linear.weight'] = Tensor(storage, 0, (2, 3), (3, 1))
    state['linear.bias'] = Tensor(storage, 6, (2,), (1,))
    buf = io.BytesIO()
    Saver(buf, protocol=2).dump(state)
    write('checkpoint/data.pkl', buf.getvalue())
    write('checkpoint/data/0', struct.pack('<%df' % len(values), *values))
    lines = []
    for name, t in state.items():
        _, offset, size, stride = t.args[:4]
        elems = []
        for index in range(1 if not size else __import__('math').prod(size)):
            pos, rest = offset, index
            for dim, st in reversed(list(zip(size, stride))):
                pos += (rest % dim) * st
                rest //= dim
            elems.append(fmt(values[pos]))
        lines.append(f'{name}: float32 size {tuple(size)} stride {tuple(stride)} = [{", ".join(elems)}]')
    write('pytorch_checkpoint.expected', '\n'.join(lines) + '\n', 'w')


# ---- numpy_array ----------------------------------------------------------------------------

def numpy_arrays():
    sys.path.append('/usr/lib/python3/dist-packages')  # Debian's python3-numpy
    import numpy as np
    a = np.arange(6, dtype='<f4').reshape(2, 3)
    f = np.asfortranarray(a * 2)
    write('array.pickle', pickle.dumps(a, 2))
    write('array_fortran.pickle', pickle.dumps(f, 5))
    lines = []
    for name, arr in (('array.pickle', a), ('array_fortran.pickle', f)):
        order = 'Fortran' if arr.flags.f_contiguous and not arr.flags.c_contiguous else 'C'
        elems = ', '.join(fmt(x) for x in arr.ravel(order='C'))
        lines.append(f'{name}: dtype {arr.dtype.str} shape {tuple(arr.shape)} {order} order, '
                     f'row-major [{elems}]')
    write('numpy_array.expected', '\n'.join(lines) + '\n', 'w')


def main():
    if sys.version_info[:2] != (3, 11):
        sys.exit('run this with CPython 3.11 (the specification)')
    measurements()
    untrusted()
    build_pickle()
    pytorch_checkpoint()
    numpy_arrays()


if __name__ == '__main__':
    main()
