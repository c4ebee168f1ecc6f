#!/usr/bin/env python3
"""Run the benchmarks and report the library against CPython's _pickle.

    python3 bench/report.py --build build-release          # full run (about 10 minutes)
    python3 bench/report.py --build build --smoke          # seconds: CI's smoke pass
    python3 bench/report.py --json results.json            # report an earlier run

Prints a Markdown table (per workload and protocol: C++ and CPython throughput in MB/s
and objects/s, and the speedup, CPython's time over the library's), the peak memory of
loading each large workload on both sides, and writes the table to bench/results.md and
the speedups as an SVG bar chart to doc/bench.svg. Both sides run in one process
(pickle_bench embeds CPython), on the same object graphs (bench/workloads.py); medians
over repetitions.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

LARGE = ['ints_1m', 'floats_1m', 'strs_1m', 'records_100k', 'tuples_200k', 'memo_heavy',
         'bytes_100mb']
SMOKE_FILTER = 'bm_pickle_list|small_message'

# Targets of the project (issue "Benchmarks against CPython's _pickle").
TARGETS = {'Loads': 8.0, 'Dumps': 5.0}


def run_benchmarks(binary, args):
    with tempfile.NamedTemporaryFile(suffix='.json', delete=False) as f:
        out = f.name
    cmd = [binary, '--benchmark_format=console', f'--benchmark_out={out}',
           '--benchmark_out_format=json'] + args
    print('$', ' '.join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    with open(out) as f:
        data = json.load(f)
    os.unlink(out)
    return data


NAME = re.compile(r'BM_(Loads|Dumps)_(\w+?)/(cpp|cpython)/(\d)')


def collect(data):
    """(op, workload, proto) -> {'cpp': bench, 'cpython': bench}, medians preferred."""
    rows = {}
    for b in data['benchmarks']:
        if b.get('run_type') == 'aggregate' and b.get('aggregate_name') != 'median':
            continue
        m = NAME.match(b['name'])
        if not m:
            continue
        op, workload, impl, proto = m.groups()
        entry = rows.setdefault((op, workload, int(proto)), {})
        if b.get('error_occurred'):
            entry[impl] = {'error': b.get('error_message', 'error')}
        elif impl not in entry or b.get('run_type') == 'aggregate':
            entry[impl] = b
    return rows


def throughput(b):
    """(MB/s, objects/s, seconds per iteration) of a benchmark result."""
    scale = {'ns': 1e-9, 'us': 1e-6, 'ms': 1e-3, 's': 1.0}[b.get('time_unit', 'ns')]
    seconds = b['cpu_time'] * scale
    return b.get('bytes_per_second', 0) / 1e6, b.get('items_per_second', 0), seconds


def fmt_rate(x):
    if x >= 1e9:
        return f'{x / 1e9:.2f} G'
    if x >= 1e6:
        return f'{x / 1e6:.1f} M'
    if x >= 1e3:
        return f'{x / 1e3:.1f} k'
    return f'{x:.0f}'


def table(rows):
    lines = ['| operation | workload | protocol | C++ MB/s | C++ objects/s | CPython MB/s | '
             'CPython objects/s | speedup |',
             '|---|---|---|---:|---:|---:|---:|---:|']
    speedups = []
    for (op, workload, proto), entry in sorted(rows.items(), key=lambda kv: (kv[0][0] != 'Loads', kv[0][1], -kv[0][2])):
        cpp, py = entry.get('cpp'), entry.get('cpython')
        if not cpp or 'error' in cpp:
            continue
        c_mb, c_obj, c_s = throughput(cpp)
        if not py or 'error' in py:
            note = py['error'] if py else 'not run'
            lines.append(f'| {op.lower()} | {workload} | {proto} | {c_mb:,.0f} | {fmt_rate(c_obj)} | – | – | CPython: {note} |')
            continue
        p_mb, p_obj, p_s = throughput(py)
        ratio = p_s / c_s if c_s else float('inf')
        if workload.endswith('_borrowed'):
            # CPython has no zero-copy load: its row is the plain one, so no speedup to chart.
            lines.append(f'| {op.lower()} | {workload} | {proto} | {c_mb:,.0f} | {fmt_rate(c_obj)} | '
                         f'{p_mb:,.0f} | {fmt_rate(p_obj)} | zero-copy (CPython: a plain load) |')
            continue
        speedups.append((op, workload, proto, ratio))
        lines.append(f'| {op.lower()} | {workload} | {proto} | {c_mb:,.0f} | {fmt_rate(c_obj)} | '
                     f'{p_mb:,.0f} | {fmt_rate(p_obj)} | **{ratio:.1f}x** |')
    return '\n'.join(lines), speedups


def peak_memory(build, python):
    """Peak RSS growth of loading each large workload, C++ and CPython."""
    tool = os.path.join(build, 'bench', 'pickle_peak_memory')
    code = ('import pickle,sys\n'
            'data=open(sys.argv[1],"rb").read()\n'
            'def field(n):\n'
            '    for line in open("/proc/self/status"):\n'
            '        if line.startswith(n+":"): return int(line.split()[1])*1024\n'
            'open("/proc/self/clear_refs","w").write("5")\n'
            'before=field("VmRSS"); obj=pickle.loads(data); print(field("VmHWM")-before)\n')
    lines = ['| workload (protocol 5) | pickle size | C++ peak | CPython peak | C++ / CPython |',
             '|---|---:|---:|---:|---:|']
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_workload_files(tmp, LARGE + ['nested_1m'])
        for name, path in paths.items():
            size = os.path.getsize(path)
            cpp = int(subprocess.run([tool, path], check=True, capture_output=True, text=True).stdout)
            py = int(subprocess.run([python, '-c', code, path], check=True, capture_output=True, text=True,
                                    env=dict(os.environ, PYTHONHASHSEED='0')).stdout)
            lines.append(f'| {name} | {size / 1e6:.1f} MB | {cpp / 1e6:.1f} MB | {py / 1e6:.1f} MB | '
                         f'{cpp / py:.2f} |')
    return '\n'.join(lines)


def write_workload_files(tmp, names):
    """Each workload pickled (protocol 5) to tmp/NAME.pickle: its object, or the list of
    its objects (nested_1m: workloads.nested_pickle()). Returns {name: path}.

    Built in a child process, so that this one stays small: a child's peak RSS counts
    its parent's from before the exec."""
    code = ('import os, pickle, sys\n'
            'sys.path.insert(0, sys.argv[1])\n'
            'import workloads\n'
            'for name in sys.argv[3:]:\n'
            '    with open(os.path.join(sys.argv[2], name + ".pickle"), "wb") as f:\n'
            '        if name == "nested_1m":\n'
            '            f.write(workloads.nested_pickle())\n'
            '        else:\n'
            '            objects = workloads.build(name)\n'
            '            pickle.dump(objects[0] if len(objects) == 1 else objects, f, 5)\n')
    subprocess.run([sys.executable, '-c', code, HERE, tmp] + list(names), check=True)
    return {name: os.path.join(tmp, name + '.pickle') for name in names}


