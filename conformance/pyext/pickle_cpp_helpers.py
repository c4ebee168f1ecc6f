# The Python half of the _pickle_cpp extension module. The build embeds this file in the
# extension, which executes it in the module's namespace at import, after defining the
# C++ entry points it uses (_PicklerState, _dump, _UnpicklerState, _load).
#
# It holds what must run as Python code: the Pickler and Unpickler classes (so that
# subclasses override persistent_id, reducer_override, dispatch_table, persistent_load and
# find_class as they do with _pickle), CPython's save_global name checks, the reduction
# chain (reducer_override, dispatch table, __reduce_ex__), BUILD, and turning the
# library's errors into CPython's exception classes. Everything about the pickle bytes is
# done by the C++ library.

import builtins
import copyreg
import re
import sys
from types import FunctionType

from pickle import (DEFAULT_PROTOCOL, HIGHEST_PROTOCOL, PickleBuffer, PickleError,
                    PicklingError, UnpicklingError)

__all__ = ["PickleError", "PicklingError", "UnpicklingError", "Pickler", "Unpickler",
           "dump", "dumps", "load", "loads", "PickleBuffer",
           "HIGHEST_PROTOCOL", "DEFAULT_PROTOCOL"]

# ---- errors ------------------------------------------------------------------------------

_PICKLE_ERRORS = {"PicklingError": PicklingError, "UnpicklingError": UnpicklingError}

_DECODE_RE = re.compile(r"'(.+?)' codec can't decode (?:byte 0x([0-9a-f]{2})|bytes) "
                        r"in position (\d+)(?:-(\d+))?: (.*)", re.S)
_ENCODE_RE = re.compile(r"'(.+?)' codec can't encode (?:character '(.+?)'|characters) "
                        r"in position (\d+)(?:-(\d+))?: (.*)", re.S)


def _library_error(type_name, message):
    """The exception CPython raises, for a library error of class `type_name`."""
    cls = _PICKLE_ERRORS.get(type_name) or getattr(builtins, type_name, None)
    if cls is UnicodeDecodeError:
        # The library reports the message only; rebuild an exception whose str() is it.
        m = _DECODE_RE.fullmatch(message)
        if m:
            start = int(m.group(3))
            end = int(m.group(4)) + 1 if m.group(4) else start + 1
            data = bytearray(end)
            if m.group(2):
                data[start] = int(m.group(2), 16)
            return UnicodeDecodeError(m.group(1), bytes(data), start, end, m.group(5))
        return UnicodeDecodeError("unknown", b"", 0, 0, message)
    if cls is UnicodeEncodeError:
        m = _ENCODE_RE.fullmatch(message)
        if m:
            start = int(m.group(3))
            end = int(m.group(4)) + 1 if m.group(4) else start + 1
            char = "?"
            if m.group(2):
                char = m.group(2).encode("ascii").decode("unicode_escape", "surrogatepass")
            text = "\0" * start + char * (end - start)
            return UnicodeEncodeError(m.group(1), text, start, end, m.group(5))
        return UnicodeEncodeError("unknown", "", 0, 0, message)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        cls = RuntimeError
    return cls(message)


# ---- dumping: names and reductions -----------------------------------------------------------

def _deep_getattr(obj, path):
    for name in path:
        obj = getattr(obj, name)
    return obj


def _whichmodule(obj, path):
    """_pickle.c whichmodule: obj.__module__, else the first module holding obj."""
    module_name = getattr(obj, "__module__", None)
    if module_name is not None:
        return module_name
    for module_name, module in sys.modules.copy().items():
        if module_name == "__main__" or module is None:
            continue
        try:
            if _deep_getattr(module, path) is obj:
                return module_name
        except Exception:
            pass
    return "__main__"


def _global_name(obj, name=None):
    """(module, qualified name) under which CPython's save_global writes obj, with its
    errors when it cannot: a local object, a failed import or lookup, another object."""
    if name is None:
        name = getattr(obj, "__qualname__", None)
        if name is None:
            name = obj.__name__
    path = name.split(".")
    if "<locals>" in path:
        raise AttributeError(f"Can't pickle local object {name!r}")
    module_name = _whichmodule(obj, path)
    try:
        __import__(module_name)
        module = sys.modules[module_name]
    except Exception:
        raise PicklingError(f"Can't pickle {obj!r}: import of module {module_name!r} failed")
    try:
        parent = found = module
        for part in path:
            parent, found = found, getattr(found, part)
    except Exception:
        raise PicklingError(f"Can't pickle {obj!r}: attribute lookup {name} on {module_name} failed")
    if found is not obj:
        raise PicklingError(f"Can't pickle {obj!r}: it's not the same object as {module_name}.{name}")
    if parent is module:
        name = path[-1]  # a path that comes back to the module: its last name will do
    return module_name, name


# Returned by _reduce: write the object as the global it is named by.
_SAVE_GLOBAL = object()


