#!/usr/bin/env python3
"""Generate io_cases.tsv: what CPython 3.11 reads from and writes to files, for
lib/test/io_test.cpp (pickle/io.h).

    python3 lib/test/golden/gen_io_cases.py          # rewrites the file
    python3 lib/test/golden/gen_io_cases.py --check  # fails if it is stale

Everything is observed through real files: the pickles are written by pickle.dump to a
file on disk, and each stream is loaded by repeated pickle.load(f) (or
pickle.Unpickler(f).load()) from three kinds of file, whose results the script compares:

  * io.BytesIO;
  * a buffered file on disk, open(path, 'rb'): after each load, f.tell();
  * a pipe read through PipeReader, a file object without peek() whose read(n) waits
    for n bytes (or the end) and whose readline() reads a byte at a time: after each
    load, the position is the stream's length less what is left in the pipe. This shows
    what the C unpickler itself consumes from a descriptor. (A buffered pipe would drain
    the pipe into its buffer; a raw one, open(fd, 'rb', buffering=0), returns short
    reads, which the C unpickler takes for truncation.)

They agree everywhere except when a FRAME reaches past STOP: the buffered file is left
just past STOP (the frame was only peeked), BytesIO and the pipe at the end of the frame
(the frame was read). Those streams record both ('loads.seekable' and 'loads.pipe').

One line per expectation, three tab-separated columns, no header:

    name <TAB> kind <TAB> data

kind   bytes    data: bytes, hex-encoded as in pickle_cases.tsv (runs abbreviated
                `<PATTERN*COUNT>`; see gen_pickle_cases.decode_field)
       loads    data: what successive loads do, comma-separated: `POS:REPR` for a
                pickle loaded (POS: decimal position of the file after the load; REPR:
                hex of the UTF-8 of repr(value), or for a repr longer than 200
                characters `#LENGTH#CRC`, its length in characters and the CRC-32 of its
                UTF-8 in decimal), then `!ERR` for the error that ended the sequence (hex
                of the UTF-8 of `ClassName: message`)
       err      data: hex of the UTF-8 of `ClassName: message`
       text     data: hex of the UTF-8 of a text (a path)

Names:
  stream.all.P        every value of STREAM_VALUES, in order, each written by
                      pickle.dump(v, f, protocol=P) to one file (C++ builds the same
                      values: io_test.cpp, stream_values(); change them together)
  stream.mixed        the same values, the i-th at protocol i % 6
  stream.pickler.P    one pickle.Pickler(f, P) dumping SHARED twice, then [SHARED, 'z']:
                      'loads' by pickle.load, 'unpickler' by one Unpickler's load()
  stream.special.*    hand-made streams (frames past STOP, empty payloads at the end,
                      garbage after a pickle, nothing at all)
  trunc.NAME          a pickle; trunc.NAME.C is the error for its first C bytes
  huge.NAME           a length prefix far beyond the data; .err from every file kind
  os.*                OSError texts of failed opens, reads and writes on this system
"""

import argparse
import io
import os
import pickle
import signal
import struct
import sys
import tempfile
import threading
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from gen_pickle_cases import encode_field  # noqa: E402
from golden_file import write_or_check  # noqa: E402

OUTPUT = os.path.join(HERE, 'io_cases.tsv')
LINES = []


def add(name, kind, data):
    assert '\t' not in name and not any(n == name for n, _, _ in LINES), name
    LINES.append((name, kind, data))


def error_text(exc):
    msg = str(exc)
    return '%s: %s' % (type(exc).__name__, msg) if msg else type(exc).__name__


def hexs(text):
    return text.encode('utf-8', 'surrogatepass').hex()


# ---------------------------------------------------------------------------
# Loading a stream through the three kinds of file.

def run_loads(f, tell, use_unpickler=False):
    """Loads until an error; returns [(pos, repr)] + [error text]."""
    out = []
    u = pickle.Unpickler(f) if use_unpickler else None
    while True:
        try:
            v = u.load() if u else pickle.load(f)
        except Exception as exc:    # noqa: B902 -- the error is the expectation
            out.append(error_text(exc))
            return out
        out.append((tell(), repr(v)))


def with_temp_file(data, fn):
    fd, path = tempfile.mkstemp()
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        return fn(path)
    finally:
        os.unlink(path)


def loads_bytesio(data, use_unpickler=False):
    f = io.BytesIO(data)
    return run_loads(f, f.tell, use_unpickler)


