"""Helpers shared by the conformance scripts (standard library only).

    reference_dis(data)            what `python3 -m pickletools FILE` prints / raises
    reference_load(data, kwargs)   what `pickletool show` must do, per CPython
    run_tool(cmd, sub, data, ...)  run the tool under test on one input
    mutations(data, rng, count)    malformed variants of a pickle
    guarded()                      a context in which an audit hook keeps fuzzed
                                   pickles from importing or calling anything harmful
    build_cases(seed, count, ...)  the inputs of a check
    run_check(area, cases, ...)    one checker over cases (see "Checkers" below)
    save_disagreement, minimize_disagreement   what a disagreement leaves in out/<area>/

Importing this module puts the repository root on sys.path, so that
`conformance.objects` is importable whatever the current directory is.
"""

import collections
import contextlib
import importlib.util
import io
import os
import pickle
import pickletools
import re
import resource
import subprocess
import sys
import tempfile
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

OUT_DIR = os.path.join(ROOT, 'conformance', 'out')
DEFAULT_TOOL = os.path.join(ROOT, 'build', 'tools', 'pickletool')

# Deep object graphs (a few thousand levels) need more than the default 1000
# both to pickle them and to repr them.  The C stack is large enough for this.
RECURSION_LIMIT = 30000


def raise_recursion_limit():
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


def error_text(exc):
    """`ClassName: message`, the way the tools report an exception."""
    msg = str(exc)
    return '%s: %s' % (type(exc).__name__, msg) if msg else type(exc).__name__


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


def _allowed(module, name):
    if is_safe_global(module, name):
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
def memory_limit(nbytes=8 << 30):
    """Cap this process's address space while running CPython on fuzzed input."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        nbytes = min(nbytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# ---------------------------------------------------------------------------
# Value inspection.

BUILTIN_VALUE_TYPES = frozenset([type(None), bool, int, float, complex, str, bytes, bytearray,
                                 list, tuple, dict, set, frozenset])


def is_builtin_value(obj):
    """True if obj is made only of builtin value types (exact types, no subclasses)."""
    seen = set()
    todo = [obj]
    while todo:
        x = todo.pop()
        if type(x) not in BUILTIN_VALUE_TYPES:
            return False
        if id(x) in seen:
            continue
        seen.add(id(x))
        if type(x) is dict:
            todo.extend(x.keys())
            todo.extend(x.values())
        elif type(x) in (list, tuple, set, frozenset):
            todo.extend(x)
    return True


def describe_object(obj):
    """Short description of a non-builtin result.

    `global module.qualname` for a class or a module-level function (what the
    pickle named), else `module.qualname` of the object's type.
    """
    if isinstance(obj, (type, types.FunctionType)) or (
            isinstance(obj, types.BuiltinFunctionType)
            and isinstance(getattr(obj, '__self__', None), types.ModuleType)):
        return 'global %s.%s' % (obj.__module__, obj.__qualname__)
    t = type(obj)
    return '%s.%s' % (t.__module__, t.__qualname__)


# ---------------------------------------------------------------------------
# CPython reference behaviour.

def reference_dis(data):
    """(stdout bytes, error text or None) of `python3 -m pickletools FILE`."""
    out = io.StringIO()
    try:
        pickletools.dis(data, out, None, 4, 0)
        err = None
    except Exception as exc:
        err = error_text(exc)
    return out.getvalue().encode('utf-8'), err


Outcome = collections.namedtuple('Outcome', 'status text category globals')
Outcome.__doc__ = """CPython's outcome for one input.

status    'ok' (text = repr, the value is made of builtin value types),
          'ok-object' (text = describe_object(value)) or 'err' (text = error_text)
category  'plain'   only safe globals were involved: compare with the tool
          'imports' an unsafe global was named, or importing failed
          'call'    the error came from running code: raised inside a called
                    object, or by an operation on an instance whose class decides
                    the outcome (appending to it, calling it, hashing it, ...)
          'memory'  CPython raised MemoryError (depends on the machine)
