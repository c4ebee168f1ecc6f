"""pickle.dumps, pickle.loads and pickletools.optimize with the library doing the work
through `pickletool`, so that CPython's own pickle tests (testsuite_check.py --cli) run
against the command-line tool under any CPython 3.8-3.13, told that version.

    dumps(obj, q)   CPython pickles obj at protocol q, then `pickletool roundtrip
                    --protocol q` loads those bytes and writes them again: the test sees
                    the library's pickle.
    loads(data)     `pickletool roundtrip --protocol p` loads data (the library's errors
                    are the test's errors) and writes the value again at the protocol p
                    data declares (0 without PROTO); CPython rebuilds the objects from
                    the library's pickle.
    optimize(data)  `pickletool optimize`.

What the test's process knows travels with each call: the extension registry
(copyreg.add_extension) as --extension flags, and out-of-band buffers as files
(--buffers DIR in, --buffers-out DIR out; the buffers the library writes must be
those it was given, and CPython then loads with the caller's own buffer objects, so
zero-copy identity holds).
"""

import builtins
import copyreg
import os
import pickle
import shutil
import tempfile

from conformance.roundtrip_check import input_protocol
from conformance.tools import loads_flags, stderr_error


class ToolFailure(AssertionError):
    """pickletool crashed (a signal, an unexpected exit status, a timeout)."""


def _exception(line):
    """The exception an error line `Class: message` stands for."""
    name, _, message = line.partition(': ')
    message = message.replace('\\n', '\n')
    if name in ('UnpicklingError', 'PicklingError', 'PickleError'):
        cls = getattr(pickle, name)
    else:
        cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        return RuntimeError(line)
    try:
        return cls(message)
    except TypeError:       # UnicodeDecodeError and others that take more than a message
        sub = type(name, (cls,), {'__init__': lambda self, m: BaseException.__init__(self, m),
                                  '__str__': lambda self: self.args[0]})
        return sub(message)


def _write_buffers(folder, buffers):
    """The buffers as the files `pickletool --buffers` reads: folder/N, or N.readonly."""
    os.makedirs(folder, exist_ok=True)
    for i, b in enumerate(buffers):
        with memoryview(b) as m:
            name = '%d%s' % (i, '.readonly' if m.readonly else '')
            with open(os.path.join(folder, name), 'wb') as f:
                f.write(m.tobytes(order='A'))


def _read_buffers(folder):
    """[(bytes, readonly)] of the files `pickletool --buffers-out` wrote, in order."""
    if not os.path.isdir(folder):
        return []
    found = {}
    for name in os.listdir(folder):
        index = int(name.split('.')[0])
        with open(os.path.join(folder, name), 'rb') as f:
            found[index] = (f.read(), name.endswith('.readonly'))
    return [found[i] for i in range(len(found))]


def _same_buffer(original, data, readonly):
    with memoryview(original) as m:
        return m.readonly == readonly and m.tobytes(order='A') == data


class CliPickle:
    """The pickle functions of one tool (a conformance.tools.Tool)."""

    def __init__(self, tool):
        self.tool = tool
        self.__file__ = tool.path

    def _run(self, sub, data, args):
        result = self.tool.run(sub, data, args)
        if result.status.startswith('crash'):
            raise ToolFailure('pickletool %s: %s %s' % (sub, result.status, result.stderr[-500:]))
        if result.status == 'err':
            raise _exception(stderr_error(result.stderr))
        return result.stdout

    @staticmethod
    def _extension_flags():
        flags = []
        for (module, name), code in sorted(copyreg._extension_registry.items()):
            flags += ['--extension', '%d=%s:%s' % (code, module, name)]
        return flags

    def _roundtrip(self, data, protocol, flags, buffers):
        """The library's re-pickling of data at protocol, and the out-of-band buffers it
        wrote (given `buffers`, a list, for NEXT_BUFFER)."""
        args = ['--protocol', str(protocol)] + self._extension_flags() + flags
        if buffers is None:
            return self._run('roundtrip', data, args), []
        folder = tempfile.mkdtemp(prefix='cli_pickle.')
        try:
            _write_buffers(os.path.join(folder, 'in'), buffers)
            args += ['--buffers', os.path.join(folder, 'in')]
            if protocol >= 5:
                args += ['--buffers-out', os.path.join(folder, 'out')]
            out = self._run('roundtrip', data, args)
            return out, _read_buffers(os.path.join(folder, 'out'))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def dumps(self, obj, protocol=None, *, fix_imports=True, buffer_callback=None):
        q = pickle.DEFAULT_PROTOCOL if protocol is None else protocol
        q = pickle.HIGHEST_PROTOCOL if q < 0 else q
        out_of_band = []
        callback = None
        if buffer_callback is not None:
            def callback(pb):
                in_band = buffer_callback(pb)
                if not in_band:
                    out_of_band.append(pb)
                return in_band
        data = pickle.dumps(obj, protocol, fix_imports=fix_imports, buffer_callback=callback)
        out, written = self._roundtrip(data, q, [],
                                       out_of_band if buffer_callback is not None else None)
        if buffer_callback is not None and not (
                len(written) == len(out_of_band)
                and all(_same_buffer(b, *w) for b, w in zip(out_of_band, written))):
            raise AssertionError('pickletool wrote other out-of-band buffers than it was given')
        return out

    def loads(self, data, *, fix_imports=True, encoding='ASCII', errors='strict', buffers=None):
        if buffers is not None:
            buffers = list(iter(buffers))
        kwargs = {'encoding': encoding, 'errors': errors, 'fix_imports': fix_imports}
        kwargs = {k: v for k, v in kwargs.items()
                  if v != {'encoding': 'ASCII', 'errors': 'strict', 'fix_imports': True}[k]}
        data = bytes(data)
        out, written = self._roundtrip(data, input_protocol(data), loads_flags(kwargs), buffers)
        # CPython loads the library's pickle with the caller's own buffer objects (in the
        # order the library wrote them), so that zero-copy reconstruction still holds.
        given = list(buffers or [])
        used = set()
        handed = []
        for data_w, readonly in written:
            i = next((i for i, b in enumerate(given)
                      if i not in used and _same_buffer(b, data_w, readonly)), None)
            if i is None:
                handed.append(data_w if readonly else bytearray(data_w))
            else:
                used.add(i)
                handed.append(given[i])
        return pickle.loads(out, buffers=handed)

    def optimize(self, data):
        return self._run('optimize', bytes(data), [])