def run_timed(cmd):
    """Wall seconds and peak RSS (bytes) of one run of cmd, its output to /dev/null."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit('failed (%d): %s\n%s' % (proc.returncode, ' '.join(cmd), proc.stderr.read().decode()[-2000:]))
    proc.stderr.close()
    return elapsed, usage.ru_maxrss * 1024


def median_run(cmd, repetitions):
    runs = [run_timed(cmd) for _ in range(repetitions)]
    return statistics.median(t for t, _ in runs), max(m for _, m in runs)


WHOLE_PROCESS_WORKLOADS = ['bm_pickle', 'small_message'] + LARGE
PY_ROUNDTRIP = 'import pickle,sys; sys.stdout.buffer.write(pickle.dumps(pickle.loads(open(sys.argv[1],"rb").read())))'
PY_SHOW = 'import pickle,sys; print(repr(pickle.loads(open(sys.argv[1],"rb").read())))'


def whole_process(build, python, repetitions):
    """pickletool roundtrip/dis/show against the same work done by python3, per file."""
    tool = os.path.join(build, 'tools', 'pickletool')
    commands = [
        ('roundtrip', lambda f: [tool, 'roundtrip', f], lambda f: [python, '-c', PY_ROUNDTRIP, f]),
        ('dis', lambda f: [tool, 'dis', f], lambda f: [python, '-m', 'pickletools', f]),
        ('show', lambda f: [tool, 'show', f], lambda f: [python, '-c', PY_SHOW, f]),
    ]
    lines = ['| command | workload | pickle size | pickletool | python3 | speedup | pickletool peak RSS | '
             'python3 peak RSS |',
             '|---|---|---:|---:|---:|---:|---:|---:|']
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_workload_files(tmp, WHOLE_PROCESS_WORKLOADS)
        for command, ours, theirs in commands:
            for name in WHOLE_PROCESS_WORKLOADS:
                path = paths[name]
                print(f'whole process: {command} {name}', file=sys.stderr, flush=True)
                c_t, c_m = median_run(ours(path), repetitions)
                # pickletools takes seconds a run on the large files: 3 runs there.
                p_t, p_m = median_run(theirs(path), 3 if command == 'dis' and name in LARGE else repetitions)
                lines.append(f'| {command} | {name} | {os.path.getsize(path) / 1e6:.2f} MB | {c_t * 1e3:,.1f} ms | '
                             f'{p_t * 1e3:,.1f} ms | **{p_t / c_t:.1f}x** | {c_m / 1e6:.0f} MB | {p_m / 1e6:.0f} MB |')
    return '\n'.join(lines)


def instructions_per_iteration(binary, name):
    """Instructions of one iteration of benchmark BM_<name> (e.g. Loads_bm_pickle/cpp/5)
    under callgrind, counted inside the benchmark function (loads_cpp, dumps_cpython,
    ...) for runs of 1 and of 11 iterations: the difference over 10 leaves the workload's
    set-up out."""
    def collected(iterations):
        collect = '*::%s_cp*' % ('loads' if name.startswith('Loads') else 'dumps')
        with tempfile.TemporaryDirectory() as tmp:
            run = subprocess.run(
                ['valgrind', '--tool=callgrind', '--callgrind-out-file=' + os.path.join(tmp, 'out'),
                 '--toggle-collect=' + collect, os.path.abspath(binary), f'--iterations={iterations}',
                 '--benchmark_filter=^BM_%s/' % re.escape(name)],
                cwd=HERE, capture_output=True, text=True, check=True)
        found = re.search(r'Collected : (\d+)', run.stderr)
        if not found or int(found.group(1)) == 0:
            sys.exit('no callgrind count for %s:\n%s' % (name, run.stderr[-2000:]))
        return int(found.group(1))
    return (collected(11) - collected(1)) / 10


def instruction_counts(binary, benchmarks):
    """Instructions per iteration of each benchmark, C++ and CPython, as a table."""
    lines = ['| operation | workload | protocol | C++ instructions | CPython instructions | CPython / C++ |',
             '|---|---|---|---:|---:|---:|']
    for op, workload, proto in benchmarks:
        counts = {}
        for impl in ('cpp', 'cpython'):
            name = f'{op}_{workload}/{impl}/{proto}'
            print(f'callgrind: {name}', file=sys.stderr, flush=True)
            counts[impl] = instructions_per_iteration(binary, name)
        lines.append(f'| {op.lower()} | {workload} | {proto} | {counts["cpp"]:,.0f} | {counts["cpython"]:,.0f} | '
                     f'**{counts["cpython"] / counts["cpp"]:.1f}x** |')
    return '\n'.join(lines)


SMALL = [(op, w, p) for op in ('Loads', 'Dumps') for w in ('bm_pickle', 'bm_pickle_list', 'bm_pickle_dict',
                                                             'small_message') for p in (5, 2)]


def svg(speedups, path):
    """Horizontal bars of the speedups, log scale, with the target lines."""
    import math
    bar_h, gap, left, width = 16, 4, 260, 520
    top = 30
    height = top + len(speedups) * (bar_h + gap) + 40
    hi = max([r for *_, r in speedups] + [16])
    scale = lambda r: left + width * math.log2(max(r, 0.125) * 8) / math.log2(hi * 8)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="16" font-size="13">Speedup over CPython _pickle (CPython time / C++ time, log scale)</text>']
    for x in (1, 2, 4, 8, 16, 32, 64):
        if x > hi * 1.01:
            break
        out.append(f'<line x1="{scale(x):.1f}" y1="{top - 4}" x2="{scale(x):.1f}" y2="{height - 30}" stroke="#ddd"/>')
        out.append(f'<text x="{scale(x):.1f}" y="{height - 16}" text-anchor="middle">{x}x</text>')
    for i, (op, workload, proto, ratio) in enumerate(speedups):
        y = top + i * (bar_h + gap)
        color = '#3b7dd8' if op == 'Loads' else '#e07b39'
        out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{op.lower()} {workload} p{proto}</text>')
        out.append(f'<rect x="{scale(0.125):.1f}" y="{y}" width="{scale(ratio) - scale(0.125):.1f}" '
                   f'height="{bar_h}" fill="{color}"/>')
        out.append(f'<text x="{scale(ratio) + 4:.1f}" y="{y + 12}">{ratio:.1f}x</text>')
    for op, target in TARGETS.items():
        out.append(f'<line x1="{scale(target):.1f}" y1="{top - 4}" x2="{scale(target):.1f}" y2="{height - 30}" '
                   f'stroke="{"#3b7dd8" if op == "Loads" else "#e07b39"}" stroke-dasharray="4 3"/>')
    out.append('</svg>')
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default=os.path.join(ROOT, 'build-release'),
                    help='build directory holding bench/pickle_bench (a Release build)')
    ap.add_argument('--json', help='report this Google Benchmark JSON instead of running')
    ap.add_argument('--smoke', action='store_true', help='tiny run, small workloads only (CI)')
    ap.add_argument('--repetitions', type=int, default=5)
    ap.add_argument('--min-time', type=float, default=0.5)
    ap.add_argument('--filter', default='BM_(Loads|Dumps)_',
                    help='benchmark filter (regex; default: loads and dumps, scan_report.py runs the scans)')
    ap.add_argument('--no-memory', action='store_true', help='skip the peak-memory table')
    ap.add_argument('--no-whole-process', action='store_true',
                    help='skip the whole-process table (pickletool against python3)')
    ap.add_argument('--no-instructions', action='store_true', help='skip the callgrind instruction counts')
    ap.add_argument('--instructions', action='store_true',
                    help='only the callgrind instruction counts of the small workloads (stable on a noisy machine)')
    ap.add_argument('--out', default=os.path.join(HERE, 'results.md'))
    ap.add_argument('--svg', default=os.path.join(ROOT, 'doc', 'bench.svg'))
    args = ap.parse_args()

    if args.instructions:
        print(instruction_counts(os.path.join(args.build, 'bench', 'pickle_bench'), SMALL))
        return
    if args.json:
        with open(args.json) as f:
            data = json.load(f)
    else:
        binary = os.path.join(args.build, 'bench', 'pickle_bench')
        if args.smoke:
            bench_args = [f'--benchmark_filter={SMOKE_FILTER}', '--benchmark_min_time=0.01']
        else:
            bench_args = [f'--benchmark_repetitions={args.repetitions}', '--benchmark_report_aggregates_only=true',
                          f'--benchmark_min_time={args.min_time}']
            if args.filter:
                bench_args.append(f'--benchmark_filter={args.filter}')
        data = run_benchmarks(binary, bench_args)

    text, speedups = table(collect(data))
    ctx = data.get('context', {})
    header = (f"Machine: {platform.node()} ({ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
              f"{platform.platform()}), {ctx.get('date', '')}; medians of CPU time; speedup = CPython time / C++ time.")
    report = f'{header}\n\n{text}\n'
    if not args.smoke and not args.json and not args.no_memory:
        report += '\nPeak memory of loading (growth of the peak RSS):\n\n'
        report += peak_memory(args.build, sys.executable) + '\n'
    if not args.smoke and not args.json and not args.no_whole_process:
        report += ('\nWhole process: `pickletool roundtrip`, `dis` and `show` against `python3 -c '
                   "'pickle.dumps(pickle.loads(...))'`, `python3 -m pickletools` and `python3 -c "
                   "'print(repr(pickle.loads(...)))'` on the same file (protocol 5), output to /dev/null; "
                   'medians of wall time, start-up included; peak RSS as the kernel counts it for the child, '
                   'which is at least that of the Python running this report (about 16 MB):\n\n')
        report += whole_process(args.build, sys.executable, args.repetitions) + '\n'
    if not args.smoke and not args.json and not args.no_instructions:
        report += ('\nInstructions per iteration of the small workloads (callgrind, inside the benchmark '
                   'function; stable where wall time is noisy):\n\n')
        report += instruction_counts(os.path.join(args.build, 'bench', 'pickle_bench'), SMALL) + '\n'
    print(report)
    if not args.smoke:
        with open(args.out, 'w') as f:
            f.write(report)
        if speedups:
            svg(speedups, args.svg)
        print(f'wrote {args.out} and {args.svg}', file=sys.stderr)


if __name__ == '__main__':
    main()