globals   the (module, name) pairs find_class was asked for
"""

_IMPORT_ERRORS = (ImportError, BlockedGlobal)
_ATTR_ERROR = re.compile(r"^(Can't get attribute |module '.*' has no attribute )")


class InsideCall(Exception):
    """The wrapped exception was raised by a called object, or by an operation on
    an object that is not a builtin value (so its class decided the outcome)."""


def _opaque(x):
    """True for objects whose behaviour a value model cannot know: instances of
    classes other than the builtin value types and object, and classes or
    functions that are not builtins."""
    if type(x) in BUILTIN_VALUE_TYPES or type(x) is object or x is Ellipsis \
            or x is NotImplemented:
        return False
    if isinstance(x, (type, types.BuiltinFunctionType)) and \
            getattr(x, '__module__', None) == 'builtins':
        return False
    return True


def _unknown_target(x):
    """True for objects a value model cannot know the methods or attributes of:
    anything but instances of the builtin value types and object (classes too:
    appending to `bytearray` calls bytearray.extend)."""
    return type(x) not in BUILTIN_VALUE_TYPES and type(x) is not object


def _guard_operands(opcode, operands):
    """Dispatch entry that runs the standard one, tagging its errors InsideCall
    when one of operands(self) (taken before it runs) is an unknown target."""
    original = pickle._Unpickler.dispatch[opcode[0]]

    def load(self):
        try:
            objs = operands(self)
        except (IndexError, AttributeError):
            objs = []
        try:
            original(self)
        except InsideCall:
            raise
        except Exception as exc:
            if any(_unknown_target(o) for o in objs):
                raise InsideCall(exc) from exc
            raise
    return load


def _below_mark(self):
    return self.metastack[-1][-1]


def _c_string_line(load):
    """The load of a text number, reading its line as the C unpickler parses it: as a C
    string, which ends at the first NUL (b'L12\\x00junk\\n' is 12 there, and an error
    in pickle.py, which would hide a later error from a call)."""
    def wrapped(self):
        readline = self.readline

        def c_line():
            line = readline()
            return line[:line.index(b'\0')] + b'\n' if b'\0' in line else line
        self.readline = c_line
        try:
            load(self)
        finally:
            self.readline = readline
    return wrapped


class _CallProbe(pickle._Unpickler):
    """Pure-Python unpickler that tags (InsideCall) the errors that come from
    running code: calls made by REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ and BUILD
    (__setstate__, setattr), and operations on opaque objects (appending to,
    setting items of, building or calling an instance; hashing one as a key).
    INT and LONG read their line as the C unpickler does."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opaque_targets = 0     # BUILD, NEWOBJ, NEWOBJ_EX on opaque objects

    @staticmethod
    def _call(func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            raise InsideCall(exc) from exc

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if (callable(func) and type(args) is tuple) or _opaque(func):
            self.stack[-1] = self._call(lambda: func(*args))
        else:
            self.stack[-1] = func(*args)
    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.opaque_targets += _opaque(cls)
        if (isinstance(cls, type) and type(args) is tuple) or _opaque(cls):
            self.append(self._call(lambda: cls.__new__(cls, *args)))
        else:
            self.append(cls.__new__(cls, *args))
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.opaque_targets += _opaque(cls)
        if (isinstance(cls, type) and type(args) is tuple and type(kwargs) is dict) \
                or _opaque(cls):
            self.append(self._call(lambda: cls.__new__(cls, *args, **kwargs)))
        else:
            self.append(cls.__new__(cls, *args, **kwargs))
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def _instantiate(self, klass, args):
        if args or not isinstance(klass, type) or hasattr(klass, '__getinitargs__'):
            self.append(self._call(klass, *args))
        else:
            self.append(self._call(klass.__new__, klass))

    def load_build(self):
        inst = self.stack[-2]
        self.opaque_targets += _unknown_target(inst)
        if _unknown_target(inst):
            self._call(pickle._Unpickler.load_build, self)
        else:
            pickle._Unpickler.load_build(self)
    dispatch[pickle.BUILD[0]] = load_build

    dispatch[pickle.APPEND[0]] = _guard_operands(pickle.APPEND, lambda u: [u.stack[-2]])
    dispatch[pickle.APPENDS[0]] = _guard_operands(pickle.APPENDS, lambda u: [_below_mark(u)])
    dispatch[pickle.SETITEM[0]] = _guard_operands(pickle.SETITEM,
                                                  lambda u: [u.stack[-3], u.stack[-2]])
    dispatch[pickle.SETITEMS[0]] = _guard_operands(
        pickle.SETITEMS, lambda u: [_below_mark(u)] + u.stack[0::2])
    dispatch[pickle.DICT[0]] = _guard_operands(pickle.DICT, lambda u: u.stack[0::2])
    dispatch[pickle.ADDITEMS[0]] = _guard_operands(
        pickle.ADDITEMS, lambda u: [_below_mark(u)] + u.stack)
    dispatch[pickle.FROZENSET[0]] = _guard_operands(pickle.FROZENSET, lambda u: list(u.stack))
    dispatch[pickle.INT[0]] = _c_string_line(pickle._Unpickler.load_int)
    dispatch[pickle.LONG[0]] = _c_string_line(pickle._Unpickler.load_long)


# C messages for checks whose answer depends on an object the probe calls opaque.
_C_OPAQUE_CHECKS = re.compile(r'^UnpicklingError: (NEWOBJ(_EX)? \w+ argument must be a |'
                              r'(slot )?state is not a dictionary)')


def _raised_inside_call(data, kwargs, text):
    """True if CPython's error `text` comes from running code (see _CallProbe).

    Either the pure-Python unpickler fails inside a call or on an opaque object
    with an error of the same class (the message may differ: for APPEND the C
    unpickler calls extend() where pickle.py calls append()), or CPython's error
    is one of the C checks of a BUILD or NEWOBJ operand and the probe met an
    opaque one (whether a class has __setstate__, or whether an object is a
    type, is up to the class).
    """
    probe = _CallProbe(io.BytesIO(data), **kwargs)
    try:
        with guarded(), memory_limit():
            probe.load()
    except InsideCall as exc:
        if same_error_class(error_text(exc.args[0]), text):
            return True
    except Exception:
        pass
    return bool(_C_OPAQUE_CHECKS.match(text)) and probe.opaque_targets > 0


def reference_load(data, kwargs=None, repr_digits_limit=True):
    """CPython's outcome for `pickletool show` on data (pickle.loads, in memory).

    The value's repr is part of the outcome only for values made of builtin
    value types; it is computed like print(repr(value)) would, so an int of more
    than 4300 digits is an error (ValueError) unless repr_digits_limit is False.
    """
    kwargs = kwargs or {}
    err = None
    try:
        with guarded(), memory_limit():
            value = pickle.loads(data, **kwargs)
    except Exception as exc:
        err = exc
    seen = list(GLOBALS_SEEN)
    imports = any(not is_safe_global(m, n) for m, n in seen)
    if err is None:
        if not is_builtin_value(value):
            return Outcome('ok-object', describe_object(value),
                           'imports' if imports else 'plain', seen)
        old = sys.get_int_max_str_digits()
        try:
            if not repr_digits_limit:
                sys.set_int_max_str_digits(0)
            return Outcome('ok', repr(value), 'imports' if imports else 'plain', seen)
        except Exception as exc:     # ValueError: the int digit limit
            return Outcome('err', error_text(exc), 'imports' if imports else 'plain', seen)
        finally:
            sys.set_int_max_str_digits(old)
    text = error_text(err)
    if imports or isinstance(err, _IMPORT_ERRORS) or (
            isinstance(err, AttributeError) and _ATTR_ERROR.match(str(err))):
        category = 'imports'
    elif isinstance(err, MemoryError):
        category = 'memory'
    elif seen and _raised_inside_call(data, kwargs, text):
        category = 'call'
    else:
        category = 'plain'
    return Outcome('err', text, category, seen)


# ---------------------------------------------------------------------------
# Running the tool under test.

ToolResult = collections.namedtuple('ToolResult', 'status stdout stderr')
ToolResult.__doc__ = """status: 'ok' (exit 0), 'err' (exit 1) or 'crash: ...' (anything else)."""


def tool_command(path):
    """argv prefix for the tool: python3 for a .py fake, the executable otherwise."""
    return [sys.executable, path] if path.endswith('.py') else [path]


def run_tool(cmd, sub, data, extra_args=(), timeout=60, workdir=None):
    """Run `cmd sub [extra_args] FILE` with data in FILE."""
    fd, path = tempfile.mkstemp(suffix='.pickle', dir=workdir)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        try:
            proc = subprocess.run(list(cmd) + [sub] + list(extra_args) + [path],
                                  stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return ToolResult('crash: timeout after %ss' % timeout, b'', '')
    finally:
        os.unlink(path)
    stderr = proc.stderr.decode('utf-8', 'backslashreplace')
    if proc.returncode == 0:
        return ToolResult('ok', proc.stdout, stderr)
    if proc.returncode == 1:
        return ToolResult('err', proc.stdout, stderr)
    if proc.returncode < 0:
        return ToolResult('crash: signal %d' % -proc.returncode, proc.stdout, stderr)
    return ToolResult('crash: exit status %d' % proc.returncode, proc.stdout, stderr)


class Tool(collections.namedtuple('Tool', 'path timeout')):
    """The tool under test: its path (a .py fake runs with this python) and the
    seconds one run may take."""
    __slots__ = ()

    def run(self, sub, data, extra_args=()):
        return run_tool(tool_command(self.path), sub, data, extra_args, timeout=self.timeout)

    def command(self):
        return ' '.join(tool_command(self.path))


def loads_flags(kwargs):
    """The `pickletool show` flags that stand for pickle.loads keyword arguments."""
    flags = []
    if 'encoding' in kwargs:
        flags += ['--encoding', kwargs['encoding']]
    if 'errors' in kwargs:
        flags += ['--errors', kwargs['errors']]
    if kwargs.get('fix_imports', True) is False:
        flags.append('--no-fix-imports')
    return flags


def stderr_error(stderr, expected):
    """The tool's error text: the last lines of stderr (as many as `expected` has)."""
    lines = stderr.rstrip('\n').split('\n')
    n = max(1, expected.count('\n') + 1) if expected else 1
    return '\n'.join(lines[-n:])


def same_error_class(actual, expected):
    return actual.split(':', 1)[0].strip() == expected.split(':', 1)[0].strip()


def same_error(actual, expected):
    """Exact match; `Class` and `Class: ` are the same when the message is empty."""
    return actual.rstrip() == expected.rstrip()


# ---------------------------------------------------------------------------
# Malformed input.

OPCODE_BYTES = [op.code.encode('latin-1') for op in pickletools.opcodes]


def mutations(data, rng, count, all_truncations=False, donors=()):
    """`count` deterministic malformed variants of data: (label, bytes) pairs.

    Kinds: truncation, bit flip, random byte, inserted byte, inserted opcode,
    deleted byte, duplicated slice, and (when donors, other valid pickles, are
    given) a spliced fragment: a slice of a donor inserted, or written over the
    same number of bytes.  With all_truncations, inputs of at most 64 bytes also
    get every truncation.
    """
    out = []
    if all_truncations and len(data) <= 64:
        out.extend(('trunc%d' % n, data[:n]) for n in range(len(data)))
    kinds = ('trunc', 'flip', 'byte', 'insert', 'opcode', 'delete', 'dup') + \
        (('splice',) if donors else ())
    for _ in range(count):
        kind = rng.choice(kinds)
        if not data:
            kind = 'insert'
        pos = rng.randrange(len(data) + (1 if kind in ('insert', 'opcode', 'splice') else 0)) \
            if data else 0
        if kind == 'trunc':
            out.append(('trunc%d' % pos, data[:pos]))
        elif kind == 'flip':
            bit = rng.randrange(8)
            out.append(('flip%d.%d' % (pos, bit),
                        data[:pos] + bytes([data[pos] ^ (1 << bit)]) + data[pos + 1:]))
        elif kind == 'byte':
            b = rng.randrange(256)
            out.append(('byte%d=%02x' % (pos, b), data[:pos] + bytes([b]) + data[pos + 1:]))
        elif kind == 'insert':
            b = rng.randrange(256)
            out.append(('ins%d=%02x' % (pos, b), data[:pos] + bytes([b]) + data[pos:]))
        elif kind == 'opcode':
            op = rng.choice(OPCODE_BYTES)
            out.append(('op%d=%02x' % (pos, op[0]), data[:pos] + op + data[pos:]))
        elif kind == 'delete':
            out.append(('del%d' % pos, data[:pos] + data[pos + 1:]))
        elif kind == 'dup':
            end = min(len(data), pos + rng.randrange(1, 9))
            out.append(('dup%d-%d' % (pos, end), data[:end] + data[pos:end] + data[end:]))
        else:
            d = rng.randrange(len(donors))
            donor = donors[d]
            start = rng.randrange(len(donor))
            frag = donor[start:start + rng.randrange(1, 33)]
            cut = rng.choice((0, len(frag)))
            out.append(('splice%d%s=d%d.%d-%d' % (pos, '+' if cut == 0 else '', d, start,
                                                  start + len(frag)),
                        data[:pos] + frag + data[pos + cut:]))
    return out


# ---------------------------------------------------------------------------
# Building the cases of a check.

Case = collections.namedtuple('Case', 'name group data kwargs')


def build_cases(seed, count, directory=None, mutations_per_case=1, with_vectors=True,
                with_kwargs=False):
    """The inputs of a check, in a deterministic order.

    groups: 'corpus' (corpus.pickles(seed, count), or the files of `directory`),
    'vectors' (vectors.py; those needing loads() keyword arguments only if
    with_kwargs), and '<group>-mutated' (mutations() of each of them, with the
    others as donors of spliced fragments; every truncation of the vectors too).
    """
    import random
    from conformance import corpus, vectors
    cases = []
    if directory:
        for fn in sorted(os.listdir(directory)):
            with open(os.path.join(directory, fn), 'rb') as f:
                cases.append(Case(fn, 'corpus', f.read(), {}))
    else:
        for name, proto, data in corpus.pickles(seed, count):
            cases.append(Case('%s-p%d' % (name, proto), 'corpus', data, {}))
    if with_vectors:
        cases += [Case(v.name, 'vectors', v.data, v.kwargs) for v in vectors.all_vectors()
                  if with_kwargs or not v.kwargs]
    donors = [c.data for c in cases if c.data]
    mutated = []
    seen = set((c.data, repr(c.kwargs)) for c in cases)
    for case in cases:
        rng = random.Random('%s:%s' % (seed, case.name))
        for label, data in mutations(case.data, rng, mutations_per_case,
                                     all_truncations=case.group == 'vectors', donors=donors):
            if (data, repr(case.kwargs)) not in seen:       # skip duplicate inputs
                seen.add((data, repr(case.kwargs)))
                mutated.append(Case('%s~%s' % (case.name, label), case.group + '-mutated',
                                    data, case.kwargs))
    return cases + mutated


# ---------------------------------------------------------------------------
# Checkers.
#
# A checker (dis_check, load_check, roundtrip_check, optimize_check) is a module
# that compares one area of the tool with CPython, one case at a time:
#
#   AREA                    its name; its disagreements go to conformance/out/AREA/
#   UNIT                    what one count stands for ('inputs', 'input x protocol')
#   check(case, tool)       a verdict dict; v['units'] counts its outcomes:
#                             'agree', 'disagree', 'apart:<category>' (CPython's
#                             outcome depends on something the library cannot know,
#                             see the checker), 'skip' (nothing to compare)
#   describe(v)             lines saying what differs
#   still_fails(v, case, tool)  predicate telling whether a smaller input shows the
#                           same difference (for minimize), or None
#   by_hand(tool, kwargs)   how to run the two sides by hand on FILE
#   print_summary(verdicts) the checker's own report
#   init_worker()           optional per-process setup
#
# run_check() runs one checker over cases; conformance/run.py runs them all on
# the same cases.  Both save disagreements with save_disagreement().


def checker(area):
    """The checker module of an area ('dis' -> conformance.dis_check).  Worker
    processes get areas by name: modules cannot be sent to them."""
    import importlib
    return importlib.import_module('conformance.%s_check' % area)


def init_worker(areas):
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is for the parent to handle
    for area in areas:
        module = checker(area)
        if hasattr(module, 'init_worker'):
            module.init_worker()


def run_check(area, cases, tool, jobs):
    """The checker of `area` on every case, over `jobs` processes: the verdicts, in the
    order of cases, each with the case's name and group."""
    import functools
    return run_pool(functools.partial(check_case, area, tool), cases, jobs,
                    initializer=init_worker, initargs=([area],))


def check_case(area, tool, case):
    v = checker(area).check(case, tool)
    v['name'], v['group'] = case.name, case.group
    return v


def disagrees(v):
    return v['units'].get('disagree', 0) > 0


class Tally:
    """Outcome counts of one area, per group of cases."""

    def __init__(self):
        self.groups = collections.OrderedDict()

    def add(self, group, units):
        g = self.groups.setdefault(group, collections.Counter())
        g.update(units)

    def total(self):
        t = collections.Counter()
        for g in self.groups.values():
            t.update(g)
        return t

    @staticmethod
    def summary(counter):
        """{'agree', 'disagree', 'compared', 'apart': {category: n}, 'skip'}."""
        agree, disagree = counter.get('agree', 0), counter.get('disagree', 0)
        return {'agree': agree, 'disagree': disagree, 'compared': agree + disagree,
                'apart': {k[len('apart:'):]: n for k, n in sorted(counter.items())
                          if k.startswith('apart:') and n},
                'skip': counter.get('skip', 0)}

    def to_json(self):
        out = self.summary(self.total())
        out['groups'] = {name: self.summary(g) for name, g in self.groups.items()}
        return out


def _unique_base(directory, name, data):
    """directory/name, or directory/name.<hash> when another input has that name."""
    import hashlib
    base = os.path.join(directory, safe_filename(name))
    if os.path.exists(base + '.pickle'):
        with open(base + '.pickle', 'rb') as f:
            if f.read() != data:
                base += '.' + hashlib.sha1(data).hexdigest()[:8]
    return base


def python_command():
    """'python3' when that is this interpreter, else its path (for printed commands)."""
    import shutil
    found = shutil.which('python3')
    if found and os.path.realpath(found) == os.path.realpath(sys.executable):
        return 'python3'
    return sys.executable


def replay_command(path, tool, kwargs):
    """The one command that runs the checker of `path`'s folder on it again."""
    parts = [python_command(), os.path.join(ROOT, 'conformance', 'run.py'), '--replay',
             os.path.abspath(path), '--pickletool', os.path.abspath(tool.path)]
    return ' '.join(parts + loads_flags(kwargs))


def save_disagreement(area, v, case, tool, out_dir=OUT_DIR):
    """Write <case>.pickle and <case>.txt (what differs, how to replay it) under
    out_dir/<area>/; return a record of it."""
    module = checker(area)
    directory = os.path.join(out_dir, area)
    os.makedirs(directory, exist_ok=True)
    base = _unique_base(directory, case.name, case.data)
    with open(base + '.pickle', 'wb') as f:
        f.write(case.data)
    lines = module.describe(v)
    record = {'area': area, 'case': case.name, 'group': case.group,
              'kwargs': case.kwargs, 'what': lines[0] if lines else '',
              'input': base + '.pickle', 'minimized': None,
              'replay': replay_command(base + '.pickle', tool, case.kwargs)}
    _write_report(record, lines, module.by_hand(tool, case.kwargs))
    return record


def _write_report(record, lines, by_hand):
    text = ['case: %s (%s)%s' % (record['case'], record['group'],
                                 ' kwargs %r' % (record['kwargs'],) if record['kwargs'] else '')]
    text += lines
    text.append('input: %s (%d bytes)' % (record['input'], os.path.getsize(record['input'])))
    if record['minimized']:
        with open(record['minimized'], 'rb') as f:
            small = f.read()
        text.append('minimized: %s (%d bytes) %s' % (record['minimized'], len(small),
                                                      short(repr(small))))
    text.append('replay: ' + record['replay'])
    if record['minimized']:
        text.append('replay minimized: ' + record['replay_minimized'])
    text.append('by hand: ' + by_hand)
    with open(record['input'][:-len('.pickle')] + '.txt', 'w', encoding='utf-8') as f:
        f.write('\n'.join(text) + '\n')
    record['report'] = '\n'.join(text)


def minimize_disagreement(record, v, case, tool):
    """Shrink a saved disagreement; the record (and its .txt) gain the minimized input.
    Returns the record."""
    module = checker(record['area'])
    still_fails = module.still_fails(v, case, tool)
    if still_fails is None:
        return record
    small = minimize(case.data, still_fails)
    if small != case.data:
        path = record['input'][:-len('.pickle')] + '.min.pickle'
        with open(path, 'wb') as f:
            f.write(small)
        record['minimized'] = path
        record['replay_minimized'] = replay_command(path, tool, case.kwargs)
        _write_report(record, module.describe(v), module.by_hand(tool, case.kwargs))
    return record


def minimize_task(args):
    """minimize_disagreement(*args), for a process pool."""
    return minimize_disagreement(*args)


def cli_main(area, args, with_kwargs=False):
    """What every checker's command line does once its arguments are parsed: build the
    cases, check them, print the checker's summary, save the disagreements (minimizing
    the first --minimize), list the first --list.  Returns the exit status."""
    tool = Tool(args.pickletool, args.timeout)
    cases = build_cases(args.seed, args.count, args.dir, args.mutations, not args.no_vectors,
                        with_kwargs=with_kwargs)
    print('%s_check: %d cases, tool %s' % (area, len(cases), args.pickletool))
    verdicts = run_check(area, cases, tool, args.jobs)
    checker(area).print_summary(verdicts)
    repro_dir(area, clear=True)
    bad = [(v, c) for v, c in zip(verdicts, cases) if disagrees(v)]
    records = [save_disagreement(area, v, c, tool) for v, c in bad]
    n = min(args.minimize, len(bad))
    if n:
        records[:n] = run_pool(minimize_task, [(r, v, c, tool) for r, (v, c)
                                               in zip(records[:n], bad[:n])],
                               args.jobs, initializer=init_worker, initargs=([area],),
                               progress='minimized', chunksize=1)
    if bad:
        print('%d disagreements, saved to %s/:' % (len(bad), os.path.join(OUT_DIR, area)))
    for record in records[:args.list]:
        print('- ' + record['report'].replace('\n', '\n  '))
    return 1 if bad else 0


# ---------------------------------------------------------------------------
# Running, saving, minimizing.

def safe_filename(name):
    return re.sub(r'[^A-Za-z0-9_.=-]+', '_', name)[:120]


def repro_dir(subdir, clear=False, out_dir=OUT_DIR):
    """out_dir/<subdir>/, created (and emptied first if clear)."""
    d = os.path.join(out_dir, subdir)
    if clear and os.path.isdir(d):
        import shutil
        shutil.rmtree(d)
    os.makedirs(d, exist_ok=True)
    return d


def run_pool(func, items, jobs, initializer=None, initargs=(), progress='cases', chunksize=8):
    """func(item) for every item, in order, over `jobs` forked worker processes."""
    import multiprocessing
    results = []
    total = len(items)
    step = max(1, total // 20)
    ctx = multiprocessing.get_context('fork')
    with ctx.Pool(jobs, initializer=initializer, initargs=initargs) as pool:
        for i, result in enumerate(pool.imap(func, items, chunksize=chunksize), 1):
            results.append(result)
            if sys.stderr.isatty() and (i % step == 0 or i == total):
                sys.stderr.write('\r  %d/%d %s' % (i, total, progress))
                sys.stderr.flush()
    if sys.stderr.isatty() and total:
        sys.stderr.write('\n')
    return results


def minimize(data, still_fails, budget=400):
    """A smaller input for which still_fails(input) holds (greedy chunk removal)."""
    tries = 0
    chunk = max(1, len(data) // 2)
    while chunk >= 1 and tries < budget:
        pos, changed = 0, False
        while pos < len(data) and tries < budget:
            candidate = data[:pos] + data[pos + chunk:]
            tries += 1
            if candidate != data and still_fails(candidate):
                data, changed = candidate, True
            else:
                pos += chunk
        if not changed:
            chunk //= 2
    return data


def with_hash_seed_zero():
    """Re-execute this script with PYTHONHASHSEED=0 unless it already runs so: the seed
    whose set order the tool reproduces, and what makes pickled sets of strs (so the
    corpus) the same on every run."""
    if os.environ.get('PYTHONHASHSEED') != '0':
        env = dict(os.environ, PYTHONHASHSEED='0')
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def add_common_arguments(ap):
    ap.add_argument('--pickletool', default=DEFAULT_TOOL,
                    help='the tool under test (a .py file runs with this python); '
                         'default: %(default)s')
    ap.add_argument('--seed', type=int, default=0, help='corpus and mutation seed')
    ap.add_argument('--count', type=int, default=None,
                    help='corpus objects (default: catalogue + 200 random graphs)')
    ap.add_argument('--dir', help='use the pickles in DIR instead of generating a corpus')
    ap.add_argument('--mutations', type=int, default=1,
                    help="random mutations per input (default 1; pickletester's vectors "
                         'also get every truncation)')
    ap.add_argument('--no-vectors', action='store_true', help="skip pickletester's vectors")
    ap.add_argument('--jobs', '-j', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--list', type=int, default=20, metavar='N',
                    help='list at most N disagreements (all are saved)')
    ap.add_argument('--minimize', type=int, default=10, metavar='N',
                    help='minimize the first N disagreements (default 10)')
    ap.add_argument('--timeout', type=float, default=60, help='seconds per tool run')


def check_tool(ap, path):
    if not os.path.exists(path):
        ap.error('no tool at %s (build it, or pass --pickletool conformance/fake_pickletool.py)'
                 % path)


def short(text, limit=160):
    text = text if isinstance(text, str) else text.decode('utf-8', 'backslashreplace')
    return repr(text if len(text) <= limit else text[:limit] + '...')
