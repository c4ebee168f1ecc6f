"""The inputs of a check: the corpus, pickletester's vectors, and malformed variants
of them, in a deterministic order for a seed."""

import collections
import os
import pickletools


# ---------------------------------------------------------------------------
# Malformed input.

OPCODE_BYTES = [op.code.encode('latin-1') for op in pickletools.opcodes]


def mutations(data, rng, count, all_truncations=False, donors=()):
    """`count` deterministic malformed variants of data: (label, bytes) pairs.

    Kinds: truncation, bit flip, random byte, inserted byte, inserted opcode,
    deleted byte, duplicated slice, and (when donors, other valid pickles, are
    given) a spliced fragment: a slice of a donor inserted, or written over the
    same number of bytes.  With all_truncations, inputs of at most 64 bytes also
    get every truncation.
    """
    out = []
    if all_truncations and len(data) <= 64:
        out.extend(('trunc%d' % n, data[:n]) for n in range(len(data)))
    kinds = ('trunc', 'flip', 'byte', 'insert', 'opcode', 'delete', 'dup') + \
        (('splice',) if donors else ())
    for _ in range(count):
        kind = rng.choice(kinds)
        if not data:
            kind = 'insert'
        pos = rng.randrange(len(data) + (1 if kind in ('insert', 'opcode', 'splice') else 0)) \
            if data else 0
        if kind == 'trunc':
            out.append(('trunc%d' % pos, data[:pos]))
        elif kind == 'flip':
            bit = rng.randrange(8)
            out.append(('flip%d.%d' % (pos, bit),
                        data[:pos] + bytes([data[pos] ^ (1 << bit)]) + data[pos + 1:]))
        elif kind == 'byte':
            b = rng.randrange(256)
            out.append(('byte%d=%02x' % (pos, b), data[:pos] + bytes([b]) + data[pos + 1:]))
        elif kind == 'insert':
            b = rng.randrange(256)
            out.append(('ins%d=%02x' % (pos, b), data[:pos] + bytes([b]) + data[pos:]))
        elif kind == 'opcode':
            op = rng.choice(OPCODE_BYTES)
            out.append(('op%d=%02x' % (pos, op[0]), data[:pos] + op + data[pos:]))
        elif kind == 'delete':
            out.append(('del%d' % pos, data[:pos] + data[pos + 1:]))
        elif kind == 'dup':
            end = min(len(data), pos + rng.randrange(1, 9))
            out.append(('dup%d-%d' % (pos, end), data[:end] + data[pos:end] + data[end:]))
        else:
            d = rng.randrange(len(donors))
            donor = donors[d]
            start = rng.randrange(len(donor))
            frag = donor[start:start + rng.randrange(1, 33)]
            cut = rng.choice((0, len(frag)))
            out.append(('splice%d%s=d%d.%d-%d' % (pos, '+' if cut == 0 else '', d, start,
                                                  start + len(frag)),
                        data[:pos] + frag + data[pos + cut:]))
    return out


# ---------------------------------------------------------------------------
# Building the cases of a check.

Case = collections.namedtuple('Case', 'name group data kwargs')


def build_cases(seed, count, directory=None, mutations_per_case=1, with_vectors=True,
                with_kwargs=False):
    """The inputs of a check, in a deterministic order.

    groups: 'corpus' (corpus.pickles(seed, count), or the files of `directory`),
    'vectors' (vectors.py; those needing loads() keyword arguments only if
    with_kwargs), and '<group>-mutated' (mutations() of each of them, with the
    others as donors of spliced fragments; every truncation of the vectors too).
    """
    import random
    from conformance import corpus, vectors
    cases = []
    if directory:
        for fn in sorted(os.listdir(directory)):
            with open(os.path.join(directory, fn), 'rb') as f:
                cases.append(Case(fn, 'corpus', f.read(), {}))
    else:
        for name, proto, data in corpus.pickles(seed, count):
            cases.append(Case('%s-p%d' % (name, proto), 'corpus', data, {}))
    if with_vectors:
        cases += [Case(v.name, 'vectors', v.data, v.kwargs) for v in vectors.all_vectors()
                  if with_kwargs or not v.kwargs]
    donors = [c.data for c in cases if c.data]
    mutated = []
    seen = set((c.data, repr(c.kwargs)) for c in cases)
    for case in cases:
        rng = random.Random('%s:%s' % (seed, case.name))
        for label, data in mutations(case.data, rng, mutations_per_case,
                                     all_truncations=case.group == 'vectors', donors=donors):
            if (data, repr(case.kwargs)) not in seen:       # skip duplicate inputs
                seen.add((data, repr(case.kwargs)))
                mutated.append(Case('%s~%s' % (case.name, label), case.group + '-mutated',
                                    data, case.kwargs))
    return cases + mutated
