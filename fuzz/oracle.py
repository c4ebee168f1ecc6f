"""The CPython side of the fuzz targets that embed CPython 3.11 (fuzz_diff_loads,
fuzz_dis, fuzz_copyreg, fuzz_reducers, fuzz_scan). fuzz/embed.cmake compiles this file into them,
where it runs as the module `oracle` (fuzz.h, fuzz::py).

Fuzz input cannot run code here. While fuzz input is loaded, find_class returns only a
fixed set of globals -- the builtins the library rebuilds natively (lib/src/globals.cpp)
and the module `fz` defined below -- and raises Blocked for any other name before
anything is imported; builtins.getattr, the one safe global that could reach other
objects, is guarded. CPython's allocations are capped by the caller (fuzz::py::Capped).

Functions return outcomes as 4-tuples (status, error class, message, bytes):
('ok', '', '', result) when the operation succeeded, ('err', class, message, b'') when it
raised, or (category, '', '', b'') when the outcome is one the library does not
reproduce by design (doc/design.md section 4):
    blocked  a global outside the safe set (the library refuses it too)
    call     a call the library records inertly (an attribute lookup by getattr)
    memory   MemoryError (the allocation cap; the library never allocates a declared size)
    depth    RecursionError (the library's pickler does not recurse)
"""

import builtins
import copyreg
import io
import json
import pickle
import pickletools
import sys
import time
import tracemalloc
import types
import _compat_pickle

import scan_oracle  # conformance/scan_oracle.py, loaded before this module (fuzz.h)


class Blocked(Exception):
    """A global outside the safe set."""


class NotComparable(Exception):
    """An operation whose result the library does not model."""


def _failure(e):
    if isinstance(e, Blocked):
        return ('blocked', '', '', b'')
    if isinstance(e, NotComparable):
        return ('call', '', '', b'')
    if isinstance(e, MemoryError):
        return ('memory', '', '', b'')
    if isinstance(e, RecursionError):
        return ('depth', '', '', b'')
    try:
        message = str(e)
    except Exception:          # an exception whose str() raises: compare the class only
        message = '<unprintable>'
    return ('err', type(e).__name__, message, b'')


def _run(thunk):
    """thunk() -> bytes, as an outcome."""
    try:
        return ('ok', '', '', thunk())
    except Exception as e:
        return _failure(e)


OK = ('ok', '', '', b'')


def _excepthook(etype, value, tb):
    # CPython prints (PyErr_Print) "SystemError: deallocated bytearray object has
    # exported buffers" when a READONLY_BUFFER view outlives its bytearray.
    if not (etype is SystemError and 'exported buffers' in str(value)):
        sys.__excepthook__(etype, value, tb)


sys.excepthook = _excepthook

# ---------------------------------------------------------------------------
# getattr. The library evaluates getattr(global, '__new__') as the nested global's name
# (and refuses other nested names under its strict policy); it records any other call.
# CPython looks the attribute up, which from a safe object reaches any other
# (object.__subclasses__). So while a load runs, builtins.getattr is a guard: a lookup
# asked for by the pickle -- by the unpickler itself (REDUCE, functools.partial) or by
# copyreg's functions it calls (cls.__new__, base.__init__) -- raises NotComparable
# unless it is of '__new__'; a wrong call still raises CPython's own TypeError, and the
# standard library's own lookups (the codec registry's) work.

_getattr = builtins.getattr


class builtin_function_or_method:
    """builtins.getattr while a load runs (the class name is the one CPython's messages
    print for getattr)."""

    def __call__(self, *args, **kwargs):
        if (not kwargs and len(args) in (2, 3) and type(args[1]) is str
                and not (len(args) == 2 and args[1] == '__new__')
                and sys._getframe(1).f_code in _ASKED_BY_PICKLE):
            raise NotComparable('getattr(%s, %r)' % (type(args[0]).__name__, args[1]))
        return _getattr(*args, **kwargs)


GETATTR = builtin_function_or_method()

# ---------------------------------------------------------------------------
# The safe globals, and the unpickler restricted to them.

# The globals the library rebuilds natively (its strict_globals lets them through):
# NATIVE_GLOBALS, the library's compiled lib/src/native_globals.def, which fuzz.h sets in
# this module before running it; plus the builtins constants the targets allow.
SAFE = frozenset([tuple(g) for g in NATIVE_GLOBALS]  # noqa: F821 (set by fuzz.h)
                 + [('builtins', n) for n in ('None', 'True', 'False', 'Ellipsis', 'NotImplemented')])