def _reduce(obj, proto, reducer_override, dispatch_table, named):
    """The reduction step of CPython's save() for an object the pickler does not handle by
    type: reducer_override, then (classes and functions aside) the dispatch table, then
    __reduce_ex__ / __reduce__. `named`: obj is a class or function."""
    if reducer_override is not None:
        rv = reducer_override(obj)
        if rv is not NotImplemented:
            return rv
    t = type(obj)
    if named and (t is type or t is FunctionType):
        return _SAVE_GLOBAL
    if dispatch_table is None:
        reduce_func = copyreg.dispatch_table.get(t)
    else:
        try:
            reduce_func = dispatch_table[t]
        except KeyError:
            reduce_func = None
    if reduce_func is not None:
        return reduce_func(obj)
    if issubclass(t, type):
        return _SAVE_GLOBAL
    reduce_ex = getattr(obj, "__reduce_ex__", None)
    if reduce_ex is not None:
        return reduce_ex(proto)
    reduce = getattr(obj, "__reduce__", None)
    if reduce is not None:
        return reduce()
    raise PicklingError(f"can't pickle {t.__name__!r} object: {obj!r}")


# ---- loading --------------------------------------------------------------------------------

_SINGLETON_TYPES = {"NoneType": type(None), "ellipsis": type(...),
                    "NotImplementedType": type(NotImplemented)}


def _load_global(module, qualname):
    """A global the library named by itself (a nested name reached by getattr, the type of
    a singleton): import the module and walk the name."""
    if module == "builtins" and qualname in _SINGLETON_TYPES:
        return _SINGLETON_TYPES[qualname]
    __import__(module)
    return _deep_getattr(sys.modules[module], qualname.split("."))


def _find_class(module, name, proto):
    """_pickle.Unpickler.find_class after fix_imports (the library applied it)."""
    sys.audit("pickle.find_class", module, name)
    __import__(module)
    mod = sys.modules[module]
    if proto >= 4:
        path = name.split(".")
        if "<locals>" in path:
            raise AttributeError(f"Can't pickle local attribute {name!r} on {mod!r}")
        return _deep_getattr(mod, path)
    return getattr(mod, name)


def _build(inst, state):
    """load_build: __setstate__, else the instance dict and slots."""
    setstate = getattr(inst, "__setstate__", None)
    if setstate is not None:
        setstate(state)
        return
    slotstate = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slotstate = state
    if state is not None:
        if not isinstance(state, dict):
            raise UnpicklingError("state is not a dictionary")
        inst_dict = inst.__dict__
        for k, v in state.items():
            if type(k) is str:
                k = sys.intern(k)
            inst_dict[k] = v
    if slotstate is not None:
        if not isinstance(slotstate, dict):
            raise UnpicklingError("slot state is not a dictionary")
        for k, v in slotstate.items():
            setattr(inst, k, v)


def _complete(obj, list_items, dict_items, set_items, has_state, state, setter):
    """What APPEND(S), SETITEM(S), ADDITEMS and BUILD (or a state setter) did to an
    instance, in the order CPython's pickler writes them."""
    if list_items is not None:
        if type(obj) is list:
            obj.extend(list_items)
        else:
            extend = getattr(obj, "extend", None)
            if extend is not None:
                extend(list_items)
            else:
                append = obj.append
                for item in list_items:
                    append(item)
    if dict_items is not None:
        for k, v in dict_items:
            obj[k] = v
    if set_items is not None:
        if isinstance(obj, set):
            set.update(obj, set_items)
        else:
            add = obj.add
            for item in set_items:
                add(item)
    if has_state:
        if setter is not None:
            setter(obj, state)
        else:
            _build(obj, state)


# ---- the API --------------------------------------------------------------------------------

def _resolve_protocol(protocol):
    if protocol is None:
        return DEFAULT_PROTOCOL
    protocol = protocol.__index__() if not isinstance(protocol, int) else int(protocol)
    if protocol < 0:
        return HIGHEST_PROTOCOL
    if protocol > HIGHEST_PROTOCOL:
        raise ValueError(f"pickle protocol must be <= {HIGHEST_PROTOCOL}")
    return protocol


class _MemoUnsupported:
    """Stands for Pickler.memo / Unpickler.memo, whose contents the library does not
    expose (pickle::Pickler and pickle::Unpickler have no call that reads their memo)."""

    def __init__(self, owner):
        self._owner = owner

    def _fail(self, *args):
        raise NotImplementedError(
            f"pickle_cpp: the library has no API to read a {self._owner}'s memo")

    copy = clear = __len__ = __iter__ = _fail


