"""What CPython's unpickler does with a pickle, recorded without importing or running
anything, and the comparison of a scan report with it. Used by scan_check.py and, compiled
into the binary, by the fuzz target fuzz_scan (standard library only, no other import).

CPython's C unpickler loads the input with a find_class that records every (module,
name) it is asked for and returns a stand-in class instead of importing: calling it,
instantiating it, giving its instances state or items records the action and does
nothing else. The globals the library evaluates itself (lib/src/native_globals.def, but
getattr, which the scan reports as a call) are returned as they are (REAL), so that both
sides compute the same values.
"""

import copyreg
import functools
import io
import pickle
import sys
import _compat_pickle

REAL = {
    ('builtins', 'set'): set, ('builtins', 'frozenset'): frozenset,
    ('builtins', 'bytearray'): bytearray, ('builtins', 'bytes'): bytes,
    ('builtins', 'complex'): complex, ('_codecs', 'encode'): __import__('_codecs').encode,
    ('copyreg', '_reconstructor'): copyreg._reconstructor,
    ('copyreg', '__newobj__'): copyreg.__newobj__, ('copyreg', '__newobj_ex__'): copyreg.__newobj_ex__,
    ('functools', 'partial'): functools.partial, ('builtins', 'object'): object, ('builtins', 'type'): type,
    ('builtins', 'NoneType'): type(None), ('builtins', 'ellipsis'): type(...),
    ('builtins', 'NotImplementedType'): type(NotImplemented),
}
_HELPER_CODE = frozenset(f.__code__ for f in (copyreg._reconstructor, copyreg.__newobj__, copyreg.__newobj_ex__))
# The names the scan reports calls of these under; getattr is guarded (_Loader).
REAL_TARGETS = frozenset('%s.%s' % key for key in REAL) | {'builtins.getattr'}


def _py3_name(module, name):
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _protocol(unpickler):
    """The protocol the running load is at, as far as find_class depends on it: 2 below 3
    (Python 2 names are mapped), 4 from 4 on (dotted names walk attributes), else 3.
    CPython's own find_class is asked about names it resolves in builtins, loaded already."""
    def finds(module, name):
        try:
            pickle.Unpickler.find_class(unpickler, module, name)
            return True
        except MemoryError:
            raise
        except Exception:
            return False
    return 4 if finds('builtins', 'int.__name__') else 2 if finds('__builtin__', 'int') else 3


def _resolve(unpickler, module, name):
    """What find_class returns: a REAL global, a builtins constant, a stand-in; or the
    error CPython raises for a name that cannot exist in any module."""
    proto = _protocol(unpickler)
    if proto < 3:
        module, name = _py3_name(module, name)
    if module == 'builtins':    # CPython's lookup, which imports nothing
        found = pickle.Unpickler.find_class(unpickler, module, name)
        real = REAL.get((module, name))
        if real is not None:
            return real
        if name == 'getattr':
            return unpickler.getattr
        if not callable(found):
            return found
        unpickler.approximate = True
        return unpickler.stand_in(name)
    if not module:
        raise ValueError('Empty module name')
    if not name or (proto >= 4 and '' in name.split('.')):
        raise AttributeError(name)
    real = REAL.get((module, name))
    if real is None and module in sys.modules:
        # Another name of a REAL global (codecs.encode is _codecs.encode), in a module
        # loaded already: its dict says so, without running any code.
        found = vars(sys.modules[module]).get(name)
        real = next((r for r in REAL.values() if r is found), None)
    return real or unpickler.stand_in(name)


class _WholeInput(io.BytesIO):
    """A file whose peek() returns all the bytes left: CPython's C unpickler then holds
    the whole input in its buffer and reads it as pickle.loads() does. (Without peek, it
    reads the file piece by piece, and a FRAME that runs past the end of the one it is
    in, or an opcode straddling a frame's end, makes it skip the rest of the current
    frame: pickle.load() of such a file runs other opcodes than loads().)"""

    def peek(self, n=0):
        return self.getbuffer()[self.tell():].tobytes()


class _Loader(pickle.Unpickler):
    def __init__(self, data, file_reads=False, file=None):
        super().__init__(file or (io.BytesIO(data) if file_reads else _WholeInput(data)))
        self.actions = []
        # Set when a builtin other than REAL's stands in: the library knows which
        # attributes such a builtin has and whether it is a class, a stand-in does not.
        self.approximate = False
        log = self.actions

        class StandInType(type):
            def __call__(cls, *args, **kwargs):
                log_call()
                return object.__new__(cls)

            def __getattr__(cls, name):
                if name == '__setstate__':   # BUILD on the global itself looks for it
                    log.append(('build',))
                if name.startswith('__') and name.endswith('__'):
                    raise AttributeError(name)
                return stand_in(cls.__qualname__ + '.' + name)

        def instance_attribute(self, name):
            if name == '__setstate__':   # found on instances only, as for a class defining it
                return lambda state: log.append(('build',))
            raise AttributeError(name)

        def new(cls, *args, **kwargs):
            log_call()
            return object.__new__(cls)

        def log_call():
            # The scan reports a call of copyreg's helpers; the calls they make in turn
            # (base.__new__, cls.__new__) follow from their arguments.
            if sys._getframe(2).f_code not in _HELPER_CODE:
                log.append(('call',))

        def items(self, *args):
            log.append(('items',))

        def stand_in(qualname):
            return StandInType(qualname.rsplit('.', 1)[-1], (), {
                '__qualname__': qualname, '__new__': new, '__init__': lambda self, *a, **k: None,
                '__getattr__': instance_attribute, 'extend': items, '__setitem__': items, 'add': items})

        def guarded_getattr(obj, name, *default):
            # builtins.getattr: a stand-in's attributes are stand-ins; a real object's
            # are looked up (which runs no pickle-chosen code) and, when callable, stood
            # in for, so that calling them is recorded and runs nothing.
            found = getattr(obj, name, *default)
            if isinstance(obj, StandInType) or isinstance(type(obj), StandInType) or not callable(found):
                return found
            return stand_in(name)

        self.stand_in = stand_in
        self.getattr = guarded_getattr

    def find_class(self, module, name):
        self.actions.append(('import', module, name))
        return _resolve(self, module, name)

    def persistent_load(self, pid):
        self.actions.append(('persistent_id',))
        return object.__new__(self.stand_in('persistent'))


