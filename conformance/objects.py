"""User classes covering every way an object can reduce itself for pickle.

Imported as ``conformance.objects`` (the repository root must be on sys.path),
so pickles name these classes ``conformance.objects <qualname>``.  Everything
here is deterministic: constructors take explicit arguments and never use
randomness, time or identity.

Reduce forms covered:
    Plain              instance __dict__ (copyreg._reconstructor / NEWOBJ + BUILD)
    Slots              __slots__ only (BUILD with a (None, slotstate) pair;
                       refused at protocols 0 and 1)
    SlotsDict          __slots__ plus __dict__ (BUILD with (dict, slotstate))
    GetSetState        __getstate__ / __setstate__ with a tuple state
    Reduce2 .. Reduce6 __reduce__ returning 2- to 6-tuples
                       (args; state; list items; dict items; state setter)
    ReduceEx           __reduce_ex__ that depends on the protocol
    SINGLETON          __reduce__ returning a string (a module-level name)
    NewArgs            __getnewargs__ with a custom __new__
    NewArgsEx          __getnewargs_ex__ with keyword arguments
    Registered         reduced through copyreg.pickle (module-level reducer)
    RegisteredState    copyreg.pickle reducer returning a state too
    GetStateNone, GetStateEmpty   __getstate__ returning None (no BUILD) or {} (BUILD
                       at protocol 2+, none below)
    NewArgsExNoKw, NewArgsExKwOnly   __getnewargs_ex__ with empty kwargs / no args
    MyList .. MyTuple  list/dict/set/frozenset/int/float/str/bytes/tuple
                       subclasses, with and without instance attributes
    Outer.Inner(.Deeper)  nested classes (dotted __qualname__)
    Color, Number, Perm   Enum, IntEnum, Flag
    Point              collections.namedtuple
    DataPoint, FrozenPoint  dataclasses (the frozen one is hashable)
    module_function, factory   module-level functions (pickled as globals)
"""

import collections
import copyreg
import dataclasses
import enum

__all__ = [
    'Plain', 'Slots', 'SlotsDict', 'GetSetState', 'Reduce2', 'Reduce3',
    'Reduce4', 'Reduce5', 'Reduce6', 'ReduceEx', 'Singleton', 'SINGLETON',
    'NewArgs', 'NewArgsEx', 'Registered', 'MyList', 'MyListAttr', 'MyDict',
    'MyDictAttr', 'MySet', 'MyFrozenSet', 'MyInt', 'MyIntAttr', 'MyFloat',
    'MyStr', 'MyStrAttr', 'MyBytes', 'MyTuple', 'MyTupleAttr', 'Outer',
    'Color', 'Number', 'Perm', 'Point', 'DataPoint', 'FrozenPoint',
    'module_function', 'factory', 'set_state', 'Container',
    'RegisteredState', 'GetStateNone', 'GetStateEmpty', 'NewArgsExNoKw', 'NewArgsExKwOnly',
]


class Plain:
    """Instance with a __dict__ and a method (for bound/unbound method globals)."""

    def __init__(self, a=1, b='two'):
        self.a = a
        self.b = b

    def method(self):
        return self.a

    @classmethod
    def make(cls):
        return cls()


class Slots:
    __slots__ = ('x', 'y')

    def __init__(self, x=1, y=None):
        self.x = x
        if y is not None:       # leave 'y' unset sometimes: an absent slot
            self.y = y


class SlotsDict:
    __slots__ = ('x', '__dict__')

    def __init__(self, x=1, **attrs):
        self.x = x
        self.__dict__.update(attrs)


class GetSetState:
    """State is a tuple, so BUILD must call __setstate__."""

    def __init__(self, value=0, label='gs'):
        self.value = value
        self.label = label

    def __getstate__(self):
        return (self.value, self.label)

    def __setstate__(self, state):
        self.value, self.label = state


class Reduce2:
    """__reduce__ -> (callable, args)."""

    def __init__(self, a, b=None):
        self.a = a
        self.b = b

    def __reduce__(self):
        return (Reduce2, (self.a, self.b))


class Reduce3:
    """__reduce__ -> (callable, args, state); the state goes through BUILD."""

    def __init__(self, a=0):
        self.a = a
        self.extra = None

    def __reduce__(self):
        return (Reduce3, (self.a,), {'extra': self.extra})


class Container:
    """A minimal list-and-dict-like object for list items and dict items."""

    def __init__(self):
        self.items = []
        self.mapping = {}

    def append(self, item):
        self.items.append(item)

    def extend(self, items):
        self.items.extend(items)

    def __setitem__(self, key, value):
        self.mapping[key] = value


class Reduce4(Container):
    """__reduce__ -> (callable, args, state, listitems)."""

    def __init__(self, tag='r4'):
        super().__init__()
        self.tag = tag

    def __reduce__(self):
        return (Reduce4, (self.tag,), None, iter(self.items))


class Reduce5(Container):
    """__reduce__ -> (callable, args, state, listitems, dictitems)."""

    def __init__(self, tag='r5'):
        super().__init__()
        self.tag = tag

    def __reduce__(self):
        return (Reduce5, (self.tag,), {'note': 'five'}, iter(self.items),
                iter(self.mapping.items()))


