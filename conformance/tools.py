"""Running the tool under test (`pickletool SUBCOMMAND FILE`) and reading its outcome.

A built tool is run as one long-lived `pickletool serve` per process that asks (each
request: a command, its arguments, the input; each answer: exit status, stdout, stderr,
what the same command run on its own would give); a process started per input would
cost more than the checks. A server that dies or takes too long is a crash of that
input, and the next request starts a new one. A .py tool (the fake) runs once per input.
"""

import collections
import os
import select
import subprocess
import sys
import tempfile
import time

ToolResult = collections.namedtuple('ToolResult', 'status stdout stderr')
ToolResult.__doc__ = """status: 'ok' (exit 0), 'err' (exit 1) or 'crash: ...' (anything else)."""


def version_flags(path):
    """What tells a built tool to behave as the running CPython, the oracle (a .py fake
    is CPython itself)."""
    return [] if path.endswith('.py') else ['--python-version', '%d.%d' % sys.version_info[:2]]


def tool_command(path):
    """argv prefix for the tool: python3 for a .py fake, the executable otherwise (with
    its version_flags)."""
    if path.endswith('.py'):
        return [sys.executable, path]
    return [path] + version_flags(path)


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


class ToolServer:
    """One `pickletool serve` process, started on the first request."""

    def __init__(self, path):
        self.path = path
        self.proc = None
        self.stderr = None
        self.buffer = bytearray()   # what the server wrote; self.pos: how much is taken
        self.pos = 0

    def start(self):
        self.stderr = tempfile.TemporaryFile()
        self.buffer = bytearray()
        self.pos = 0
        self.proc = subprocess.Popen([self.path, 'serve'], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)

    def stop(self):
        """Kills the server; its exit status and what it wrote to stderr."""
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.kill()
        proc.stdin.close()
        proc.stdout.close()
        status = proc.wait()
        self.stderr.seek(0)
        text = self.stderr.read()[-65536:].decode('utf-8', 'backslashreplace')
        self.stderr.close()
        return status, text

    def _fill(self, deadline):
        """Appends what the server has written to self.buffer, waiting until the deadline."""
        fd = self.proc.stdout.fileno()
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise EOFError
        if self.pos == len(self.buffer):    # all taken: start over rather than grow
            self.buffer.clear()
            self.pos = 0
        self.buffer += chunk

    def _take(self, n, deadline):
        while len(self.buffer) - self.pos < n:
            self._fill(deadline)
        out = bytes(self.buffer[self.pos:self.pos + n])
        self.pos += n
        return out

    def _take_line(self, deadline):
        while self.buffer.find(b'\n', self.pos) < 0:
            self._fill(deadline)
        return self._take(self.buffer.find(b'\n', self.pos) + 1 - self.pos, deadline)

    def run(self, sub, data, extra_args, timeout):
        if self.proc is None:
            self.start()
        args = [sub.encode()] + [a.encode() for a in extra_args]
        request = b'%d\n' % len(args) + b''.join(b'%d\n%s' % (len(a), a) for a in args + [data])
        deadline = time.monotonic() + timeout
        try:
            self.proc.stdin.write(request)
            self.proc.stdin.flush()
            status, out_len, err_len = map(int, self._take_line(deadline).split())
            stdout = self._take(out_len, deadline)
            stderr = self._take(err_len, deadline).decode('utf-8', 'backslashreplace')
        except TimeoutError:
            _, stderr = self.stop()
            return ToolResult('crash: timeout after %ss' % timeout, b'', stderr)
        except (OSError, EOFError, ValueError):     # the server died with this input
            code, stderr = self.stop()
            if code < 0:
                return ToolResult('crash: signal %d' % -code, b'', stderr)
            return ToolResult('crash: exit status %d' % code, b'', stderr)
        return ToolResult('ok' if status == 0 else 'err', stdout, stderr)


_servers = {}       # (process id, tool path) -> ToolServer: forked workers start their own


class Tool(collections.namedtuple('Tool', 'path timeout')):
    """The tool under test: its path (a .py fake runs with this python) and the
    seconds one run may take."""
    __slots__ = ()

    def run(self, sub, data, extra_args=()):
        if self.path.endswith('.py'):
            return run_tool(tool_command(self.path), sub, data, extra_args,
                            timeout=self.timeout)
        key = (os.getpid(), self.path)
        if key not in _servers:
            _servers[key] = ToolServer(self.path)
        return _servers[key].run(sub, data, version_flags(self.path) + list(extra_args),
                                 self.timeout)

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


def cli_error_line(text):
    """An error text as the CLI writes it: on one line, each newline written as `\\n`."""
    return text.replace('\n', '\\n')


def stderr_error(stderr):
    """The tool's error text: the last line of stderr."""
    return stderr.rstrip('\n').rsplit('\n', 1)[-1]


def same_error_class(actual, expected):
    return actual.split(':', 1)[0].strip() == expected.split(':', 1)[0].strip()


def same_error(actual, expected):
    """Exact match of the tool's line with CPython's error text; `Class` and `Class: `
    are the same when the message is empty."""
    return actual.rstrip() == cli_error_line(expected).rstrip()


def tool_outcome(result):
    """A ToolResult in the form of a reference outcome: ('ok', stdout), ('err', the
    error line) or ('crash', status)."""
    if result.status.startswith('crash'):
        return ('crash', result.status)
    if result.status == 'err':
        return ('err', stderr_error(result.stderr))
    return ('ok', result.stdout)
