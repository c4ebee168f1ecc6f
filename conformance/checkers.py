"""The checker modules (dis_check, load_check, ...): finding one by area, running it
over cases in worker processes, and counting its verdicts."""

import collections
import sys

# A checker (dis_check, load_check, roundtrip_check, optimize_check) is a module
# that compares one area of the tool with CPython, one case at a time:
#
#   AREA                    its name; its disagreements go to conformance/out/AREA/
#   UNIT                    what one count stands for ('inputs', 'input x protocol')
#   check(case, tool)       a verdict dict; v['units'] counts its outcomes:
#                             'agree', 'disagree', 'apart:<category>' (CPython's
#                             outcome depends on something the library cannot know,
#                             see the checker), 'skip' (nothing to compare)
#   describe(v)             lines saying what differs
#   still_fails(v, case, tool)  predicate telling whether a smaller input shows the
#                           same difference (for minimize), or None
#   by_hand(tool, kwargs)   how to run the two sides by hand on FILE
#   print_summary(verdicts) the checker's own report
#   init_worker()           optional per-process setup
#
# run_check() runs one checker over cases; conformance/run.py runs them all on
# the same cases.  Both save disagreements with disagreements.save_disagreement().


def checker(area):
    """The checker module of an area ('dis' -> conformance.dis_check).  Worker
    processes get areas by name: modules cannot be sent to them."""
    import importlib
    return importlib.import_module('conformance.%s_check' % area)


def init_worker(areas):
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is for the parent to handle
    for area in areas:
        module = checker(area)
        if hasattr(module, 'init_worker'):
            module.init_worker()


def run_check(area, cases, tool, jobs):
    """The checker of `area` on every case, over `jobs` processes: the verdicts, in the
    order of cases, each with the case's name and group."""
    import functools
    return run_pool(functools.partial(check_case, area, tool), cases, jobs,
                    initializer=init_worker, initargs=([area],))


def check_case(area, tool, case):
    v = checker(area).check(case, tool)
    v['name'], v['group'] = case.name, case.group
    return v


def disagrees(v):
    return v['units'].get('disagree', 0) > 0



def print_agreement(verdicts, output):
    """The summary of a checker whose verdicts say 'agree' (all of the `output` and the
    error agree) and 'class_agree' (the `output` and the error class agree): both
    counts per group of cases, then in total."""
    groups = {}
    for v in verdicts:
        g = groups.setdefault(v['group'], [0, 0, 0])
        g[0] += v['agree']
        g[1] += v['class_agree']
        g[2] += 1
    for name, (agree, class_agree, total) in groups.items():
        print('  %-18s %6d/%-6d agree   (%s and error class agree: %d)'
              % (name, agree, total, output, class_agree))
    agree = sum(v['agree'] for v in verdicts)
    print('total: %d/%d agree (%.2f%%); %s and error class agree: %d/%d'
          % (agree, len(verdicts), 100.0 * agree / max(1, len(verdicts)), output,
             sum(v['class_agree'] for v in verdicts), len(verdicts)))

class Tally:
    """Outcome counts of one area, per group of cases."""

    def __init__(self):
        self.groups = collections.OrderedDict()

    def add(self, group, units):
        g = self.groups.setdefault(group, collections.Counter())
        g.update(units)

    def total(self):
        t = collections.Counter()
        for g in self.groups.values():
            t.update(g)
        return t

    @staticmethod
    def summary(counter):
        """{'agree', 'disagree', 'compared', 'apart': {category: n}, 'skip'}."""
        agree, disagree = counter.get('agree', 0), counter.get('disagree', 0)
        return {'agree': agree, 'disagree': disagree, 'compared': agree + disagree,
                'apart': {k[len('apart:'):]: n for k, n in sorted(counter.items())
                          if k.startswith('apart:') and n},
                'skip': counter.get('skip', 0)}

    def to_json(self):
        out = self.summary(self.total())
        out['groups'] = {name: self.summary(g) for name, g in self.groups.items()}
        return out


def run_pool(func, items, jobs, initializer=None, initargs=(), progress='cases', chunksize=8):
    """func(item) for every item, in order, over `jobs` forked worker processes."""
    import multiprocessing
    results = []
    total = len(items)
    step = max(1, total // 20)
    ctx = multiprocessing.get_context('fork')
    with ctx.Pool(jobs, initializer=initializer, initargs=initargs) as pool:
        for i, result in enumerate(pool.imap(func, items, chunksize=chunksize), 1):
            results.append(result)
            if sys.stderr.isatty() and (i % step == 0 or i == total):
                sys.stderr.write('\r  %d/%d %s' % (i, total, progress))
                sys.stderr.flush()
    if sys.stderr.isatty() and total:
        sys.stderr.write('\n')
    return results