def set_state(obj, state):
    """State setter used by Reduce6 (the 6th item of a reduce tuple)."""
    obj.state = state
    return obj


class Reduce6:
    """__reduce__ -> (callable, args, state, None, None, state_setter)."""

    def __init__(self, state=None):
        self.state = state

    def __reduce__(self):
        return (Reduce6, (), self.state, None, None, set_state)


class ReduceEx:
    """__reduce_ex__ giving a different reduction per protocol."""

    def __init__(self, value=0):
        self.value = value

    def __reduce_ex__(self, protocol):
        return (ReduceEx, (self.value,), {'protocol_hint': protocol >= 2})


class Singleton:
    """Pickled by name: __reduce__ returns the module-level name 'SINGLETON'."""

    def __reduce__(self):
        return 'SINGLETON'


SINGLETON = Singleton()


class NewArgs:
    """__getnewargs__ with a __new__ that needs its arguments."""

    def __new__(cls, x, y):
        self = super().__new__(cls)
        self.x = x
        self.y = y
        return self

    def __getnewargs__(self):
        return (self.x, self.y)


class NewArgsEx:
    """__getnewargs_ex__ with keyword arguments (NEWOBJ_EX at protocol 4+)."""

    def __new__(cls, x, *, scale=1):
        self = super().__new__(cls)
        self.x = x
        self.scale = scale
        return self

    def __getnewargs_ex__(self):
        return ((self.x,), {'scale': self.scale})


class Registered:
    """Has no reduce method of its own: copyreg.pickle registers one."""

    def __init__(self, value):
        self.value = value


def _reduce_registered(obj):
    return (Registered, (obj.value,))


copyreg.pickle(Registered, _reduce_registered)


class MyList(list):
    pass


class MyListAttr(list):
    def __init__(self, items=(), note='list-attr'):
        super().__init__(items)
        self.note = note


class MyDict(dict):
    pass


class MyDictAttr(dict):
    def __init__(self, items=(), note='dict-attr'):
        super().__init__(items)
        self.note = note


class MySet(set):
    pass


class MyFrozenSet(frozenset):
    pass


class MyInt(int):
    pass


class MyIntAttr(int):
    def __new__(cls, value=0, note='int-attr'):
        self = super().__new__(cls, value)
        self.note = note
        return self


class MyFloat(float):
    pass


class MyStr(str):
    pass


class MyStrAttr(str):
    def __new__(cls, value='', note='str-attr'):
        self = super().__new__(cls, value)
        self.note = note
        return self


class MyBytes(bytes):
    pass


class MyTuple(tuple):
    pass


class MyTupleAttr(tuple):
    def __new__(cls, items=(), note='tuple-attr'):
        self = super().__new__(cls, items)
        self.note = note
        return self


class Outer:
    class Inner:
        class Deeper:
            def __init__(self, v=3):
                self.v = v

        def __init__(self, v=2):
            self.v = v

    def __init__(self, v=1):
        self.v = v


class Color(enum.Enum):
    RED = 1
    GREEN = 'green'
    BLUE = (3, 'blue')


class Number(enum.IntEnum):
    ONE = 1
    BIG = 2 ** 40
    NEG = -5


class Perm(enum.Flag):
    R = 4
    W = 2
    X = 1


Point = collections.namedtuple('Point', ['x', 'y'])


@dataclasses.dataclass
class DataPoint:
    x: int = 0
    y: object = None
    tags: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class FrozenPoint:
    x: int = 0
    y: int = 0


def module_function(x=0):
    """A module-level function, pickled as a global."""
    return x


def factory(kind, *args):
    """A module-level callable used as the first item of a reduce tuple."""
    return Reduce2(kind, args)



class RegisteredState:
    """copyreg.pickle reducer returning (callable, args, state)."""

    def __init__(self, value=None):
        self.value = value


def _reduce_registered_state(obj):
    return (RegisteredState, (), {'value': obj.value})


copyreg.pickle(RegisteredState, _reduce_registered_state)


class GetStateNone:
    """__getstate__ returns None: no BUILD at any protocol."""

    def __init__(self, value=0):
        self.value = value

    def __getstate__(self):
        return None


class GetStateEmpty:
    """__getstate__ returns {}: copyreg's protocol 0-1 reduction drops an empty state,
    object.__reduce_ex__(2+) keeps it (BUILD with {})."""

    def __getstate__(self):
        return {}


class NewArgsExNoKw:
    """__getnewargs_ex__ with empty keyword arguments (NEWOBJ, not NEWOBJ_EX)."""

    def __new__(cls, x=0):
        self = super().__new__(cls)
        self.x = x
        return self

    def __getnewargs_ex__(self):
        return ((self.x,), {})


class NewArgsExKwOnly:
    """__getnewargs_ex__ with keyword arguments only."""

    def __new__(cls, *, x=0):
        self = super().__new__(cls)
        self.x = x
        return self

    def __getnewargs_ex__(self):
        return ((), {'x': self.x})
