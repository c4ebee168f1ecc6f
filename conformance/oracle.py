"""CPython's outcomes, the reference every checker compares the tool with.

reference_load also decides which outcomes depend on something the library cannot
know (an import, code a class runs, the machine's memory), so that those are
counted apart rather than as disagreements.
"""

import collections
import io
import pickle
import pickletools
import re
import sys
import types

from conformance.sandbox import (BlockedGlobal, GLOBALS_SEEN, compat_name, guarded,
                                 is_safe_global, memory_limit)
from conformance.tools import same_error_class


def error_text(exc):
    """`ClassName: message`, the way the tools report an exception."""
    msg = str(exc)
    return '%s: %s' % (type(exc).__name__, msg) if msg else type(exc).__name__


# ---------------------------------------------------------------------------
# Value inspection.

BUILTIN_VALUE_TYPES = frozenset([type(None), bool, int, float, complex, str, bytes, bytearray,
                                 list, tuple, dict, set, frozenset])


def each_reachable(root, children):
    """Every object reachable from root through children(x), each once (by identity)."""
    seen, todo = set(), [root]
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        yield x
        todo.extend(children(x))


def container_items(x):
    """The items of a list, tuple, set or frozenset, the keys and values of a dict."""
    if isinstance(x, dict):
        return list(x.keys()) + list(x.values())
    if isinstance(x, (list, tuple, set, frozenset)):
        return list(x)
    return []


def is_builtin_value(obj):
    """True if obj is made only of builtin value types (exact types, no subclasses)."""
    return all(type(x) in BUILTIN_VALUE_TYPES for x in each_reachable(obj, container_items))


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
                    the outcome (appending to it, calling it, hashing it, ...); or
                    it names the metaclass of a class the pickle names
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


def _c_string_line(load, empty_is_zero=False):
    """The load of a text number, reading its line as the C unpickler parses it: as a C
    string, which ends at the first NUL (b'L12\\x00junk\\n' is 12 there, and an error
    in pickle.py, which would hide a later error from a call). For INT (empty_is_zero)
    an empty C string is 0: strtol reads no digit and stops at the NUL."""
    def wrapped(self):
        readline = self.readline

        def c_line():
            line = readline()
            if b'\0' not in line:
                return line
            line = line[:line.index(b'\0')]
            return (line or (b'0' if empty_is_zero else b'')) + b'\n'
        self.readline = c_line
        try:
            load(self)
        finally:
            self.readline = readline
    return wrapped


