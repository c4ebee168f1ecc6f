"""The benchmark workloads, built by CPython so that both sides time the same graph.

The benchmark binaries embed this interpreter: for each workload they call build(name)
to make the Python objects, pickle them with CPython's `_pickle`, and load those bytes
into the C++ library, so the C++ graph is the Python graph. `python3 bench/workloads.py`
lists the workloads with their pickle sizes.

A workload is a list of objects: one iteration of a benchmark dumps (or loads) each of
them once. The pyperformance `bm_pickle` data is copied from pyperformance's
run_benchmark.py (see ../shared/CPYTHON.md section 7).
"""

import datetime
import random
import sys

# ---------------------------------------------------------------------------
# pyperformance bm_pickle

DICT = {
    'ads_flags': 0, 'age': 18, 'birthday': datetime.date(1980, 5, 7), 'bulletin_count': 0,
    'comment_count': 0, 'country': 'BR', 'encrypted_id': 'G9urXXAJwjE', 'favorite_count': 9,
    'first_name': '', 'flags': 412317970704, 'friend_count': 0, 'gender': 'm',
    'gender_for_display': 'Male', 'id': 302935349, 'is_custom_profile_icon': 0, 'last_name': '',
    'locale_preference': 'pt_BR', 'member': 0, 'tags': ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
    'profile_foo_id': 827119638, 'secure_encrypted_id': 'Z_xxx2dYx3t4YAdnmfgyKw',
    'session_number': 2, 'signup_id': '201-19225-223', 'status': 'A', 'theme': 1,
    'time_created': 1225237014, 'time_updated': 1233134493, 'unread_message_count': 0,
    'user_group': '0', 'username': 'collinwinter', 'play_count': 9, 'view_count': 7, 'zip': ''}

TUPLE = ([265867233, 265868503, 265252341, 265243910, 265879514, 266219766, 266021701, 265843726,
          265592821, 265246784, 265853180, 45526486, 265463699, 265848143, 265863062, 265392591,
          265877490, 265823665, 265828884, 265753032], 60)


def _mutate_dict(orig, rng):
    new = dict(orig)
    for key in new:
        new[key] = type(key)(rng.random() * sys.maxsize)
    return new


def _bm_pickle():
    rng = random.Random(5)
    group = [_mutate_dict(DICT, rng) for _ in range(3)]
    return [DICT, TUPLE, group]


def _bm_pickle_list():
    return [[[list(range(10)), list(range(10))] for _ in range(10)]]


def _bm_pickle_dict():
    return [dict((key, dict.fromkeys(range(10))) for key in range(100))]


# ---------------------------------------------------------------------------
# Bulk data

def _ints_1m():
    return [list(range(-500_000, 500_000))]


def _floats_1m():
    rng = random.Random(1)
    return [[rng.uniform(-1e6, 1e6) for _ in range(1_000_000)]]


def _strs_1m():
    return [[f'k{i:x}' for i in range(1_000_000)]]


def _records_100k():
    rng = random.Random(2)
    return [[{'id': i, 'name': f'user{i}', 'email': f'user{i}@example.com',
              'score': rng.random() * 100, 'active': i % 3 == 0, 'tags': ['a', 'b']}
             for i in range(100_000)]]


def _tuples_200k():
    return [[(i, i * 0.5, str(i)) for i in range(200_000)]]


def _bytes_100mb():
    return [bytes(range(256)) * (100 * 1024 * 1024 // 256)]


def _small_message():
    return [{'op': 'put', 'key': 'user:1234', 'value': [1, 2, 3], 'ts': 1700000000.25,
             'ttl': 60, 'flags': None}]


def _memo_heavy():
    shared = [[i, str(i)] for i in range(1000)]
    return [[shared[(i * 7919) % 1000] for i in range(200_000)]]


NESTING_DEPTH = 1_000_000


def nested_pickle(depth=NESTING_DEPTH):
    """[[[...]]] `depth` lists deep, written directly: CPython's pickler cannot recurse
    that deep (RecursionError), its unpickler can load it."""
    return b'\x80\x05' + b']' * depth + b'a' * (depth - 1) + b'.'


# name -> (builder, protocols timed). Protocol 0 for one workload, as the issue asks.
WORKLOADS = {
    'bm_pickle': (_bm_pickle, (5, 2)),
    'bm_pickle_list': (_bm_pickle_list, (5, 2, 0)),
    'bm_pickle_dict': (_bm_pickle_dict, (5, 2)),
    'ints_1m': (_ints_1m, (5, 2)),
    'floats_1m': (_floats_1m, (5, 2)),
    'strs_1m': (_strs_1m, (5, 2)),
    'records_100k': (_records_100k, (5, 2)),
    'tuples_200k': (_tuples_200k, (5, 2)),
    'memo_heavy': (_memo_heavy, (5, 2)),
    'small_message': (_small_message, (5, 2)),
    'bytes_100mb': (_bytes_100mb, (5, 2)),
}

_cache = {}


def build(name):
    """The objects of a workload (built once per process)."""
    if name not in _cache:
        _cache[name] = WORKLOADS[name][0]()
    return _cache[name]


def protocols(name):
    return WORKLOADS[name][1]


if __name__ == '__main__':
    import pickle
    for name in WORKLOADS:
        size = sum(len(pickle.dumps(o, 5)) for o in build(name))
        print(f'{name:16s} {len(build(name))} object(s), {size:>12,} bytes at protocol 5')
    print(f'{"nested_1m":16s} 1 object, {len(nested_pickle()):>12,} bytes (written directly)')