def _py3_name(module, name):
    """(module, name) after fix_imports' mapping (which applies below protocol 3)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


# The oracle is pickle.loads itself (in memory: reading from a file differs in places,
# e.g. at the end of the input), so globals are restricted by an audit hook: the C
# unpickler's find_class raises the event "pickle.find_class" before it imports
# anything. A name passes when it or its fix_imports mapping is safe; CPython's
# find_class then maps it or not, and raises its own errors. (The Python 2 modules safe
# names are spelled with, __builtin__ and copy_reg, do not exist in Python 3: trying to
# import one where the mapping does not apply imports nothing.)
_safe = None        # the globals the running load may name; None: no load is running


def _audit(event, args):
    if event == 'pickle.find_class' and _safe is not None:
        module, name = args
        if (module, name) not in _safe and _py3_name(module, name) not in _safe:
            raise Blocked('%s.%s' % (module, name))


sys.addaudithook(_audit)


# BUILD on one of copyreg's functions sets its attributes (its __dict__, __name__, ...),
# process-wide; the library models none of them. _load puts them back after each load.
_FUNCTIONS = (copyreg._reconstructor, copyreg.__newobj__, copyreg.__newobj_ex__)
_FUNCTION_ATTRS = ('__name__', '__qualname__', '__defaults__', '__kwdefaults__',
                   '__annotations__', '__doc__', '__module__')
_FUNCTION_STATE = [(f, dict(f.__dict__), [_getattr(f, a) for a in _FUNCTION_ATTRS])
                   for f in _FUNCTIONS]


def _restore_functions():
    for f, attributes, values in _FUNCTION_STATE:
        if f.__dict__ != attributes:
            f.__dict__ = dict(attributes)
        for a, v in zip(_FUNCTION_ATTRS, values):
            if _getattr(f, a) is not v:
                setattr(f, a, v)


def _load(data, safe=SAFE):
    """pickle.loads(data) with globals restricted to `safe` and getattr guarded."""
    global _safe
    _safe = safe
    builtins.getattr = GETATTR
    try:
        return pickle.loads(data)
    finally:
        _safe = None
        builtins.getattr = _getattr
        _restore_functions()


# Code whose calls of getattr a pickle decides (see builtin_function_or_method).
_ASKED_BY_PICKLE = frozenset([_load.__code__, copyreg._reconstructor.__code__,
                              copyreg.__newobj__.__code__, copyreg.__newobj_ex__.__code__])

# ---------------------------------------------------------------------------
# fuzz_scan


def scan_run(data, file_reads):
    """scan_oracle.run(data, file_reads), under fuzz.h's allocation cap."""
    return scan_oracle.run(data, bool(file_reads))


def scan_combine(loads_run, loads_refusals, file_run, file_refusals):
    """scan_oracle.record() from the two runs, given how many allocations the cap refused
    in each; None when a run says nothing of the bytes. A refusal that did not end the
    load as its MemoryError was swallowed (by an `except Exception`, a hasattr), and the
    load may then have taken a path the bytes do not ask for. (Whether the cap is reached
    at all depends on what CPython's free lists kept from earlier inputs.)"""
    for (_, _, ended), refusals in ((loads_run, loads_refusals), (file_run, file_refusals)):
        if refusals > 1 or (refusals == 1 and ended != 'memory'):
            return None
    return scan_oracle.combine(loads_run, file_run)


def scan_compare(recorded, report_json):
    """Why the scan report (JSON) misstates what CPython does as recorded, or None (also
    when nothing was recorded). Puts back what BUILD may have set on copyreg's functions."""
    _restore_functions()
    return None if recorded is None else scan_oracle.compare(recorded, json.loads(report_json))


# ---------------------------------------------------------------------------
# fuzz_diff_loads

_last = None


def load(data):
    """pickle.loads(data), restricted: the outcome. The value is kept for dump_last()."""
    global _last
    _last = None
    try:
        _last = _load(data)
    except Exception as e:
        return _failure(e)
    return OK


def dump_last():
    """pickle.dumps(value, p) for p in 0..5 of the value of the last load(): outcomes."""
    global _last
    value, _last = _last, None
    return [_run(lambda: pickle.dumps(value, p)) for p in range(6)]


# ---------------------------------------------------------------------------
# fuzz_cost

def cost_cpu(data):
    """load(data) timed: (outcome, CPU seconds)."""
    global _last
    start = time.process_time()
    outcome = load(data)
    cpu = time.process_time() - start
    _last = None
    return outcome, cpu