def _c_empty_batch(load):
    """APPENDS or ADDITEMS as the C unpickler does them: with no items after the mark,
    nothing happens to the target (pickle.py looks up its extend or add first)."""
    def wrapped(self):
        if not self.stack and self.metastack:
            self.pop_mark()
            return
        load(self)
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
        self._source = args[0]      # the io.BytesIO read
        self.opaque_targets = 0     # BUILD, NEWOBJ, NEWOBJ_EX on opaque objects
        self.defaulted_getattrs = 0     # getattr(opaque, name, default)

    @staticmethod
    def _call(func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            raise InsideCall(exc) from exc

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if func is getattr and type(args) is tuple and len(args) == 3 and _opaque(args[0]):
            self.defaulted_getattrs += 1    # the default, or the attribute: class code
        # An opaque argument list: whether it is a tuple (a namedtuple) is its class's.
        if (callable(func) and type(args) is tuple) or _opaque(func) or _unknown_target(args):
            self.stack[-1] = self._call(lambda: func(*args))
        else:
            self.stack[-1] = func(*args)
    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_newobj(self):
        args = self.stack.pop()
        try:
            cls = self.stack.pop()
        except IndexError as exc:
            # Before 3.10 the C unpickler pops and checks the arguments first: whether an
            # instance is a tuple (a namedtuple) decides which error comes.
            if _unknown_target(args):
                raise InsideCall(exc) from exc
            raise
        self.opaque_targets += _opaque(cls) or _unknown_target(args)
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
        # An opaque state too: whether it counts as a dict (a dict subclass) is its class's.
        inst, state = self.stack[-2], self.stack[-1]
        self.opaque_targets += _unknown_target(inst)
        if _unknown_target(inst) or _unknown_target(state):
            self._call(pickle._Unpickler.load_build, self)
        else:
            pickle._Unpickler.load_build(self)
    dispatch[pickle.BUILD[0]] = load_build

    dispatch[pickle.APPEND[0]] = _guard_operands(pickle.APPEND, lambda u: [u.stack[-2]])
    dispatch[pickle.APPENDS[0]] = _c_empty_batch(
        _guard_operands(pickle.APPENDS, lambda u: [_below_mark(u)]))
    dispatch[pickle.SETITEM[0]] = _guard_operands(pickle.SETITEM,
                                                  lambda u: [u.stack[-3], u.stack[-2]])
    dispatch[pickle.SETITEMS[0]] = _guard_operands(
        pickle.SETITEMS, lambda u: [_below_mark(u)] + u.stack[0::2])
    dispatch[pickle.DICT[0]] = _guard_operands(pickle.DICT, lambda u: u.stack[0::2])
    dispatch[pickle.ADDITEMS[0]] = _c_empty_batch(_guard_operands(
        pickle.ADDITEMS, lambda u: [_below_mark(u)] + u.stack))
    dispatch[pickle.FROZENSET[0]] = _guard_operands(pickle.FROZENSET, lambda u: list(u.stack))
    def load_frame(self):
        # The C unpickler only checks that the frame's bytes are there; reads then go on
        # across its end (pickle.py holds each frame apart and fails at its end).
        size = self.read(8)
        if len(size) < 8 or int.from_bytes(size, 'little') > len(self._source.getbuffer()) - self._source.tell():
            raise pickle.UnpicklingError('pickle data was truncated')
    dispatch[pickle.FRAME[0]] = load_frame

    dispatch[pickle.INT[0]] = _c_string_line(pickle._Unpickler.load_int, empty_is_zero=True)
    dispatch[pickle.LONG[0]] = _c_string_line(pickle._Unpickler.load_long)


# C messages for checks whose answer depends on an object the probe calls opaque.
_C_OPAQUE_CHECKS = re.compile(r'^UnpicklingError: (NEWOBJ(_EX)? \w+ argument must be a |'
                              r'NEWOBJ expected an arg tuple|(slot )?state is not a dictionary)')


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
        inner = exc.args[0]
        # pickle.py's stack underflow is an IndexError, the C unpickler's an UnpicklingError.
        got = 'UnpicklingError' if isinstance(inner, IndexError) else error_text(inner)
        if same_error_class(got, text):
            return True
    except Exception:
        pass
    return bool(_C_OPAQUE_CHECKS.match(text)) and probe.opaque_targets > 0


_last_load = [None, None]    # [(data, kwargs), (value, exception, globals seen)]


def cpython_loads(data, kwargs=None):
    """(value, None, globals) or (None, exception, globals): pickle.loads(data, **kwargs)
    under the sandbox's guard and memory limit, with the (module, name) pairs find_class
    was asked for. The last input's outcome is kept: the checkers of one input (load,
    roundtrip) share one load, since neither changes the value."""
    kwargs = kwargs or {}
    key = (data, sorted(kwargs.items()))
    if _last_load[0] == key:
        return _last_load[1]
    _last_load[:] = [None, None]
    value, err = None, None
    try:
        with guarded(), memory_limit():
            value = pickle.loads(data, **kwargs)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:    # noqa: B902 -- whatever CPython raises is its outcome
        err = exc
    _last_load[:] = [key, (value, err, list(GLOBALS_SEEN))]
    return _last_load[1]


def getattr_with_default(data, kwargs, seen):
    """True if loading called getattr(obj, name, default) on an object whose attributes
    its class decides (which of the two getattr returned, no pickle records)."""
    if not any(compat_name(m, n) == ('builtins', 'getattr') for m, n in seen):
        return False
    probe = _CallProbe(io.BytesIO(data), **kwargs)
    try:
        with guarded(), memory_limit():
            probe.load()
    except Exception:
        pass
    return probe.defaulted_getattrs > 0


def _names_metaclass(text, seen):
    """True if the error text names the metaclass of a class the pickle named (an Enum
    is an instance of EnumType): no pickle records a class's metaclass."""
    for module, name in seen:
        obj = sys.modules.get(module)
        for part in name.split('.'):
            obj = getattr(obj, part, None)
        meta = type(obj)
        if isinstance(obj, type) and meta is not type and "'%s'" % meta.__name__ in text:
            return True
    return False


def reference_load(data, kwargs=None, repr_digits_limit=True):
    """CPython's outcome for `pickletool show` on data (pickle.loads, in memory).

    The value's repr is part of the outcome only for values made of builtin
    value types; it is computed like print(repr(value)) would, so an int of more
    than 4300 digits is an error (ValueError) unless repr_digits_limit is False.
    """
    kwargs = kwargs or {}
    value, err, seen = cpython_loads(data, kwargs)
    imports = any(not is_safe_global(m, n) for m, n in seen)
    if err is None:
        if not is_builtin_value(value):
            return Outcome('ok-object', describe_object(value),
                           'imports' if imports else 'plain', seen)
        old = sys.get_int_max_str_digits()
        try:
            if not repr_digits_limit:
                sys.set_int_max_str_digits(0)
            category = 'imports' if imports else \
                'call' if getattr_with_default(data, kwargs, seen) else 'plain'
            return Outcome('ok', repr(value), category, seen)
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
    elif seen and (_raised_inside_call(data, kwargs, text) or _names_metaclass(text, seen)):
        category = 'call'
    else:
        category = 'plain'
    return Outcome('err', text, category, seen)
