#!/usr/bin/env python3
"""Pickles of the objects users pickle most: numpy, pandas, scikit-learn and scipy
values at every protocol, one file per value and protocol, for `run.py --dir`.

    python3 conformance/library_pickles.py --out /tmp/libs
    python3 conformance/run.py --dir /tmp/libs --no-vectors --mutations 0 \
        --trust numpy,pandas,sklearn,scipy --areas dis,load,roundtrip,optimize
    python3 conformance/library_pickles.py --out /tmp/libs --suite -- --pickletool TOOL
                                            # both: what ctest runs
    python3 conformance/library_pickles.py --out /tmp/libs --scan TOOL
                                            # `TOOL scan --policy ml` finds every numpy,
                                            # scipy and scikit-learn pickle clean

Needs the libraries importable: Debian's python3-numpy, python3-pandas, python3-sklearn
and python3-scipy (their dist-packages folder is added to sys.path). Exits with status
77 and says so when one is missing. The values are fixed (seeded), so the files are the
same on every run with the same library versions.
"""

import argparse
import os
import pickle
import sys

if __package__ in (None, ''):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.sandbox import DIST_PACKAGES  # noqa: E402

MISSING = 77


def numpy_values(np):
    rng = np.random.default_rng(7)
    structured = np.array([(1, 2.5, b'ab'), (3, -1.0, b'c')],
                          dtype=[('i', '<i4'), ('f', '<f8'), ('s', 'S2')])
    out = [('np_int64', np.arange(12, dtype=np.int64).reshape(3, 4)),
           ('np_float32', np.linspace(0, 1, 7, dtype=np.float32)),
           ('np_fortran', np.asfortranarray(np.arange(6.0).reshape(2, 3))),
           ('np_bool', np.array([True, False, True])),
           ('np_complex', np.array([1 + 2j, -0.5j])),
           ('np_bigendian', np.arange(5, dtype='>i2')),
           ('np_unicode', np.array(['a', 'bcd', 'é'])),
           ('np_bytes', np.array([b'x', b'yz'])),
           ('np_datetime', np.array(['2001-02-03', '2020-01-01'], dtype='datetime64[D]')),
           ('np_timedelta', np.array([1, 2], dtype='timedelta64[s]')),
           ('np_object', np.array([1, 'two', None, [3]], dtype=object)),
           ('np_structured', structured),
           ('np_masked', np.ma.masked_array([1, 2, 3], mask=[0, 1, 0])),
           ('np_empty', np.zeros((0, 3))),
           ('np_scalar_f8', np.float64(2.5)), ('np_scalar_i4', np.int32(-7)),
           ('np_scalar_bool', np.bool_(True)), ('np_dtype', np.dtype('<f4')),
           ('np_random_array', rng.standard_normal(10)),
           ('np_generator', np.random.default_rng(1)),
           ('np_randomstate', np.random.RandomState(2)),
           ('np_shared', (lambda a: [a, a, a[1:]])(np.arange(4))),
           # numpy's reductions by dtype and byte order: datetime and object fields, the
           # other byte order (swapped into the native one on load) for each kind of unit.
           ('np_struct_datetime', np.zeros(2, dtype=[('t', 'M8[s]'), ('x', 'i4')])),
           ('np_struct_object', np.array([(1, 'a')], dtype=[('n', 'i4'), ('o', 'O')])),
           ('np_struct_fortran', np.zeros((2, 2), dtype=[('a', '>i8'), ('b', 'S3')], order='F')),
           ('np_bigendian_complex', np.array([1 + 2j, 3 - 4j], dtype='>c16')),
           ('np_bigendian_unicode', np.array(['ab', 'c'], dtype='>U3')),
           ('np_bigendian_fortran', np.asfortranarray(np.arange(6, dtype='>i4').reshape(2, 3))),
           ('np_bigendian_datetime', np.array([1, 2], dtype='>M8[ns]')),
           ('np_bigendian_shared', [np.arange(3, dtype='>i2')] * 2),
           ('np_fortran_1d', np.asfortranarray(np.arange(3.0)))]
    return out


def pandas_values(pd, np):
    idx = pd.date_range('2021-01-01', periods=4, freq='D')
    df = pd.DataFrame({'a': [1, 2, 3, 4], 'b': [0.5, None, 2.5, 3.0],
                       'c': ['x', 'y', 'z', 'w'], 't': idx})
    return [('pd_series', pd.Series([1.5, 2.5, None], name='s')),
            ('pd_series_str', pd.Series(['a', 'b'], index=['i', 'j'])),
            ('pd_dataframe', df),
            ('pd_multiindex', df.set_index(['a', 'c'])),
            ('pd_index', pd.Index([3, 1, 2])), ('pd_rangeindex', pd.RangeIndex(0, 10, 2)),
            ('pd_datetimeindex', idx),
            ('pd_categorical', pd.Categorical(['a', 'b', 'a'], categories=['a', 'b', 'c'])),
            ('pd_timestamp', pd.Timestamp('2020-02-29 12:34:56')),
            ('pd_timestamp_tz', pd.Timestamp('2020-02-29 12:00', tz='UTC')),
            ('pd_timedelta', pd.Timedelta('1 days 2 hours')),
            ('pd_period', pd.Period('2020-01', freq='M')),
            ('pd_interval', pd.Interval(0, 5)),
            ('pd_nat', pd.NaT)]


