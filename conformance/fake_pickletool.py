#!/usr/bin/env python3
"""A stand-in for build/tools/pickletool, implemented with CPython itself.

It follows the same command-line contract, so running the checkers with
`--pickletool conformance/fake_pickletool.py` tests the checkers end to end:

    fake_pickletool.py dis [FILE|-]
        stdout: what `python3 -m pickletools FILE` prints (the file is read into
        memory first, as dis_check's reference does)
    fake_pickletool.py show [--encoding E] [--errors E] [--no-fix-imports] [FILE|-]
        stdout: repr(pickle.loads(data)) and a newline

On failure: exit status 1, and the last line(s) of stderr are `ErrorClass: message`.

Like the reference side of load_check, `show` loads with the conformance guard
installed (globals outside an allow-list raise BlockedGlobal) and with a raised
recursion limit (deep values must print).  Importing test.pickletester puts
pickletester's classes C, D and E into __main__ for DATA0..DATA4.
"""

import io
import os
import pickle
import pickletools
import sys

USAGE = ('usage: fake_pickletool.py {dis|show} [--encoding E] [--errors E] [--no-fix-imports] '
         '[FILE|-]')


def fail(text):
    """The CLI's error contract: the last stderr line is the error, newlines escaped."""
    sys.stdout.flush()
    sys.stderr.write(text.replace('\n', '\\n') + '\n')
    sys.stderr.flush()
    return 1


def parse(argv):
    if not argv or argv[0] not in ('dis', 'show'):
        raise ValueError(USAGE)
    command, kwargs, path = argv[0], {}, None
    args = list(argv[1:])
    while args:
        arg = args.pop(0)
        if command == 'show' and arg in ('--encoding', '--errors') and args:
            kwargs[arg[2:]] = args.pop(0)
        elif command == 'show' and arg == '--no-fix-imports':
            kwargs['fix_imports'] = False
        elif path is None and (arg == '-' or not arg.startswith('-')):
            path = arg
        else:
            raise ValueError(USAGE)
    return command, kwargs, path or '-'


def main(argv):
    try:
        command, kwargs, path = parse(argv)
    except ValueError as exc:
        return fail('UsageError: %s' % exc)
    sys.stdout.reconfigure(encoding='utf-8')
    # In memory, like the checkers' reference: with a real file, pickletools'
    # f.read(n) allocates n bytes first, so a huge declared length gives
    # MemoryError instead of "expected n bytes ..., but only m remain".
    try:
        if path == '-':
            source = io.BytesIO(sys.stdin.buffer.read())
        else:
            with open(path, 'rb') as f:
                source = io.BytesIO(f.read())
    except OSError as exc:
        return fail('%s: %s' % (type(exc).__name__, exc))

    if command == 'dis':
        try:
            pickletools.dis(source, sys.stdout, None, 4, 0)
        except Exception as exc:
            return fail('%s: %s' % (type(exc).__name__, exc) if str(exc) else type(exc).__name__)
        return 0

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from conformance.oracle import describe_object, error_text, is_builtin_value
    from conformance.sandbox import guarded, raise_recursion_limit
    raise_recursion_limit()
    data = source.read()
    if b'__main__' in data:
        import test.pickletester  # noqa: F401  (defines __main__.C, D, E)
    try:
        with guarded():
            value = pickle.loads(data, **kwargs)
        if is_builtin_value(value):
            text = repr(value)
        else:
            try:
                text = repr(value)
            except Exception:
                text = '<%s object>' % describe_object(value)
    except Exception as exc:
        return fail(error_text(exc))
    sys.stdout.write(text + '\n')
    return 0


if __name__ == '__main__':
    status = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)        # skip interpreter teardown: nothing may follow the error line
