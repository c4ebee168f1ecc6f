#!/usr/bin/env python3
"""Scanning speed: pickle::scan against pickletools.genops (the opcode walk Python
scanners are built on), in process on the benchmark workloads (pickle_bench's BM_Scan_*,
beside the library's plain loads), and as whole processes on files: `pickletool scan`
against `python3` walking the same pickles with genops, including a 1 GiB PyTorch-style
zip archive. Writes bench/scan_results.md.

    cmake --preset release && cmake --build build-release
    python3 bench/scan_report.py            # a few minutes; needs about 1.1 GB in the temp folder
"""

import argparse
import collections
import os
import pickle
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import types
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from report import run_benchmarks  # noqa: E402

NAME = re.compile(r'BM_Scan_(\w+?)/(cpp|loads|genops)/(\d)')
GENOPS_WALK = ('import pickletools, sys, zipfile\n'
               'path = sys.argv[1]\n'
               'if zipfile.is_zipfile(path):\n'
               '    z = zipfile.ZipFile(path)\n'
               '    blobs = [z.read(n) for n in z.namelist() if n.endswith(".pkl")]\n'
               'else:\n'
               '    blobs = [open(path, "rb").read()]\n'
               'for b in blobs:\n'
               '    for _ in pickletools.genops(b):\n'
               '        pass\n')


def in_process(build, repetitions, min_time):
    data = run_benchmarks(os.path.join(build, 'bench', 'pickle_bench'), [
        '--benchmark_filter=BM_Scan_[a-z0-9_]+/(cpp|loads|genops)/(2|5)',
        f'--benchmark_repetitions={repetitions}', '--benchmark_report_aggregates_only=true',
        f'--benchmark_min_time={min_time}'])
    rates = collections.defaultdict(dict)
    for b in data['benchmarks']:
        m = NAME.match(b['name'])
        if not m or b.get('aggregate_name') != 'median':
            continue
        workload, side, proto = m.groups()
        rates[(workload, int(proto))][side] = b['bytes_per_second'] / 1e6
    lines = ['| workload | protocol | scan MB/s | loads MB/s | scan / loads | genops MB/s | scan / genops |',
             '|---|---|---:|---:|---:|---:|---:|']
    for (workload, proto), r in sorted(rates.items()):
        scan, loads, genops = r.get('cpp'), r.get('loads'), r.get('genops')
        if not (scan and loads and genops):
            continue
        lines.append(f'| {workload} | {proto} | {scan:,.0f} | {loads:,.0f} | {scan / loads:.2f} | {genops:,.1f} | '
                     f'**{scan / genops:.0f}x** |')
    return '\n'.join(lines), data.get('context', {})


