"""Running the tool under test (`pickletool SUBCOMMAND FILE`) and reading its outcome."""

import collections
import os
import subprocess
import sys
import tempfile

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
