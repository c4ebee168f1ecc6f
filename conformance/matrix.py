#!/usr/bin/env python3
"""The suite under every CPython installed: one run of run.py per oracle version, then
one table, oracle version x area.

    python3 conformance/matrix.py                                  # 3.8 .. 3.13, default size
    python3 conformance/matrix.py --versions 3.12,3.13 -- --seed 7 --random 20

Arguments after `--` go to every run.py (not --python or --out). Each version's report
is written to OUT/<version>/ (report.md, report.json, the saved disagreements), and the
matrix to OUT/matrix.md (default OUT: conformance/out/matrix). A version that is not
installed (neither among pyenv's versions nor as pythonX.Y on PATH) is skipped and the
matrix says so. Exit status 1 when any run disagrees or fails.
"""

import argparse
import json
import os
import subprocess
import sys

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.cli import find_python  # noqa: E402
from conformance.paths import OUT_DIR, ROOT  # noqa: E402

VERSIONS = ('3.8', '3.9', '3.10', '3.11', '3.12', '3.13')
RUN = os.path.join(ROOT, 'conformance', 'run.py')


def cell(area):
    if not area.get('available', True):
        return 'not available'
    compared = area['compared']
    if not compared:
        return '-'
    text = '%d/%d (%.2f%%)' % (area['agree'], compared, 100.0 * area['agree'] / compared)
    apart = sum(area.get('apart', {}).values())
    return text + (' +%d apart' % apart if apart else '')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split('\n\n', 1)[1])
    ap.add_argument('--versions', default=','.join(VERSIONS),
                    help='comma-separated CPython versions (default: %(default)s)')
    ap.add_argument('--out', default=os.path.join(OUT_DIR, 'matrix'),
                    help='where the reports go (default: %(default)s)')
    ap.add_argument('run_args', nargs='*', help='arguments for run.py (after --)')
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    rows, notes, areas, status = [], [], [], 0
    for version in [v.strip() for v in args.versions.split(',') if v.strip()]:
        python = find_python(version)
        if python is None:
            notes.append('CPython %s: not installed, skipped' % version)
            print(notes[-1], flush=True)
            continue
        version_out = os.path.join(out, version)
        print('== CPython %s (%s)' % (version, python), flush=True)
        proc = subprocess.run([sys.executable, RUN, '--python', python, '--out', version_out]
                              + args.run_args)
        try:
            with open(os.path.join(version_out, 'report.json'), encoding='utf-8') as f:
                report = json.load(f)
        except (OSError, ValueError):
            notes.append('CPython %s: run.py gave no report (exit status %d)'
                         % (version, proc.returncode))
            status = 1
            continue
        if proc.returncode != 0:
            status = 1
        for name in report['areas']:
            if name not in areas:
                areas.append(name)
        rows.append((report.get('python', version), report['cases'], report['seconds'],
                     report['areas']))
    lines = ['# Conformance matrix', '', '`%s`' % ' '.join(sys.argv), '',
             'Rows: the CPython that is the oracle; cells: agree/compared for the area, and '
             'how many outcomes were counted apart (see each version\'s report.md).', '',
             '| CPython | cases | seconds | ' + ' | '.join(areas) + ' |',
             '|---|---:|---:|' + '---|' * len(areas)]
    for version, cases, seconds, by_area in rows:
        lines.append('| %s | %d | %.0f | %s |' % (
            version, cases, seconds,
            ' | '.join(cell(by_area[a]) if a in by_area else '' for a in areas)))
    lines += [''] + ['* ' + n for n in notes]
    text = '\n'.join(lines) + '\n'
    with open(os.path.join(out, 'matrix.md'), 'w', encoding='utf-8') as f:
        f.write(text)
    print(text)
    return status


if __name__ == '__main__':
    sys.exit(main())