def loads_file(data, use_unpickler=False):
    def go(path):
        with open(path, 'rb') as f:
            return run_loads(f, f.tell, use_unpickler)
    return with_temp_file(data, go)


class PipeReader:
    """A file object over a pipe's read end: read(n) waits for n bytes or the end."""

    def __init__(self, fd):
        self.fd = fd

    def read(self, n=-1):
        out = b''
        while n < 0 or len(out) < n:
            chunk = os.read(self.fd, 1 << 16 if n < 0 else n - len(out))
            if not chunk:
                break
            out += chunk
        return out

    def readinto(self, b):
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def readline(self):
        out = b''
        while not out.endswith(b'\n'):
            c = os.read(self.fd, 1)
            if not c:
                break
            out += c
        return out


def loads_pipe(data, use_unpickler=False):
    """Positions are measured on a fresh pipe per load: after k loads, what is left."""
    def attempt(k):
        """Does k loads; returns (repr of the k-th value, position) or (error, None)."""
        r, w = os.pipe()

        def write():
            view = memoryview(data)
            while view:
                view = view[os.write(w, view):]
            os.close(w)
        writer = threading.Thread(target=write)
        writer.start()
        outcome = None
        f = PipeReader(r)
        try:
            u = pickle.Unpickler(f) if use_unpickler else None
            for _ in range(k):
                try:
                    outcome = repr(u.load() if u else pickle.load(f))
                except Exception as exc:    # noqa: B902
                    outcome = error_text(exc)
                    f.read()
                    return outcome, None
            return outcome, len(data) - len(f.read())
        finally:
            writer.join()
            os.close(r)

    out = []
    while True:
        outcome, pos = attempt(len(out) + 1)
        if pos is None:
            out.append(outcome)
            return out
        out.append((pos, outcome))


def encode_repr(text):
    if len(text) <= 200:
        return hexs(text)
    return '#%d#%d' % (len(text), zlib.crc32(text.encode('utf-8', 'surrogatepass')))


def encode_loads(seq):
    parts = []
    for item in seq:
        if isinstance(item, tuple):
            parts.append('%d:%s' % (item[0], encode_repr(item[1])))
        else:
            parts.append('!' + hexs(item))
    return ','.join(parts)


def add_stream(name, data, unpickler=False):
    """Records a stream and what loading it does; every file kind must agree."""
    add(name, 'bytes', encode_field(data))
    b, f, p = loads_bytesio(data), loads_file(data), loads_pipe(data)
    assert b == f == p, (name, b, f, p)
    add(name + '.loads', 'loads', encode_loads(f))
    if unpickler:
        b, f, p = loads_bytesio(data, True), loads_file(data, True), loads_pipe(data, True)
        assert b == f == p, (name, b, f, p)
        add(name + '.unpickler', 'loads', encode_loads(f))


def add_frame_stream(name, data):
    """A stream whose frame reaches past STOP: the buffered file and the pipe differ."""
    add(name, 'bytes', encode_field(data))
    b, f, p = loads_bytesio(data), loads_file(data), loads_pipe(data)
    assert b == p, (name, b, p)
    add(name + '.loads.seekable', 'loads', encode_loads(f))
    add(name + '.loads.pipe', 'loads', encode_loads(p))


# ---------------------------------------------------------------------------
# Streams of pickles written by pickle.dump.

def stream_values():
    """Values io_test.cpp builds too (stream_values() there): same order, same identity."""
    shared = [1]
    return [
        None,
        True,
        12345,
        -2 ** 40,
        2 ** 100,
        1.5,
        'h\xe9llo',
        b'\x00\xff',
        bytearray(b'ab'),
        [1, [2, 'x']],
        (1, 2),
        {'a': 1, 'b': [None]},
        {1, 2},
        frozenset({3}),
        b'y' * 70000,                        # bytes of 64 KiB or more: outside frames
        [b'a' * 40000, b'b' * 40000],        # two frames
        [None] * 70000,                      # two frames, batches of 1000
        [shared, shared],                    # a memo reference
        b'',                                 # an empty payload (SHORT_BINBYTES 0) ...
        'end',                               # ... followed by another pickle
    ]


def dump_to_file(items):
    """pickle.dump of each (value, protocol) to one file on disk; the file's bytes."""
    def go(path):
        with open(path, 'wb') as f:
            for v, q in items:
                pickle.dump(v, f, protocol=q)
        with open(path, 'rb') as f:
            return f.read()
    fd, path = tempfile.mkstemp()
    os.close(fd)
    try:
        return go(path)
    finally:
        os.unlink(path)


