"""The end the golden generators share: write the text to the golden file, or with --check
compare it with the file and say whether it is up to date."""


def write_or_check(path, text, check, summary=None):
    """Writes `text` to `path`, or (check) compares; returns the exit status, 1 when the
    file is stale. `summary` (counts of cases, say) goes into the message."""
    what = '%d lines' % len(text.splitlines()) + (': ' + summary if summary else '')
    if check:
        with open(path, encoding='utf-8') as f:
            same = f.read() == text
        print('%s is %s (%s)' % (path, 'up to date' if same else 'STALE', what))
        return 0 if same else 1
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text)
    print('wrote %s (%s; %d bytes)' % (path, what, len(text)))
    return 0