def cost_peak(data):
    """load(data) traced: (outcome, the peak bytes tracemalloc saw held above the start).
    Tracing slows the load down, so the time comes from cost_cpu, a load of its own."""
    global _last
    try:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        outcome = load(data)
        _last = None
        peak = tracemalloc.get_traced_memory()[1] - base
    except MemoryError:   # tracing itself ran out of the cap: not measured
        _last = None
        return ('unmeasured', '', '', b''), 0
    finally:
        tracemalloc.stop()
    return outcome, peak


# ---------------------------------------------------------------------------
# fuzz_dis

def dis(data, indentlevel, annotate):
    """pickletools.dis(data, out, None, indentlevel, annotate): (what it printed, outcome)."""
    out = io.StringIO()
    try:
        pickletools.dis(data, out, None, indentlevel, annotate)
    except Exception as e:
        return out.getvalue(), _failure(e)
    return out.getvalue(), OK


# ---------------------------------------------------------------------------
# The module `fz`: globals the copyreg and reducers targets pickle and load.

fz = types.ModuleType('fz')
sys.modules['fz'] = fz


def _fz(obj, name=None):
    name = name or obj.__name__
    obj.__module__ = 'fz'
    obj.__qualname__ = obj.__name__ = name
    setattr(fz, name, obj)
    return obj


for _name in 'abcd':
    _fz(lambda: None, _name)

# ---------------------------------------------------------------------------
# fuzz_copyreg


EXT_SAFE = SAFE | {('fz', n) for n in 'abcd'}


def _text(b):
    return b.decode('utf-8', 'surrogatepass')


def copyreg_ops(ops):
    """Runs ops on copyreg's extension registry, emptied first; returns their outcomes.

    ('add' | 'remove', module, name, code)  copyreg.add_extension / remove_extension
    ('clear', _, _, _)                      copyreg.clear_extension_cache()
    ('dump', _, name, protocol)             pickle.dumps(fz.<name>, protocol)
    ('load', _, _, code)                    loads of EXT1/EXT2/EXT4 <code>, then dumps at 2
    (module and name are UTF-8 bytes, surrogates allowed.)
    """
    copyreg._extension_registry.clear()
    copyreg._inverted_registry.clear()
    copyreg._extension_cache.clear()
    out = []
    for op, module, name, code in ops:
        module, name = _text(module), _text(name)
        if op == 'add':
            out.append(_run(lambda: copyreg.add_extension(module, name, code) or b''))
        elif op == 'remove':
            out.append(_run(lambda: copyreg.remove_extension(module, name, code) or b''))
        elif op == 'clear':
            out.append(_run(lambda: copyreg.clear_extension_cache() or b''))
        elif op == 'dump':
            out.append(_run(lambda: pickle.dumps(_getattr(fz, name), code)))
        elif op == 'load':
            out.append(_run(lambda: pickle.dumps(_load(_ext_pickle(code), EXT_SAFE), 2)))
    copyreg._extension_registry.clear()
    copyreg._inverted_registry.clear()
    copyreg._extension_cache.clear()
    return out


def _ext_pickle(code):
    if 0 <= code <= 0xff:
        arg = pickle.EXT1 + bytes([code])
    elif 0 <= code <= 0xffff:
        arg = pickle.EXT2 + code.to_bytes(2, 'little')
    else:
        arg = pickle.EXT4 + (code & 0xffffffff).to_bytes(4, 'little')
    return pickle.PROTO + b'\x02' + arg + pickle.STOP

# ---------------------------------------------------------------------------
# fuzz_reducers
#
# The reduced object is x = fz.C(); its reducer returns the value a spec describes. The
# spec is pickled by the C++ target (protocol 4) with placeholders: fz.SELF stands for
# the object itself, fz.It(list) for iter(list), fz.ItItems(d) for iter(d.items()), and
# a spec fz.Raise(code, message) makes the reducer raise instead of returning.
#
# Loading the result calls the classes of fz, whose behaviour the C++ target mirrors
# with NativeClass hooks: K and C record their arguments and state; F(*args) makes
# list(args) and G(*args) dict(enumerate(args)); setter(obj, state) is a state setter.
# Any of them raises when its first argument (for __setstate__: the state) is a str
# '!<code><message>': code V, T, R, A, O or I for ValueError, TypeError, RuntimeError,
# AttributeError, OverflowError or IndexError (else ValueError).

_ERRORS = {'V': ValueError, 'T': TypeError, 'R': RuntimeError, 'A': AttributeError,
           'O': OverflowError, 'I': IndexError}