def stream_cases():
    values = stream_values()
    for q in range(6):
        data = dump_to_file([(v, q) for v in values])
        assert data == b''.join(pickle.dumps(v, q) for v in values)
        add_stream('stream.all.%d' % q, data)
    add_stream('stream.mixed', dump_to_file([(v, i % 6) for i, v in enumerate(values)]))

    for q in range(6):
        shared = [1]
        value = [shared, shared]

        def go(path, q=q, value=value):
            with open(path, 'wb') as f:
                p = pickle.Pickler(f, q)
                p.dump(value)
                p.dump(value)
                p.dump([value, 'z'])
            with open(path, 'rb') as f:
                return f.read()
        fd, path = tempfile.mkstemp()
        os.close(fd)
        try:
            data = go(path)
        finally:
            os.unlink(path)
        add_stream('stream.pickler.%d' % q, data, unpickler=True)


def frame(n):
    return b'\x95' + struct.pack('<Q', n)


def special_streams():
    # A frame of 5 bytes holding 'N.' and the next pickle's first three bytes.
    add_frame_stream('stream.special.frame_past_stop',
                     b'\x80\x04' + frame(5) + b'N.' + b'K\x05.' + b'K\x07.')
    # Past STOP and into the middle of the next pickle's argument.
    add_frame_stream('stream.special.frame_into_next',
                     b'\x80\x04' + frame(8) + b']\x94N.' + b'\x80\x04\x8c\x05hello\x94.')
    # The frame is longer than the file: the frame is truncated.
    add_stream('stream.special.frame_past_end', b'\x80\x04' + frame(10) + b'N.abc')
    # Frames that end at STOP, then a pickle without frames.
    add_stream('stream.special.frames_then_plain',
               b'\x80\x04' + frame(3) + b'K\x01.' + b'\x80\x02K\x02.' + b'K\x03.')
    # An empty frame.
    add_stream('stream.special.empty_frame', b'\x80\x04' + frame(0) + b'N.' + frame(0) + b'.')
    # Empty payloads at the very end: EOFError from a file, truncated in memory.
    for name, tail in (('short_binbytes', b'C\x00'),
                       ('binbytes', b'B\x00\x00\x00\x00'),
                       ('binbytes8', b'\x8e' + struct.pack('<Q', 0)),
                       ('bytearray8', b'\x96' + struct.pack('<Q', 0)),
                       ('framed', frame(2) + b'C\x00')):
        data = b'\x80\x05' + tail
        add_stream('stream.special.empty_tail.' + name, data)
        try:
            pickle.loads(data)
        except Exception as exc:    # noqa: B902
            add('stream.special.empty_tail.%s.loads_err' % name, 'err', hexs(error_text(exc)))
    # An empty payload at the end of the data, but not of the pickle (no STOP yet).
    add_stream('stream.special.empty_inside', b'\x80\x05]C\x00a')
    # Garbage after a pickle; text pickles; nothing.
    add_stream('stream.special.garbage_after', pickle.dumps([1], 2) + b'\xff\x00')
    add_stream('stream.special.text', b'I12\n.' + b'(lp0\nI1\naVab\np1\na.' + b'S\'x\'\n.' +
               b'cbuiltins\nset\n(tR.' + b'F2.5\n.' + b'L7L\n.')
    add_stream('stream.special.text_unterminated', b'I12\n.I34')
    add_stream('stream.special.empty', b'')


# ---------------------------------------------------------------------------
# Truncated pickles: the error for every cut, the same from every kind of file.

SAMPLE = {'a': [1, 2.5, None, 'xy', b'z', (1, 2), True, b'', bytearray(b'q')],
          'b': 2 ** 70, 's': {3}, 'u': 'caf\xe9', 'f': frozenset([4])}


def truncation_cases():
    pickles = [('p%d' % q, pickle.dumps(SAMPLE, q)) for q in range(6)]
    pickles.append(('text_ops', b'(I1\nL2L\nF0.5\nS\'s\'\nVu\ncbuiltins\nlen\np0\ng0\nl.'))
    pickles.append(('framed_big', pickle.dumps([b'k' * 70000, 'tail'], 5)))
    for name, data in pickles:
        add('trunc.' + name, 'bytes', encode_field(data))
        cuts = range(len(data)) if len(data) < 4000 else list(range(40)) + list(range(len(data) - 40, len(data)))
        for cut in cuts:
            part = data[:cut]
            b = loads_bytesio(part)
            f = loads_file(part)
            p = loads_pipe(part)
            assert b == f == p, (name, cut, b, f, p)
            assert len(f) == 1, (name, cut, f)   # a cut pickle never loads
            add('trunc.%s.%d' % (name, cut), 'err', hexs(f[0]))