def sklearn_values(np):
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler, OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.cluster import KMeans
    x = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 2.5], [3.0, 1.5], [4.0, 3.0], [5.0, 2.0]])
    y = np.array([0, 0, 1, 1, 1, 0])
    return [('sk_linear', LinearRegression().fit(x, y)),
            ('sk_logistic', LogisticRegression().fit(x, y)),
            ('sk_tree', DecisionTreeClassifier(random_state=0, max_depth=2).fit(x, y)),
            ('sk_kmeans', KMeans(n_clusters=2, n_init=2, random_state=0).fit(x)),
            ('sk_pipeline', make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)),
            ('sk_onehot', OneHotEncoder().fit([['a'], ['b'], ['a']])),
            ('sk_unfitted', LogisticRegression(C=0.5))]


def scipy_values(np):
    from scipy import sparse
    m = np.array([[0, 1, 0], [2, 0, 3]])
    return [('sp_csr', sparse.csr_matrix(m)), ('sp_csc', sparse.csc_matrix(m)),
            ('sp_coo', sparse.coo_matrix(m)), ('sp_lil', sparse.lil_matrix(m)),
            ('sp_dok', sparse.dok_matrix(m))]


def scan_clean(tool, folder, names):
    """Every pickle of these values is clean under the ml policy, which allows what
    numpy, scipy and scikit-learn pickle as (pandas is not in it)."""
    import json
    import subprocess
    files = [os.path.join(folder, '%s-p%d.pickle' % (n, p)) for n in names
             for p in range(pickle.HIGHEST_PROTOCOL + 1)]
    r = subprocess.run([tool, 'scan', '--policy', 'ml', '--format', 'json'] + files, capture_output=True, text=True)
    reports = json.loads(r.stdout) if r.stdout else []
    flagged = [(rep['file'], [f['reason'] for f in rep['findings']] or rep['error']) for rep in reports
               if rep['verdict'] != 'clean']
    for name, why in flagged:
        print('%s: %s' % (name, why))
    print('library_pickles.py: %d pickles scanned with --policy ml, %d not clean (exit status %d)'
          % (len(reports), len(flagged), r.returncode))
    return 0 if r.returncode == 0 and not flagged and len(reports) == len(files) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', required=True, help='the folder to write the pickles to')
    ap.add_argument('--suite', action='store_true',
                    help='then run the suite on them (run.py --dir OUT --trust ...), with the '
                         'arguments after --, and exit with its status')
    ap.add_argument('--scan', metavar='PICKLETOOL',
                    help='then scan the numpy, scipy and scikit-learn pickles with '
                         '`PICKLETOOL scan --policy ml` and require each to be clean')
    ap.add_argument('suite_args', nargs='*', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if DIST_PACKAGES not in sys.path and os.path.isdir(DIST_PACKAGES):
        sys.path.append(DIST_PACKAGES)
    try:
        import numpy as np
        import pandas as pd
        import scipy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        print('library_pickles.py: %s (install python3-numpy python3-pandas python3-sklearn '
              'python3-scipy); skipped' % exc)
        return MISSING
    values = numpy_values(np) + pandas_values(pd, np) + sklearn_values(np) + scipy_values(np)
    os.makedirs(args.out, exist_ok=True)
    for name, value in values:
        for proto in range(pickle.HIGHEST_PROTOCOL + 1):
            with open(os.path.join(args.out, '%s-p%d.pickle' % (name, proto)), 'wb') as f:
                f.write(pickle.dumps(value, proto))
    print('library_pickles.py: %d values, %d files in %s' % (
        len(values), len(values) * (pickle.HIGHEST_PROTOCOL + 1), args.out))
    if args.scan:
        return scan_clean(args.scan, args.out, [name for name, _ in values if not name.startswith('pd_')])
    if not args.suite:
        return 0
    import subprocess
    run = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'run.py')
    sys.stdout.flush()
    return subprocess.call([sys.executable, run, '--dir', args.out, '--no-vectors',
                            '--mutations', '0', '--trust', 'numpy,pandas,sklearn,scipy',
                            '--areas', 'dis,load,roundtrip,optimize'] + args.suite_args)


if __name__ == '__main__':
    sys.exit(main())