def _raise(code, message):
    raise _ERRORS.get(code, ValueError)(message)


def _maybe_raise(args):
    if args and type(args[0]) is str and args[0].startswith('!'):
        _raise(args[0][1:2], args[0][2:])


def _record_class(name):
    """A class that records what it was built with: args, kwargs and state."""
    def __new__(cls, *args, **kwargs):
        _maybe_raise(args)
        self = object.__new__(cls)
        self.args, self.kwargs = args, kwargs
        return self

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        _maybe_raise((state,))
        self.state = state

    for f in (__new__, __init__, __setstate__):     # as if defined in a class statement
        f.__qualname__ = '%s.%s' % (name, f.__name__)
        f.__module__ = 'fz'
    return _fz(type(name, (), {'__new__': __new__, '__init__': __init__,
                               '__setstate__': __setstate__}))


K = _record_class('K')
C = _record_class('C')


class F:
    def __new__(cls, *args):
        _maybe_raise(args)
        return list(args)


class G:
    def __new__(cls, *args):
        _maybe_raise(args)
        return dict(enumerate(args))


class setter:
    def __new__(cls, *args):
        if len(args) != 2:
            raise TypeError('setter takes 2 arguments')
        obj, state = args
        _maybe_raise((state,))
        if type(obj) not in (K, C):
            raise AttributeError('setter: not a K or C')
        obj.state = state


def R(*args):
    """Named by the description of a K or C instance (_describe); never called."""


class _Self:
    def __reduce__(self):
        return 'SELF'


class It:
    def __init__(self, items):
        self.items = items


class ItItems:
    def __init__(self, d):
        self.d = d


class Raise:
    def __init__(self, code, message):
        self.code, self.message = code, message


for _obj in (F, G, setter, R, It, ItItems, Raise):
    _fz(_obj)
_Self.__module__ = 'fz'
fz.SELF = _Self()

# What a spec may name, what a reduced pickle may load.
SPEC_SAFE = SAFE | {('fz', n) for n in ('SELF', 'It', 'ItItems', 'Raise', 'K', 'C', 'F', 'G',
                                        'setter')} | {('builtins', 'list'), ('builtins', 'dict')}
LOAD_SAFE = SAFE | {('fz', n) for n in ('K', 'C', 'F', 'G', 'setter')}


def _realize(spec, obj):
    """The spec with its placeholders replaced; made anew on every call."""
    if spec is fz.SELF:
        return obj
    t = type(spec)
    if t is It:
        return iter([_realize(v, obj) for v in spec.items])
    if t is ItItems:
        return iter({k: _realize(v, obj) for k, v in spec.d.items()}.items())
    if t is Raise:
        _raise(spec.code, spec.message)
    if t is tuple:
        return tuple(_realize(v, obj) for v in spec)
    if t is list:
        return [_realize(v, obj) for v in spec]
    if t is dict:
        return {k: _realize(v, obj) for k, v in spec.items()}
    return spec


def _describe(o):
    """How the targets write a loaded K or C: what it was built with."""
    return R, (type(o).__name__, o.args, o.kwargs, 'state' in o.__dict__), o.__dict__.get('state')


def reduce_case(spec, dispatch, protocol):
    """Pickles fz.C() with a reducer returning the spec (through Pickler.dispatch_table, or
    reducer_override), loads the result and pickles that at protocol 4 with K and C
    described by _describe. Returns the outcomes of the steps that ran (1 to 3)."""
    rv = _load(spec, SPEC_SAFE)
    x = object.__new__(C)
    x.args, x.kwargs = (), {}
    fz.SINGLETON = x
    f = io.BytesIO()
    if dispatch:
        p = pickle.Pickler(f, protocol)
        p.dispatch_table = {C: lambda o: _realize(rv, o)}
    else:
        class P(pickle.Pickler):
            def reducer_override(self, o):
                return _realize(rv, o) if type(o) is C else NotImplemented
        p = P(f, protocol)
    first = _run(lambda: p.dump(x) or f.getvalue())
    del fz.SINGLETON, x, p
    if first[0] != 'ok':
        return [first]
    try:
        value = _load(first[3], LOAD_SAFE)
    except Exception as e:
        return [first, _failure(e)]
    f = io.BytesIO()
    p = pickle.Pickler(f, 4)
    p.dispatch_table = {K: _describe, C: _describe}
    return [first, OK, _run(lambda: p.dump(value) or f.getvalue())]
