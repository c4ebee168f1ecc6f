#!/usr/bin/env python3
"""`pickletool scan` on containers, driven as a subprocess: PyTorch-style zip archives
(written here with zipfile, around the checkpoint data.pkl of lib/examples/data) with the
tricks loaders read differently, and .npy files with and without an object array. Checks
the exit status, the verdict and the issues of each, in text and JSON, and that the SARIF
log says the same.

    python3 tools/scan_cli_check.py build/tools/pickletool

Exit status 0 when all hold (zip cases are skipped, with a note, for a pickletool built
without libzip), 1 otherwise.
"""

import json
import os
import subprocess
import sys
import tempfile
import warnings
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKPOINT = os.path.join(ROOT, 'lib', 'examples', 'data', 'checkpoint')
EVIL = b'\x80\x02cos\nsystem\nX\x02\x00\x00\x00idq\x00\x85R.'


def torch_zip(path, extra=(), data_pkl=None):
    """torch.save's layout: archive/data.pkl, archive/data/<key>, version, byteorder."""
    with open(os.path.join(CHECKPOINT, 'data.pkl'), 'rb') as f:
        pkl = f.read() if data_pkl is None else data_pkl
    with open(os.path.join(CHECKPOINT, 'data', '0'), 'rb') as f:
        storage = f.read()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')     # zipfile warns of duplicate names
        with zipfile.ZipFile(path, 'w') as z:
            z.writestr('archive/data.pkl', pkl)
            z.writestr('archive/byteorder', 'little')
            z.writestr('archive/data/0', storage)
            z.writestr('archive/version', '3\n')
            for name, data in extra:
                z.writestr(name, data)


def npy(path, descr, payload):
    header = "{'descr': %s, 'fortran_order': False, 'shape': (1,), }" % descr
    header += ' ' * (63 - (10 + len(header)) % 64) + '\n'
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + len(header).to_bytes(2, 'little') + header.encode() + payload)


def renamed_in_local_header(src, dst):
    """The archive with data.pkl's local header naming another file (the central
    directory still says data.pkl): Python's zipfile refuses it, others read it."""
    with open(src, 'rb') as f:
        data = bytearray(f.read())
    i = data.find(b'archive/data.pkl')
    data[i:i + 16] = b'archive/evil.pkl'
    with open(dst, 'wb') as f:
        f.write(data)


# (file, policy, exit status, verdict, words the issues must contain, verdicts of the pickles)
CASES = [
    ('model.pt', 'weights-only', 0, 'clean', [], ['clean']),
    ('model.pt', 'builtins', 3, 'flagged', [], ['flagged']),
    ('evil.pt', 'weights-only', 3, 'flagged', [], ['flagged']),
    ('duplicate.pt', 'weights-only', 3, 'flagged', ['more than once'], ['clean', 'flagged']),
    ('two_folders.pt', 'weights-only', 3, 'flagged', ['several top-level folders'], ['clean', 'flagged']),
    ('dotdot.pt', 'weights-only', 3, 'flagged', ['leaves the archive'], ['clean', 'clean']),
    ('local_header.pt', 'weights-only', 3, 'flagged', ['headers disagree'], ['clean']),
    ('objects.npy', 'ml', 3, 'flagged', [], ['flagged']),
    ('floats.npy', 'ml', 0, 'clean', [], []),
]


def sarif_problems(report, log):
    """How a SARIF log disagrees with the JSON report of the same file: a result per
    finding (error when reached) and per archive issue, rules and artifacts that resolve,
    archive members nested in the archive."""
    problems = []
    run = log['runs'][0]
    rules = [r['id'] for r in run['tool']['driver']['rules']]
    artifacts = run['artifacts']
    if log['version'] != '2.1.0':
        problems.append('version %r' % log['version'])
    for r in run['results']:
        if rules[r['ruleIndex']] != r['ruleId']:
            problems.append('ruleIndex %d is not %s' % (r['ruleIndex'], r['ruleId']))
        where = r['locations'][0]['physicalLocation']
        if artifacts[where['artifactLocation']['index']]['location']['uri'] != where['artifactLocation']['uri']:
            problems.append('artifact index of %s' % where['artifactLocation'])
    pickles = report.get('pickles', [report])
    findings = sum(len(p['findings']) for p in pickles)
    event_results = [r for r in run['results'] if r['ruleId'] not in ('incomplete', 'archive', 'unreadable')]
    if len(event_results) != findings:
        problems.append('%d results for %d findings' % (len(event_results), findings))
    if len([r for r in run['results'] if r['ruleId'] == 'archive']) != len(report.get('issues', [])):
        problems.append('archive results for issues %s' % report.get('issues'))
    if report.get('container') == 'zip' and not all('parentIndex' in a for a in artifacts[1:]):
        problems.append('members not nested in the archive: %s' % artifacts)
    return problems