class Pickler:
    """pickle.Pickler with the C++ library writing the bytes."""

    def __init__(self, file, protocol=None, fix_imports=True, buffer_callback=None):
        proto = _resolve_protocol(protocol)
        try:
            write = file.write
        except AttributeError:
            raise TypeError("file must have a 'write' attribute") from None
        if buffer_callback is not None and proto < 5:
            raise ValueError("buffer_callback needs protocol >= 5")
        self._pcpp_state = _PicklerState(proto, bool(fix_imports), buffer_callback is not None)
        self._pcpp_write = write
        self._pcpp_buffer_callback = buffer_callback
        self.fast = False
        self.bin = proto >= 1

    def dump(self, obj):
        try:
            state = self._pcpp_state
        except AttributeError:
            raise PicklingError(f"Pickler.__init__() was not called by "
                                f"{type(self).__name__}.__init__()") from None
        _dump(state, obj, self._pcpp_write,
              getattr(self, "persistent_id", None),
              getattr(self, "reducer_override", None),
              getattr(self, "dispatch_table", None),
              self._pcpp_buffer_callback, bool(self.fast))

    def clear_memo(self):
        self._pcpp_state.clear_memo()

    @property
    def memo(self):
        return _MemoUnsupported("Pickler")

    @memo.setter
    def memo(self, value):
        # _pickle's checks, then: the library has no call that fills a Pickler's memo.
        if isinstance(value, dict):
            for v in value.values():
                if not (isinstance(v, tuple) and len(v) == 2):
                    raise TypeError("'memo' values must be 2-item tuples")
        elif not isinstance(value, _MemoUnsupported):
            raise TypeError(f"'memo' attribute must be a PicklerMemoProxy object or dict, "
                            f"not {type(value).__name__}")
        raise NotImplementedError("pickle_cpp: the library has no API to seed a Pickler's memo")


class Unpickler:
    """pickle.Unpickler with the C++ library reading the bytes. It reads what is left of
    the file at each load() and seeks back to just past STOP (or, for a file that cannot
    seek, keeps the rest for the next load())."""

    def __init__(self, file, *, fix_imports=True, encoding="ASCII", errors="strict",
                 buffers=None):
        read = getattr(file, "read", None)
        readline = getattr(file, "readline", None)
        if read is None or readline is None:
            raise TypeError("file must have 'read' and 'readline' attributes")
        if buffers is not None:
            buffers = list(buffers)
        self._pcpp_state = _UnpicklerState(bool(fix_imports), encoding, errors, buffers)
        self._pcpp_file = file
        self._pcpp_read = read
        self._pcpp_pending = b""
        self._pcpp_proto = 0

    def find_class(self, module_name, global_name):
        return _find_class(module_name, global_name, self._pcpp_proto)

    def load(self):
        try:
            state = self._pcpp_state
        except AttributeError:
            raise UnpicklingError(f"Unpickler.__init__() was not called by "
                                  f"{type(self).__name__}.__init__()") from None
        file = self._pcpp_file
        data = self._pcpp_pending
        start = None
        if not data:
            seekable = getattr(file, "seekable", None)
            if seekable is not None and seekable():
                start = file.tell()
            data = self._pcpp_read()
            if not isinstance(data, bytes):
                raise ValueError(f"read() returned non-bytes object ({data!r})")
        self._pcpp_pending = b""
        self._pcpp_proto = data[1] if len(data) > 1 and data[0] == 0x80 else 0
        try:
            obj, used = _load(state, data, self)
        finally:
            self._pcpp_proto = 0
        if start is not None:
            file.seek(start + used)
        else:
            self._pcpp_pending = data[used:]
        return obj

    @property
    def memo(self):
        return _MemoUnsupported("Unpickler")

    @memo.setter
    def memo(self, value):
        if isinstance(value, _MemoUnsupported):
            value._fail()
        if not isinstance(value, dict):
            raise TypeError(f"'memo' attribute must be an UnpicklerMemoProxy object or dict, "
                            f"not {type(value).__name__}")
        items = []
        for k, v in value.items():
            if not isinstance(k, int):
                raise TypeError("memo key must be integers")
            if k < 0:
                raise ValueError("memo key must be positive integers.")
            items.append((k, v))
        _set_memo(self._pcpp_state, items)


def dump(obj, file, protocol=None, *, fix_imports=True, buffer_callback=None):
    Pickler(file, protocol, fix_imports=fix_imports, buffer_callback=buffer_callback).dump(obj)


def dumps(obj, protocol=None, *, fix_imports=True, buffer_callback=None):
    proto = _resolve_protocol(protocol)
    if buffer_callback is not None and proto < 5:
        raise ValueError("buffer_callback needs protocol >= 5")
    state = _PicklerState(proto, bool(fix_imports), buffer_callback is not None)
    return _dump(state, obj, None, None, None, None, buffer_callback, False)


def load(file, *, fix_imports=True, encoding="ASCII", errors="strict", buffers=None):
    return Unpickler(file, fix_imports=fix_imports, encoding=encoding, errors=errors,
                     buffers=buffers).load()


def loads(data, /, *, fix_imports=True, encoding="ASCII", errors="strict", buffers=None):
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str'")
    if buffers is not None:
        buffers = list(buffers)
    state = _UnpicklerState(bool(fix_imports), encoding, errors, buffers)
    data = bytes(data)
    proto = data[1] if len(data) > 1 and data[0] == 0x80 else 0
    return _load(state, data, None, proto)[0]
