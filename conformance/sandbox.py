"""What CPython may do while it loads fuzzed input, and what the library knows.

A fuzzed pickle can name any global and call it, so loads run under an audit hook
(guarded()) that refuses modules outside an allow-list, and under a memory cap.
The safe set (SAFE_GLOBALS, SAFE_MODULES) is the globals the library rebuilds
itself: an outcome that involved any other global is counted apart.
"""

import contextlib
import importlib.util
import os
import re
import resource
import sys

from conformance.paths import ROOT


# ---------------------------------------------------------------------------
# Globals: which ones the C++ library is expected to understand ("safe"), and
# which ones may be imported at all while running fuzzed input ("allowed").

def native_globals():
    """(module, qualname) of every global the library rebuilds natively: the rows of
    lib/src/native_globals.def, the table the library itself compiles."""
    with open(os.path.join(ROOT, 'lib', 'src', 'native_globals.def'), encoding='utf-8') as f:
        return re.findall(r'^PICKLE_NATIVE_GLOBAL\("([^"]*)", "([^"]*)", \w+\)$', f.read(), re.M)


SAFE_GLOBALS = frozenset(
    native_globals()
    + [('builtins', n) for n in ('Ellipsis', 'NotImplemented', 'None', 'True', 'False')]
    # pickletester's plain classes, put in __main__ by importing test.pickletester
    # (DATA0..DATA4 and the classic-instance pickles refer to them).
    + [('__main__', n) for n in ('C', 'D', 'E')])
SAFE_MODULES = frozenset(['conformance.objects'])   # every name in these modules

# Modules whose import and callables are harmless; everything else that exists
# is refused while loading (a fuzzed pickle can name any global and call it).
ALLOWED_MODULES = frozenset([
    'builtins', 'copyreg', '_codecs', 'codecs', 'functools', 'collections', 'datetime',
    'decimal', '_decimal', 'fractions', 'uuid', 'enum', 'math', 'itertools', 'copy',
    'string', 'dbm', 'http.cookies', 'numbers', 'types', 'operator', '_operator',
    'conformance.objects', 'test.pickletester', 'pickle', '_pickle', '__main__',
])
DENIED_NAMES = {
    'builtins': {'eval', 'exec', 'compile', 'open', '__import__', 'input', 'breakpoint',
                 'exit', 'quit', 'help', 'print', 'setattr', 'delattr', 'globals', 'locals',
                 'vars', 'memoryview', '__loader__', '__spec__', '__build_class__'},
    'copyreg': {'pickle', 'constructor', 'add_extension', 'remove_extension',
                'clear_extension_cache'},
    'operator': {'attrgetter', 'methodcaller', 'setitem', 'delitem'},
    '_operator': {'attrgetter', 'methodcaller', 'setitem', 'delitem'},
    'pickle': {'load', 'loads', 'dump', 'dumps', 'Pickler', 'Unpickler', '_load', '_loads',
               '_dump', '_dumps', '_Pickler', '_Unpickler'},
    '_pickle': {'load', 'loads', 'dump', 'dumps', 'Pickler', 'Unpickler'},
}


def compat_name(module, name):
    """The Python 3 (module, name) that fix_imports maps a Python 2 name to."""
    import _compat_pickle
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def is_safe_global(module, name):
    for m, n in ((module, name), compat_name(module, name)):
        if (m, n) in SAFE_GLOBALS or m in SAFE_MODULES:
            return True
    return False


# Top-level packages whose globals load for real (run.py --trust): for files that a
# trusted program wrote (library_pickles.py), never for mutated input.
TRUSTED_PACKAGES = set()
DIST_PACKAGES = '/usr/lib/python3/dist-packages'    # Debian's python3-numpy and friends


def trust(packages):
    """Let the globals of these top-level packages load (importing them), with Debian's
    dist-packages on sys.path."""
    TRUSTED_PACKAGES.update(packages)
    if os.path.isdir(DIST_PACKAGES) and DIST_PACKAGES not in sys.path:
        sys.path.append(DIST_PACKAGES)


def _allowed(module, name):
    if is_safe_global(module, name):
        return True
    if any(m.split('.')[0] in TRUSTED_PACKAGES for m, _ in ((module, name), compat_name(module, name))):
        return True
    for m, n in ((module, name), compat_name(module, name)):
        if m == '__main__':
            return False            # the checker's own functions live there
        top = n.split('.')[0]
        if m in ALLOWED_MODULES and top not in DENIED_NAMES.get(m, ()) \
                and not top.startswith('__'):
            return True
    try:
        exists = module.split('.')[0] in sys.modules or \
            importlib.util.find_spec(module.split('.')[0]) is not None
    except Exception:           # '' or other names import itself rejects
        exists = False
    return not exists           # importing a missing module just fails


class BlockedGlobal(Exception):
    """Raised (from find_class) for a global the conformance run refuses to load."""


GLOBALS_SEEN = []               # (module, name) of every guarded find_class
_guard_active = False           # only guarded loads are checked (not multiprocessing's own)


def _audit(event, args):
    if event == 'pickle.find_class' and _guard_active:
        module, name = args
        GLOBALS_SEEN.append((module, name))
        if not (isinstance(module, str) and isinstance(name, str) and _allowed(module, name)):
            raise BlockedGlobal('%s.%s is not on the conformance allow-list' % (module, name))


_guard_installed = False


def install_guard():
    """Install the audit hook used by guarded() (once per process)."""
    global _guard_installed
    if not _guard_installed:
        sys.addaudithook(_audit)
        _guard_installed = True


@contextlib.contextmanager
def guarded():
    """Within this block, find_class calls are recorded in GLOBALS_SEEN, and globals
    outside the allow-list raise BlockedGlobal."""
    global _guard_active
    install_guard()
    del GLOBALS_SEEN[:]
    _guard_active = True
    try:
        yield
    finally:
        _guard_active = False


@contextlib.contextmanager
def memory_limit(nbytes=512 << 20):
    """Cap this process's address space while running CPython on fuzzed input: 512 MB
    holds every generated value, and a mutated PUT index that would make CPython clear a
    memo of gigabytes (seconds of work) fails at once with MemoryError instead."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        nbytes = min(nbytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# Deep object graphs (a few thousand levels) need more than the default 1000
# both to pickle them and to repr them.  The C stack is large enough for this.
RECURSION_LIMIT = 30000


def raise_recursion_limit():
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