def huge_cases():
    """A length prefix far beyond the data. BytesIO raises what in-memory loading raises;
    buffered files try to allocate the size first (MemoryError / OverflowError from io),
    which the library deliberately does not do (doc/design.md). BINBYTES, BINBYTES8 and
    BYTEARRAY8 allocate before reading in every case (MemoryError): not recorded."""
    q = lambda n: struct.pack('<Q', n)  # noqa: E731
    i = lambda n: struct.pack('<I', n)  # noqa: E731
    cases = {
        'binunicode8': b'\x80\x04\x8d' + q(2 ** 60) + b'abc',
        'frame': b'\x80\x04' + frame(2 ** 60) + b'N.',
        'binunicode': b'X' + i(0xffffffff) + b'abc',
        'binstring': b'T' + i(0x7fffffff) + b'abc',
        'binstring_high': b'T' + i(0x80000000) + b'abc',
        'long4': b'\x8b' + i(0x7fffffff) + b'abc',
        'long4_negative': b'\x8b' + i(0xffffffff) + b'abc',
        'binunicode8_over': b'\x8d' + q(2 ** 63) + b'abc',
        'frame_over': frame(2 ** 63) + b'abc',
        'binunicode8_max': b'\x8d' + q(2 ** 63 - 1) + b'abc',
    }
    for name, data in cases.items():
        b = loads_bytesio(data)
        assert len(b) == 1
        add('huge.' + name, 'bytes', encode_field(data))
        add('huge.%s.err' % name, 'err', hexs(b[0]))


# ---------------------------------------------------------------------------
# OSError texts.

MISSING_DIR = '/nonexistent-pickle-cpp-io-test'


def os_cases():
    def outcome(fn):
        try:
            fn()
        except OSError as exc:
            # The errno subclass (FileNotFoundError...) is named OSError by the library.
            return 'OSError: ' + str(exc)
        raise AssertionError('no error')

    def full():
        with open('/dev/full', 'wb') as f:
            pickle.dump([1, 2], f)
    add('os.enospc', 'err', hexs(outcome(full)))

    def read_write_only():
        fd, path = tempfile.mkstemp()
        try:
            with open(fd, 'rb', buffering=0) as f:   # mkstemp's descriptor is O_RDWR
                pass
            wfd = os.open(path, os.O_WRONLY)
            with open(wfd, 'rb', buffering=0) as f:
                pickle.load(f)
        finally:
            os.unlink(path)
    add('os.ebadf', 'err', hexs(outcome(read_write_only)))

    def write_read_only():
        fd, path = tempfile.mkstemp()
        os.close(fd)
        try:
            rfd = os.open(path, os.O_RDONLY)
            with open(rfd, 'wb', buffering=0) as f:
                pickle.dump(1, f)
        finally:
            os.unlink(path)
    add('os.ebadf_write', 'err', hexs(outcome(write_read_only)))

    for name, path in (('enoent', MISSING_DIR + '/x.pickle'),
                       ('enoent_quote', os.fsdecode(MISSING_DIR.encode() + b"/it's-\xff\n.pickle")),
                       ('eisdir', '/')):
        add('os.%s.path' % name, 'text', os.fsencode(path).hex())
        add('os.%s.read' % name, 'err', hexs(outcome(lambda: pickle.load(open(path, 'rb')))))
        add('os.%s.write' % name, 'err', hexs(outcome(lambda: open(path, 'wb'))))

    def broken_pipe():
        r, w = os.pipe()
        os.close(r)
        old = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        try:
            with open(w, 'wb', buffering=0) as f:
                pickle.dump(1, f)
        finally:
            signal.signal(signal.SIGPIPE, old)
    add('os.epipe', 'err', hexs(outcome(broken_pipe)))


def generate():
    stream_cases()
    special_streams()
    truncation_cases()
    huge_cases()
    os_cases()
    return ''.join('%s\t%s\t%s\n' % line for line in LINES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='fail if the file is stale')
    args = parser.parse_args()
    text = generate()
    return write_or_check(OUTPUT, text, args.check)


if __name__ == '__main__':
    sys.exit(main())