def record(data):
    """The actions CPython takes loading the first pickle in data, whether it finishes,
    whether a stand-in for a builtin took part (then only the actions before either side
    stops are compared), and whether reading the bytes from a file without peek()
    (io.BytesIO, as torch.load does) takes other actions or ends otherwise."""
    return combine(run(data, False), run(data, True))


def run(data, file_reads, file=None):
    """One load of data, read as loads() does or from a file without peek() (or from
    `file`): its actions, whether a builtin stood in, and how it ended: 'finished',
    'memory' (MemoryError) or 'error'. (Neither the loader nor the exception outlives the
    call, so CPython frees the loader at once.)"""
    u = _Loader(data, file_reads, file)
    try:
        u.load()
        ended = 'finished'
    except MemoryError:
        ended = 'memory'
    except Exception:
        ended = 'error'
    return u.actions, u.approximate, ended


def buffered_file_reads_differ(data):
    """Whether pickle.load(open(path, 'rb')) of data (a buffered reader, with peek())
    takes other actions or ends otherwise than loads(). The scan's framing event models
    readers without peek(); this says whether buffered files need a model of their own."""
    import tempfile
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        with open(f.fileno(), 'rb', closefd=False) as buffered:
            actions, _, ended = run(data, False, buffered)
    loads_actions, _, loads_ended = run(data, False)
    return 'memory' not in (ended, loads_ended) and (actions, ended) != (loads_actions, loads_ended)


def combine(loads_run, file_run):
    """record() from the two runs."""
    (actions, approximate, ended), (file_actions, _, file_ended) = loads_run, file_run
    # Running out of memory in one reading and not the other says nothing of the bytes.
    differ = 'memory' not in (ended, file_ended) and (file_actions, file_ended) != (actions, ended)
    return actions, ended == 'finished', approximate, differ


def _made_by_real_type(target):
    # "object from REDUCE at 12 (functools.partial)": the call that made the object acted
    # on. An instance of a REAL type is the real thing in CPython; copyreg's helpers make
    # instances of the class they are given.
    # getattr's callable results stand in (guarded_getattr).
    maker = target[target.rfind('(') + 1:-1] if target.endswith(')') else ''
    return maker in REAL_TARGETS and not maker.startswith('copyreg.') and maker != 'builtins.getattr'


def scanned_actions(events):
    """The actions a scan report says CPython takes in the first pickle, as record() writes
    them. events: dicts with the JSON report's fields."""
    out = []
    for e in events:
        if not e['reached'] or e['pickle'] != 0 or e.get('depth', 0) != 0:
            continue
        kind, op = e['kind'], e['opcode']
        if kind == 'import':
            if e.get('source') != 'unresolved' and op not in ('EXT1', 'EXT2', 'EXT4'):
                out.append(('import', e.get('raw_module', e['module']), e.get('raw_name', e['name'])))
        elif e['target'] in REAL_TARGETS or (kind != 'call' and _made_by_real_type(e['target'])):
            continue    # CPython runs the real one, which records nothing (calling a
                        # partial calls the function it holds, which may stand in)
        elif kind in ('call', 'new'):
            out.append(('build',) if op == 'BUILD' else ('call',))
        elif kind in ('setstate', 'setattributes'):
            out.append(('build',))
        elif kind in ('items', 'persistent_id'):
            out.append((kind,))
    return out


def _one_per_run_of_items(actions):
    # The scan reports one event per APPENDS/SETITEMS/ADDITEMS; CPython calls __setitem__
    # and add once per item.
    return [a for i, a in enumerate(actions) if a != ('items',) or i == 0 or actions[i - 1] != a]


def compare(recorded, report):
    """Why the scan report (the JSON report as a dict) misstates what CPython does, as
    record() found it, or None when they agree."""
    actions, finished, approximate, file_reads_differ = recorded
    if file_reads_differ and not any(e['kind'] == 'framing' and e['pickle'] == 0 and e.get('depth', 0) == 0
                                     for e in report['events']):
        return 'CPython reading the bytes from a file takes other actions than loads(); the scan says nothing'
    actions = _one_per_run_of_items(actions)
    scanned = _one_per_run_of_items(scanned_actions(report['events']))
    if report['status'] == 'inconclusive' or approximate:
        # CPython's path past the point the scan stops depends on the stand-ins' code.
        n = min(len(actions), len(scanned))
        if actions[:n] != scanned[:n]:
            return 'CPython does %s, the scan (%s) reports %s' % (actions, report['status'], scanned)
        return None
    if scanned[:len(actions)] != actions:
        return 'CPython does %s, the scan reports %s' % (actions, scanned)
    if finished and scanned != actions:
        return 'CPython finishes after %s, the scan reports more: %s' % (actions, scanned)
    if finished and report['status'] != 'complete':
        return 'CPython finishes, the scan says %s (%s)' % (report['status'], report['error'])
    return None