def torch_archive(path, total_bytes, tensors):
    """torch.save's layout for a state dict of `tensors` float32 tensors holding
    total_bytes in all: archive/data.pkl (written by CPython with stand-ins for torch's
    names, as torch writes it) and one stored member per storage."""
    torch = types.ModuleType('torch')
    utils = types.ModuleType('torch._utils')

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise NotImplementedError

    FloatStorage.__module__, FloatStorage.__qualname__ = 'torch', 'FloatStorage'
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = 'torch._utils', '_rebuild_tensor_v2'
    torch.FloatStorage, utils._rebuild_tensor_v2, torch._utils = FloatStorage, _rebuild_tensor_v2, utils
    saved = {k: sys.modules.get(k) for k in ('torch', 'torch._utils')}
    sys.modules['torch'], sys.modules['torch._utils'] = torch, utils

    per = total_bytes // tensors // 4 * 4

    class Storage:
        def __init__(self, key):
            self.key = key

    class Tensor:
        def __init__(self, key):
            self.storage = Storage(key)

        def __reduce_ex__(self, proto):
            n = per // 4
            return _rebuild_tensor_v2, (self.storage, 0, (n,), (1,), False, collections.OrderedDict())

    class Saver(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ('storage', FloatStorage, obj.key, 'cpu', per // 4)
            return None

    state = collections.OrderedDict(('layer%d.weight' % i, Tensor(str(i))) for i in range(tensors))
    try:
        with tempfile.SpooledTemporaryFile() as f:
            Saver(f, protocol=2).dump(state)
            f.seek(0)
            data_pkl = f.read()
    finally:
        for k, v in saved.items():
            if v is None:
                del sys.modules[k]
            else:
                sys.modules[k] = v
    block = bytes(per)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', data_pkl)
        z.writestr('archive/byteorder', 'little')
        for i in range(tensors):
            z.writestr('archive/data/%d' % i, block)
        z.writestr('archive/version', '3\n')
    return len(data_pkl)


def wall(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if r.returncode not in (0, 3):
            sys.exit('%s failed: %s' % (' '.join(cmd), r.stderr.decode()[-500:]))
    return statistics.median(times)


def whole_process(build, runs, archive_bytes):
    tool = os.path.join(build, 'tools', 'pickletool')
    rows = ['| file | size | pickle bytes | `pickletool scan` | `python3` genops walk | speedup |',
            '|---|---:|---:|---:|---:|---:|']
    with tempfile.TemporaryDirectory() as d:
        files = []
        big = os.path.join(d, 'ints_1m.pkl')
        with open(big, 'wb') as f:
            pickle.dump(list(range(1_000_000)), f, protocol=5)
        files.append(('list of 10^6 ints (protocol 5)', big, os.path.getsize(big)))
        records = os.path.join(d, 'records.pkl')
        with open(records, 'wb') as f:
            pickle.dump([{'id': i, 'name': 'user%d' % i, 'score': i * 0.5, 'tags': ['a', 'b']}
                         for i in range(100_000)], f, protocol=4)
        files.append(('10^5 records (protocol 4)', records, os.path.getsize(records)))
        archive = os.path.join(d, 'model.pt')
        pkl = torch_archive(archive, archive_bytes, 1000)
        files.append(('PyTorch-style archive, 1000 tensors', archive, pkl))
        for label, path, pickle_bytes in files:
            ours = wall([tool, 'scan', '--policy', 'weights-only', path], runs)
            theirs = wall([sys.executable, '-c', GENOPS_WALK, path], runs)
            size = os.path.getsize(path)
            rows.append(f'| {label} | {size / 1e6:,.1f} MB | {pickle_bytes / 1e6:,.2f} MB | {ours * 1e3:,.0f} ms | '
                        f'{theirs * 1e3:,.0f} ms | **{theirs / ours:.1f}x** |')
    return '\n'.join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default=os.path.join(os.path.dirname(HERE), 'build-release'),
                    help='a Release build holding bench/pickle_bench and tools/pickletool')
    ap.add_argument('--repetitions', type=int, default=3)
    ap.add_argument('--min-time', type=float, default=0.3)
    ap.add_argument('--runs', type=int, default=3, help='runs of each whole-process command (median)')
    ap.add_argument('--archive-bytes', type=int, default=1 << 30)
    ap.add_argument('--out', default=os.path.join(HERE, 'scan_results.md'))
    args = ap.parse_args()

    table, ctx = in_process(args.build, args.repetitions, args.min_time)
    processes = whole_process(args.build, args.runs, args.archive_bytes)
    report = (f"Machine: {platform.node()} ({ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
              f"{platform.platform()}), {ctx.get('date', '')}. Regenerate: `python3 bench/scan_report.py`.\n\n"
              "In process (medians of CPU time): `pickle::scan` with the builtins policy, "
              "`pickle::loads` of the same bytes (a fresh unpickler and graph each time, as a scan has), and "
              "`pickletools.genops` walking them in the embedded CPython "
              f"{platform.python_version()}.\n\n{table}\n\n"
              "Whole processes (medians of wall time, process start included): `pickletool scan "
              "--policy weights-only FILE` against `python3 -c` walking every pickle of FILE (each `.pkl` "
              "member of an archive) with genops.\n\n" + processes + '\n')
    print(report)
    with open(args.out, 'w') as f:
        f.write(report)
    print('wrote', args.out, file=sys.stderr)


if __name__ == '__main__':
    main()