def main():
    tool = sys.argv[1]
    problems = []
    with tempfile.TemporaryDirectory() as d:
        p = lambda name: os.path.join(d, name)  # noqa: E731
        torch_zip(p('model.pt'))
        torch_zip(p('evil.pt'), data_pkl=EVIL)
        torch_zip(p('duplicate.pt'), [('archive/data.pkl', EVIL)])
        torch_zip(p('two_folders.pt'), [('other/data.pkl', EVIL)])
        torch_zip(p('dotdot.pt'), [('../x.pkl', b'N.')])
        renamed_in_local_header(p('model.pt'), p('local_header.pt'))
        npy(p('objects.npy'), "'|O'", EVIL)
        npy(p('floats.npy'), "'<f8'", bytes(8))

        probe = subprocess.run([tool, 'scan', p('model.pt')], capture_output=True, text=True)
        with_zip = 'without libzip' not in probe.stderr
        if not with_zip:
            print('pickletool was built without libzip: zip cases skipped')
        for name, policy, status, verdict, issue_words, pickle_verdicts in CASES:
            if name.endswith('.pt') and not with_zip:
                continue
            text = subprocess.run([tool, 'scan', '--policy', policy, p(name)], capture_output=True, text=True)
            js = subprocess.run([tool, 'scan', '--policy', policy, '--format', 'json', p(name)],
                                capture_output=True, text=True)
            where = '%s (policy %s)' % (name, policy)
            if text.returncode != status or js.returncode != status:
                problems.append('%s: exit %d/%d, expected %d: %s' % (where, text.returncode, js.returncode, status,
                                                                       text.stderr.strip()))
                continue
            report = json.loads(js.stdout)
            got = [r['verdict'] for r in report['pickles']]
            if report['verdict'] != verdict or got != pickle_verdicts:
                problems.append('%s: verdicts %s %s, expected %s %s' % (where, report['verdict'], got, verdict,
                                                                        pickle_verdicts))
            for word in issue_words:
                if not any(word in issue for issue in report['issues']):
                    problems.append('%s: no issue says %r: %s' % (where, word, report['issues']))
            if not issue_words and report['issues']:
                problems.append('%s: unexpected issues %s' % (where, report['issues']))
            sarif = subprocess.run([tool, 'scan', '--policy', policy, '--format', 'sarif', p(name)],
                                   capture_output=True, text=True)
            if sarif.returncode != status:
                problems.append('%s: SARIF exit %d' % (where, sarif.returncode))
            else:
                problems += ['%s: SARIF %s' % (where, x) for x in sarif_problems(report, json.loads(sarif.stdout))]
            if not text.stdout.startswith('%s: %s (' % (p(name), verdict)):
                problems.append('%s: text report starts %r' % (where, text.stdout[:80]))
        # Several files: one JSON array, the worst exit status.
        both = subprocess.run([tool, 'scan', '--policy', 'ml', '--format', 'json', p('floats.npy'), p('objects.npy')],
                              capture_output=True, text=True)
        if both.returncode != 3 or [r['verdict'] for r in json.loads(both.stdout)] != ['clean', 'flagged']:
            problems.append('two files: exit %d, %s' % (both.returncode, both.stdout[:200]))
        # A file that cannot be read: an "unreadable" result, exit 1.
        missing = subprocess.run([tool, 'scan', '--format', 'sarif', p('missing.pkl')], capture_output=True, text=True)
        results = json.loads(missing.stdout)['runs'][0]['results'] if missing.stdout else []
        if missing.returncode != 1 or [r['ruleId'] for r in results] != ['unreadable']:
            problems.append('missing file, SARIF: exit %d, %s' % (missing.returncode, missing.stdout[-200:]))
    for problem in problems:
        print(problem)
    print('%d cases, %d problems' % (len(CASES), len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
