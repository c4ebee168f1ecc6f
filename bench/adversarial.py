#!/usr/bin/env python3
"""What crafted inputs make the library spend, against what they make CPython spend.

    python3 bench/adversarial.py --pickletool build-release/tools/pickletool
    python3 bench/adversarial.py --pickletool ... --only str_keys_flood,nan_set
    python3 bench/adversarial.py --pickletool ... --json out.json

Each input class below is generated at growing sizes (x4 a step) until CPython spends at
least --min-cpython seconds on it (or --max-steps is reached). At each size both sides
run in a child process of their own, under the same address-space limit: CPython 3 (this
interpreter, C pickle, find_class guarded by conformance/sandbox.py) and pickletool, doing
the same thing: loading (`load`), printing the repr (`show`), dumping what was loaded
(`roundtrip`) or disassembling (`dis`). The table gives, for the largest size of each
class, both sides' CPU time (user + system, from wait4) and peak resident memory, the
ratios, and the verdict of the project's bar: within 2x CPython's CPU time and within
2x its peak memory plus 16 MB, and whether both decided alike (the same output, by its
SHA-256, or an error of the same class; CPython runs with PYTHONHASHSEED=0, the seed
whose set order the library reproduces). A side that is killed by --timeout or runs out
of memory shows as such. A benchmark: nothing here is asserted by a test.

The collisions are built against the library's own hash of str and bytes dict keys and
its slot placement of ints as they were when this script was written (unkeyed, 8-byte
steps, Fibonacci slots); against a keyed hash they are ordinary distinct keys.
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
M64 = (1 << 64) - 1
TIME = shutil.which('time', path='/usr/bin:/bin') or '/usr/bin/time'   # GNU time (Debian: time)

# ---------------------------------------------------------------------------
# Opcodes (protocol 4, no framing: both sides accept unframed protocol 4).

PROTO4 = b'\x80\x04'
STOP = b'.'
MARK = b'('
POP = b'0'
NONE = b'N'
EMPTY_DICT = b'}'
EMPTY_SET = b'\x8f'
EMPTY_LIST = b']'
SETITEMS = b'u'
ADDITEMS = b'\x90'
APPENDS = b'e'
APPEND = b'a'
TUPLE = b't'
TUPLE2 = b'\x86'
REDUCE = b'R'
FROZENSET = b'\x91'


def global_(module, name):
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


def text(s):
    data = s.encode('utf-8', 'surrogatepass')
    if len(data) < 256:
        return b'\x8c' + bytes([len(data)]) + data
    return b'X' + struct.pack('<I', len(data)) + data


def binbytes(b):
    return b'C' + bytes([len(b)]) + b if len(b) < 256 else b'B' + struct.pack('<I', len(b)) + b


def integer(n):
    if -(1 << 31) <= n < (1 << 31):
        return b'J' + struct.pack('<i', n)
    data = n.to_bytes((n.bit_length() + 8) // 8, 'little', signed=True)
    return b'\x8a' + bytes([len(data)]) + data


def binfloat(x):
    return b'G' + struct.pack('>d', x)


def put(i):
    return b'r' + struct.pack('<I', i)


def get(i):
    return b'j' + struct.pack('<I', i)


# ---------------------------------------------------------------------------
# Keys that collide in the library's unkeyed str/bytes hash (lib/src/pyobject.cpp,
# hash_bytes): 32-byte ASCII keys w1 w2 w3 w4 (8-byte little-endian words) whose state
# after the four steps h = xs((h ^ w) * C) is the same. w1 is fixed; forward states from
# many w2 and backward states from many w4 meet where w3 = forward ^ backward is ASCII,
# i.e. where their bit-7 patterns agree, so every pair in a matching bucket is a key.

C_STEP = 0xff51afd7ed558ccd
C_STEP_INV = pow(C_STEP, -1, 1 << 64)
HIGH_BITS = 0x8080808080808080


def xorshift32(h):
    """h ^ (h >> 32), which is its own inverse (the high half passes unchanged)."""
    return h ^ (h >> 32)


def step(h, w):
    return xorshift32(((h ^ w) * C_STEP) & M64)


def unstep(h, w):
    return ((xorshift32(h) * C_STEP_INV) & M64) ^ w


def ascii_word(i, tag):
    """An 8-byte ASCII word: a tag letter and i in base 64 over [0-9A-Za-z+/]."""
    digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/'
    s = tag
    for _ in range(7):
        s += digits[i % 64]
        i //= 64
    return s.encode()


def word(b):
    return int.from_bytes(b, 'little')


def colliding_keys(n):
    """n distinct 32-byte ASCII strings with one library hash."""
    h0 = 0x9E3779B97F4A7C15 ^ ((32 * C_STEP) & M64)
    w1 = b'collide!'
    h1 = step(h0, word(w1))
    target = 0x0123456789abcdef
    side = 64
    while True:
        buckets = {}
        for j in range(side):
            w2 = ascii_word(j, 'f')
            s2 = step(h1, word(w2))
            buckets.setdefault(s2 & HIGH_BITS, ([], []))[0].append((w2, s2))
        for j in range(side):
            w4 = ascii_word(j, 'b')
            b = (xorshift32(unstep(target, word(w4))) * C_STEP_INV) & M64   # s2 ^ w3
            buckets.setdefault(b & HIGH_BITS, ([], []))[1].append((w4, b))
        keys = []
        for forward, backward in buckets.values():
            for w2, s2 in forward:
                for w4, b in backward:
                    w3 = (s2 ^ b).to_bytes(8, 'little')
                    keys.append(w1 + w2 + w3 + w4)
                    if len(keys) == n:
                        return keys
        side *= 2


# Ints whose slot (hash * 0x9E3779B97F4A7C15 >> 32, masked) is 0 in every index up to
# 2**32 slots: hash * C mod 2**64 below 2**32. An int below 2**61 - 1 is its own hash.
FIB = 0x9E3779B97F4A7C15
FIB_INV = pow(FIB, -1, 1 << 64)


def slot_zero_ints(n):
    out = []
    a = 1
    while len(out) < n:
        x = (a * FIB_INV) & M64
        if x >= 1 << 63:
            x -= 1 << 64
        if abs(x) < (1 << 61) - 1 and x != -1:
            out.append(x)
        a += 1
    return out


# ---------------------------------------------------------------------------
# The input classes: name -> (mode, first size, build(size) -> bytes, what it attacks).

def dict_of(keys):
    return PROTO4 + EMPTY_DICT + MARK + b''.join(k + NONE for k in keys) + SETITEMS + STOP


def set_of(items):
    return PROTO4 + EMPTY_SET + MARK + b''.join(items) + ADDITEMS + STOP


def str_keys_flood(n):
    return dict_of(text(k.decode()) for k in colliding_keys(n))


def bytes_keys_flood(n):
    return dict_of(binbytes(k) for k in colliding_keys(n))


def int_keys_flood(n):
    return dict_of(integer(x) for x in slot_zero_ints(n))


def nan_set(n):
    return set_of(binfloat(float('nan')) for _ in range(n))


def nan_dict(n):
    return dict_of(binfloat(float('nan')) for _ in range(n))


def bytearray_append(n):
    """bytearray(1 MiB), then n times APPEND 1 (bytearray.append)."""
    return (PROTO4 + global_('builtins', 'bytearray') + MARK + integer(1 << 20) + TUPLE + REDUCE
            + (integer(1) + APPEND) * n + STOP)


def getattr_chain(n):
    """getattr(getattr(int, '__class__'), '__class__') ... n levels deep."""
    body = global_('builtins', 'getattr') + put(0) + POP + global_('builtins', 'int')
    level = put(1) + POP + get(0) + MARK + get(1) + text('__class__') + TUPLE + REDUCE
    return PROTO4 + body + level * n + STOP


def method_owner_chain(n):
    """getattr(getattr(str, 'join'), '__objclass__') ... n levels deep: str.join.__objclass__
    is str again, so each level is a real attribute whose name, spelled out, grows."""
    body = global_('builtins', 'getattr') + put(0) + POP + global_('builtins', 'str')
    level = put(1) + POP + get(0) + MARK + get(1) + text('join') + TUPLE + REDUCE
    level += put(1) + POP + get(0) + MARK + get(1) + text('__objclass__') + TUPLE + REDUCE
    return PROTO4 + body + level * (n // 2) + STOP


def bytes_then_pop(n):
    """n times: bytes(32 MiB), then POP."""
    one = global_('builtins', 'bytes') + MARK + integer(32 << 20) + TUPLE + REDUCE + POP
    return PROTO4 + one * n + NONE + STOP


def set_then_pop(n):
    """A list of 100k ints, then n times set(list) and POP."""
    lst = EMPTY_LIST + MARK + b''.join(integer(i) for i in range(100000)) + APPENDS + put(0) + POP
    one = global_('builtins', 'set') + MARK + get(0) + TUPLE + REDUCE + POP
    return PROTO4 + lst + one * n + NONE + STOP


def encode_then_pop(n):
    """A 4 MiB str, then n times _codecs.encode(s, 'latin-1') and POP."""
    s = text('x' * (4 << 20)) + put(0) + POP
    one = global_('_codecs', 'encode') + MARK + get(0) + text('latin-1') + TUPLE + REDUCE + POP
    return PROTO4 + s + one * n + NONE + STOP


def small_then_pop(n):
    """n times: small containers and strs built, nested, and popped at once."""
    one = EMPTY_LIST + POP + EMPTY_DICT + text('ab') + EMPTY_LIST + NONE + APPEND + text('cd') + APPEND
    one += b's' + POP + MARK + NONE + text('gh') + TUPLE + POP
    return PROTO4 + one * n + NONE + STOP


def memo_ladder(n):
    """None stored at memo indexes 1, 2, 4, ... 2**(n-1)."""
    return PROTO4 + NONE + b''.join(put(1 << k) for k in range(n)) + STOP


def wide_list(n):
    return PROTO4 + EMPTY_LIST + MARK + NONE * n + APPENDS + STOP


def deep_list(n):
    """[[[...]]] n deep: each list appended to the one below it on the stack."""
    return PROTO4 + EMPTY_LIST * n + APPEND * (n - 1) + STOP


def set_shared_str(n):
    """A set of n tuples (s, i) sharing one 1 MiB str s."""
    s = text('y' * (1 << 20)) + put(0) + POP
    return PROTO4 + s + EMPTY_SET + MARK + b''.join(get(0) + integer(i) + TUPLE2 for i in range(n)) + ADDITEMS + STOP


def set_frozenset_dag(n):
    """F_k = frozenset({F_(k-1), k}) 2000 deep, then a set of n tuples (F_2000, i)."""
    chain = MARK + FROZENSET + put(0) + POP
    for k in range(1, 2001):
        chain += MARK + get(0) + integer(k) + FROZENSET + put(0) + POP
    return PROTO4 + chain + EMPTY_SET + MARK + b''.join(get(0) + integer(i) + TUPLE2 for i in range(n)) + ADDITEMS + STOP


CLASSES = {
    # name: (mode, first size, builder, what it attacks)
    'str_keys_flood': ('load', 4096, str_keys_flood, 'str dict keys with one library hash'),
    'bytes_keys_flood': ('load', 4096, bytes_keys_flood, 'bytes dict keys with one library hash'),
    'int_keys_flood': ('load', 4096, int_keys_flood, 'int dict keys on one index slot'),
    'nan_set': ('load', 4096, nan_set, 'a set of distinct NaN objects'),
    'nan_dict': ('load', 4096, nan_dict, 'a dict with distinct NaN keys'),
    'bytearray_append': ('load', 4096, bytearray_append, 'APPEND to a 1 MiB bytearray'),
    'getattr_chain': ('load', 4096, getattr_chain, 'getattr(..., "__class__") chains'),
    'method_owner_chain': ('load', 4096, method_owner_chain, 'getattr chains of real attributes'),
    'bytes_then_pop': ('load', 4, bytes_then_pop, 'bytes(32 MiB) created and popped'),
    'set_then_pop': ('load', 16, set_then_pop, 'set(list) created and popped'),
    'encode_then_pop': ('load', 16, encode_then_pop, '_codecs.encode created and popped'),
    'small_then_pop': ('load', 1 << 14, small_then_pop, 'small values built and popped'),
    'memo_ladder': ('load', 16, memo_ladder, 'LONG_BINPUT at doubling indexes'),
    'wide_list_load': ('load', 1 << 20, wide_list, 'a wide list'),
    'deep_list_load': ('load', 1 << 14, deep_list, 'deeply nested lists'),
    'wide_list_show': ('show', 1 << 20, wide_list, 'repr of a wide list'),
    'wide_list_dis': ('dis', 1 << 16, wide_list, 'disassembly of a wide list'),
    'set_shared_str': ('roundtrip', 64, set_shared_str, 'a set of tuples sharing a 1 MiB str'),
    'set_frozenset_dag': ('roundtrip', 64, set_frozenset_dag, 'a set of tuples sharing a frozenset DAG'),
}

# How sizes grow per class: x4, except the ladder (one rung a step) and the pops (x2).
GROWTH = {'memo_ladder': lambda n: n + 2, 'bytes_then_pop': lambda n: n * 2}

# ---------------------------------------------------------------------------
# Running one side.

CPYTHON_CHILD = r'''
import hashlib, pickle, pickletools, sys, time
sys.path.insert(0, %(root)r)
from conformance.sandbox import guarded, raise_recursion_limit


class Digest:
    # What the tool would print, hashed as it comes (not held: dis of a large pickle
    # prints far more than the pickle).
    def __init__(self):
        self.sha = hashlib.sha256()

    def write(self, text):
        self.sha.update(text.encode('utf-8', 'surrogateescape'))


mode, path = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
raise_recursion_limit()
out = Digest()
start = time.process_time()
with guarded():
    if mode == 'dis':
        pickletools.dis(data, out)
    else:
        value = pickle.loads(data)
        if mode == 'show':
            out.write(repr(value) + '\n')
        elif mode == 'roundtrip':
            out.sha.update(pickle.dumps(value, 4))
elapsed = time.process_time() - start
print(out.sha.hexdigest())
print(elapsed)
'''


def run_side(argv, timeout, memory_mb, env=None):
    """(status, CPU seconds, peak RSS in MB, SHA-256 of stdout, stdout's last 200 bytes):
    status 'ok', 'error: ...' or 'timeout' (then the CPU time is the wall time it ran, and
    the peak unknown). GNU time
    measures the run: a process this script forked would keep this one's peak as its own
    (wait4's ru_maxrss survives fork and exec), one that time forks does not."""
    with tempfile.TemporaryDirectory() as tmp:
        measured = os.path.join(tmp, 'time')
        shell = ['sh', '-c', 'ulimit -v %d && exec "$@"' % (memory_mb << 10), 'sh',
                 TIME, '-q', '-o', measured, '-f', '%U %S %M'] + argv
        with open(os.path.join(tmp, 'out'), 'w+b') as out, open(os.path.join(tmp, 'err'), 'w+b') as err:
            proc = subprocess.Popen(shell, stdout=out, stderr=err, start_new_session=True, env=env)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return 'timeout', timeout, None, None, ''
            out.seek(0)
            sha = hashlib.sha256()
            for chunk in iter(lambda: out.read(1 << 20), b''):
                sha.update(chunk)
            out.seek(max(0, out.tell() - 200))
            tail = out.read().decode('utf-8', 'replace')
            err.seek(0)
            last = err.read().decode('utf-8', 'replace').rstrip('\n').split('\n')[-1]
        with open(measured) as f:
            user, system, peak_kb = f.read().split()[-3:]
    status = 'ok' if proc.returncode == 0 else 'error: ' + last[:80]
    return status, float(user) + float(system), int(peak_kb) / 1024.0, sha.hexdigest(), tail


def run_cpython(mode, path, args):
    """CPython's CPU time is that of the operation alone (its start-up and imports take
    about 0.07 s); its peak is the whole process's, as the library's."""
    # PYTHONHASHSEED=0: the hash seed whose set order the library reproduces.
    status, cpu, peak, _, tail = run_side([sys.executable, '-c', CPYTHON_CHILD % {'root': ROOT}, mode, path],
                                          args.timeout, args.memory, dict(os.environ, PYTHONHASHSEED='0'))
    result = None
    if status == 'ok':
        result, cpu = tail.split()[-2], float(tail.split()[-1])
    return status, cpu, peak, result


def run_library(mode, path, args):
    extra = ['--protocol', '4'] if mode == 'roundtrip' else []
    status, cpu, peak, digest, _ = run_side([args.pickletool, mode] + extra + [path], args.timeout, args.memory)
    return status, cpu, peak, digest if status == 'ok' and mode != 'load' else None


def same_result(lib, cpy):
    """Whether both sides decided alike: the same output (its digest), or errors of the same
    class; None when either was stopped."""
    if lib[0] == 'timeout' or cpy[0] == 'timeout':
        return None
    if lib[0] == 'ok' or cpy[0] == 'ok':
        return lib[0] == cpy[0] and (lib[3] is None or cpy[3] is None or lib[3] == cpy[3])
    error_class = lambda status: status[len('error: '):].split(':', 1)[0].strip()
    return error_class(lib[0]) == error_class(cpy[0])


def within_bar(lib, cpy):
    """The project's bar: 2x CPython's CPU time, 2x its peak memory plus 16 MB."""
    if lib[0] != 'ok' and cpy[0] == 'ok':
        return False
    if lib[0] == 'timeout':
        return False
    if cpy[0] == 'timeout':
        return True
    return lib[1] <= 2 * cpy[1] + 0.01 and lib[2] <= 2 * cpy[2] + 16


def measure(name, args):
    mode, size, build, what = CLASSES[name]
    grow = GROWTH.get(name, lambda n: n * 4)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.max_steps):
            path = os.path.join(tmp, 'input.pickle')
            data = build(size)
            with open(path, 'wb') as f:
                f.write(data)
            cpy = run_cpython(mode, path, args)
            lib = run_library(mode, path, args)
            rows.append({'size': size, 'bytes': len(data), 'cpython': cpy, 'library': lib})
            print('  %-18s n=%-9d %9d B  CPython %-8s %7.3f s %7s MB   library %-8s %7.3f s %7s MB'
                  % (name, size, len(data), cpy[0][:8], cpy[1], megabytes(cpy[2]), lib[0][:8], lib[1],
                     megabytes(lib[2])), file=sys.stderr, flush=True)
            if cpy[1] >= args.min_cpython or cpy[0] != 'ok':
                break
            size = grow(size)
    return {'name': name, 'mode': mode, 'what': what, 'rows': rows}


def ratio(a, b):
    return '%.1fx' % (a / b) if a is not None and b else '-'


def megabytes(x):
    return '-' if x is None else '%.0f' % x


def table(results):
    lines = ['| input | mode | size | CPython CPU | library CPU | ratio | CPython peak | library peak | ratio '
             '| within bar | same result |',
             '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|']
    for r in results:
        last = r['rows'][-1]
        cpy, lib = last['cpython'], last['library']

        def cell(side):
            return side[0] if side[0] != 'ok' else ''
        same = same_result(lib, cpy)
        lines.append('| %s | %s | %d (%d B) | %.3f s %s | %.3f s %s | %s | %s MB | %s MB | %s | %s | %s |' % (
            r['name'], r['mode'], last['size'], last['bytes'], cpy[1], cell(cpy), lib[1], cell(lib),
            ratio(lib[1], cpy[1]), megabytes(cpy[2]), megabytes(lib[2]), ratio(lib[2], cpy[2]),
            'yes' if within_bar(lib, cpy) else 'NO', '-' if same is None else 'yes' if same else 'NO'))
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--pickletool', required=True)
    parser.add_argument('--only', help='comma-separated class names (default: all)')
    parser.add_argument('--min-cpython', type=float, default=0.1,
                        help='stop growing a class once CPython takes this many CPU seconds')
    parser.add_argument('--max-steps', type=int, default=8)
    parser.add_argument('--timeout', type=float, default=60.0, help='seconds per run')
    parser.add_argument('--memory', type=int, default=8192, help='address-space limit per run, MB')
    parser.add_argument('--json', help='also write the measurements here')
    args = parser.parse_args()
    names = args.only.split(',') if args.only else list(CLASSES)
    unknown = [n for n in names if n not in CLASSES]
    if unknown:
        parser.error('unknown classes: %s (known: %s)' % (', '.join(unknown), ', '.join(CLASSES)))
    results = [measure(name, args) for name in names]
    print(table(results))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    last = [(r['rows'][-1]['library'], r['rows'][-1]['cpython']) for r in results]
    return 0 if all(within_bar(lib, cpy) and same_result(lib, cpy) is not False for lib, cpy in last) else 1


if __name__ == '__main__':
    sys.exit(main())
