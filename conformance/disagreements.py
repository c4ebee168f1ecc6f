"""What a disagreement leaves in out/<area>/: the input, a .txt saying what differs
and how to replay it, and for the first few a minimized input."""

import os
import sys

from conformance.checkers import checker
from conformance.paths import OUT_DIR, ROOT, safe_filename
from conformance.tools import loads_flags


def repro_dir(subdir, clear=False, out_dir=OUT_DIR):
    """out_dir/<subdir>/, created (and emptied first if clear)."""
    d = os.path.join(out_dir, subdir)
    if clear and os.path.isdir(d):
        import shutil
        shutil.rmtree(d)
    os.makedirs(d, exist_ok=True)
    return d


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


def short(text, limit=160):
    """repr of text (str, or bytes as UTF-8), cut at `limit` characters, for reports."""
    text = text if isinstance(text, str) else text.decode('utf-8', 'backslashreplace')
    return repr(text if len(text) <= limit else text[:limit] + '...')
