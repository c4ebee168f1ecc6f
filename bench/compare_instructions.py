#!/usr/bin/env python3
"""Instructions the library executes per workload, in two builds of pickle_bench.

Wall-clock medians on a shared or virtual machine can vary by more than the differences a
refactor makes; instruction counts do not. Each benchmark runs under callgrind for 1 and
for 11 iterations (pickle_bench --iterations=N), counted inside the benchmark function;
the difference over 10 is one iteration (report.py's instructions_per_iteration):

    python3 bench/compare_instructions.py --base OLD/bench/pickle_bench \\
        --head build-release/bench/pickle_bench
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import instructions_per_iteration  # noqa: E402

DEFAULT = ['Loads_bm_pickle/cpp/5', 'Loads_bm_pickle_dict/cpp/2', 'Loads_records_100k/cpp/5',
           'Loads_strs_1m/cpp/2', 'Loads_tuples_200k/cpp/2', 'Loads_memo_heavy/cpp/5',
           'Loads_small_message/cpp/5', 'Loads_ints_1m/cpp/2', 'Dumps_bm_pickle/cpp/5',
           'Dumps_bm_pickle_dict/cpp/2', 'Dumps_records_100k/cpp/5', 'Dumps_strs_1m/cpp/5',
           'Dumps_small_message/cpp/5', 'Dumps_tuples_200k/cpp/2']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--base', required=True, help='pickle_bench before the change')
    ap.add_argument('--head', required=True, help='pickle_bench after the change')
    ap.add_argument('--benchmarks', default=','.join(DEFAULT),
                    help='comma-separated names without BM_ (default: %(default)s)')
    args = ap.parse_args()
    print('| benchmark | base | head | change |')
    print('|---|---:|---:|---:|')
    worst = 0.0
    for name in args.benchmarks.split(','):
        base, head = instructions_per_iteration(args.base, name), instructions_per_iteration(args.head, name)
        change = (head / base - 1) * 100
        worst = max(worst, change)
        print('| %s | %d | %d | %+.2f%% |' % (name, base, head, change), flush=True)
    print('\nlargest increase: %+.2f%%' % worst)


if __name__ == '__main__':
    main()
