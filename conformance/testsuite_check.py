#!/usr/bin/env python3
"""CPython's own pickle test suite against pickle-cpp.

Runs the abstract test classes of Lib/test/pickletester.py (the ones Lib/test/test_pickle.py
runs against _pickle) with the C++ library doing the loading and the dumping, through
the _pickle_cpp extension module (conformance/pyext). The concrete classes below are
those of test_pickle.py with _pickle replaced by _pickle_cpp, plus the two cross pairs
(library pickler with CPython's unpickler, and the reverse), which tell a writing bug
from a reading one, and test_pickletools.py's OptimizedPickleTests.

Prints a table per class (run / passed / failed / errors / skipped) and every test that
did not pass, with a one-line reason. Exit status 0 when every test that ran passed, or
failed only as listed in KNOWN_DIFFERENCES (each entry says why).

    python3 conformance/testsuite_check.py --ext build/conformance/pyext
    python3 conformance/testsuite_check.py --ext DIR -k recursive -v --json out.json

Standard library only.
"""

import argparse
import collections
import glob
import importlib.machinery
import importlib.util
import io
import json
import os
import pickle
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Tests that fail for a reason that is not a bug to fix: test name (or Class.test_name)
# -> why. Every entry must be specific and true; failures not listed here make the exit
# status 1.
KNOWN_DIFFERENCES = {
    "test_priming_pickler_memo":
        "pickle::Pickler has no call that reads or fills its memo, so Pickler.memo cannot "
        "be copied from one pickler to another (primed.memo = pickler.memo)",
    "test_priming_unpickler_memo":
        "starts with primed.memo = pickler.memo (see test_priming_pickler_memo); it then "
        "copies an Unpickler's memo, and pickle::Unpickler has no call that reads its memo",
}


# The same for the tests run through the command-line tool (--cli).
CLI_KNOWN_DIFFERENCES = {
    "test_oob_buffers_writable_to_readonly":
        "through the CLI, loads re-pickles what the library loaded: here the inert call "
        "ZeroCopyBytes._reconstruct(memoryview) (READONLY_BUFFER over a writable buffer), "
        "and a memoryview cannot be pickled, in CPython either; only running the call, as "
        "the extension module does, turns it into bytes",
}


def find_extension(path):
    """The _pickle_cpp shared object: `path` itself, or the one inside directory `path`."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    if os.path.isdir(path):
        for suffix in suffixes:
            found = glob.glob(os.path.join(path, "_pickle_cpp" + suffix))
            if found:
                return found[0]
        raise SystemExit(f"no _pickle_cpp module in {path}")
    return path


def load_extension(path):
    spec = importlib.util.spec_from_file_location("_pickle_cpp", find_extension(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules["_pickle_cpp"] = module
    spec.loader.exec_module(module)
    return module


def default_extension():
    for build in ("build", "build-release", "build-asan"):
        candidate = os.path.join(ROOT, build, "conformance", "pyext")
        if os.path.isdir(candidate):
            return candidate
    return None


def make_test_classes(P):
    """The concrete TestCase classes, with P (_pickle_cpp) as the pickle implementation."""
    import _pickle
    import pickletools
    from test import pickletester as pt
    from test import test_pickle as tp
    from test import test_pickletools

    class CppUnpicklerTests(tp.PyUnpicklerTests):
        # CUnpicklerTests: the C unpickler's strict error contract.
        unpickler = P.Unpickler
        bad_stack_errors = (pickle.UnpicklingError,)
        truncated_errors = (pickle.UnpicklingError,)

    class CppPicklerTests(tp.PyPicklerTests):
        pickler = P.Pickler
        unpickler = P.Unpickler

    class CppInMemoryPickleTests(tp.InMemoryPickleTests):
        # dumps/loads at module level; the C unpickler's strict error contract.
        bad_stack_errors = (pickle.UnpicklingError,)
        truncated_errors = (pickle.UnpicklingError,)

        def dumps(self, arg, protocol=None, **kwargs):
            return P.dumps(arg, protocol, **kwargs)

        def loads(self, buf, **kwds):
            return P.loads(buf, **kwds)

    class CppDumpCLoad(tp.PyPicklerTests):
        # The library writes, CPython's C unpickler reads.
        pickler = P.Pickler
        unpickler = _pickle.Unpickler

    class CDumpCppLoad(tp.PyPicklerTests):
        # CPython's C pickler writes, the library reads.
        pickler = _pickle.Pickler
        unpickler = P.Unpickler

    class CppPersPicklerTests(tp.PyPersPicklerTests):
        pickler = P.Pickler
        unpickler = P.Unpickler

    class CppIdPersPicklerTests(tp.PyIdPersPicklerTests):
        pickler = P.Pickler
        unpickler = P.Unpickler

    class CppPicklerUnpicklerObjectTests(tp.CPicklerUnpicklerObjectTests):
        pickler_class = P.Pickler
        unpickler_class = P.Unpickler

    class CppDispatchTableTests(tp.CDispatchTableTests):
        pickler_class = P.Pickler

    class CppChainDispatchTableTests(tp.CChainDispatchTableTests):
        pickler_class = P.Pickler

    class CppPicklerHookTests(tp.CPicklerHookTests):
        class CustomCppPicklerClass(P.Pickler, pt.AbstractCustomPicklerClass):
            pass
        pickler_class = CustomCppPicklerClass

    class CppPickleModuleTests(pt.AbstractPickleModuleTests, unittest.TestCase):
        dump = staticmethod(P.dump)
        dumps = staticmethod(P.dumps)
        load = staticmethod(P.load)
        loads = staticmethod(P.loads)
        Pickler = P.Pickler
        Unpickler = P.Unpickler

    class CppOptimizedPickleTests(test_pickletools.OptimizedPickleTests):
        # Lib/test/test_pickletools.py: the library's pickles through
        # pickletools.optimize, read back by the library.
        def dumps(self, arg, proto=None, **kwargs):
            return pickletools.optimize(P.dumps(arg, proto, **kwargs))

        def loads(self, buf, **kwds):
            return P.loads(buf, **kwds)

        # These two call pickle.dumps/pickle.loads themselves: CPython, not the library.
        test_optimize_long_binget = None
        test_optimize_binput_and_memoize = None

    classes = [CppUnpicklerTests, CppPicklerTests, CppInMemoryPickleTests, CppDumpCLoad,
               CDumpCppLoad, CppPersPicklerTests, CppIdPersPicklerTests,
               CppPicklerUnpicklerObjectTests, CppDispatchTableTests,
               CppChainDispatchTableTests, CppPicklerHookTests, CppPickleModuleTests,
               CppOptimizedPickleTests]
    return {cls.__name__: cls for cls in classes}


def make_cli_test_classes(P):
    """The TestCase classes that run through the command-line tool: P is a
    cli_pickle.CliPickle (module-level dumps, loads and optimize; the Pickler and
    Unpickler classes, with their Python callbacks, have no command-line form)."""
    import pickletools
    from test import test_pickle as tp
    from test import test_pickletools

    class CliInMemoryPickleTests(tp.InMemoryPickleTests):
        # The C unpickler's error contract, as this CPython's test_pickle states it.
        bad_stack_errors = tp.CUnpicklerTests.bad_stack_errors
        truncated_errors = tp.CUnpicklerTests.truncated_errors

        def dumps(self, arg, protocol=None, **kwargs):
            return P.dumps(arg, protocol, **kwargs)

        def loads(self, buf, **kwds):
            return P.loads(buf, **kwds)

    class CliOptimizedPickleTests(test_pickletools.OptimizedPickleTests):
        # CPython's pickles through `pickletool optimize`, read back by CPython.
        def dumps(self, arg, proto=None, **kwargs):
            return P.optimize(pickle.dumps(arg, proto, **kwargs))

    classes = [CliInMemoryPickleTests, CliOptimizedPickleTests]
    return {cls.__name__: cls for cls in classes}


class Recorder(unittest.TestResult):
    """One outcome per test method (a failed subtest fails its test)."""

    ORDER = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}

    def __init__(self, verbose=False):
        super().__init__()
        self.outcomes = {}  # test id -> (class name, method, outcome, reason)
        self.verbose = verbose

    def _set(self, test, outcome, reason=""):
        test_id = test.id()
        cls, method = type(test).__name__, getattr(test, "_testMethodName", test_id)
        old = self.outcomes.get(test_id)
        if old is None or self.ORDER[outcome] > self.ORDER[old[2]]:
            self.outcomes[test_id] = (cls, method, outcome, reason)

    @staticmethod
    def _reason(err):
        exc_type, exc, tb = err
        lines = traceback.format_exception_only(exc_type, exc)
        text = " ".join(line.strip() for line in lines if line.strip())
        # Where in the test it failed: the innermost frame of the test module.
        where = ""
        for frame in traceback.extract_tb(tb):
            if os.path.basename(frame.filename) in ("pickletester.py", "test_pickle.py"):
                where = f" [{os.path.basename(frame.filename)}:{frame.lineno}]"
        text = text.replace("\n", " ")
        return (text[:300] + "...") if len(text) > 300 else text + where

    def startTest(self, test):
        super().startTest(test)
        self._start = time.monotonic()
        self._set(test, "passed")

    def stopTest(self, test):
        super().stopTest(test)
        if self.verbose:
            cls, method, outcome, _ = self.outcomes[test.id()]
            print(f"  {cls}.{method}: {outcome} ({time.monotonic() - self._start:.1f}s)",
                  file=sys.stderr, flush=True)

    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, "error", self._reason(err))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, "failed", self._reason(err))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._set(test, "skipped", reason)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            outcome = "failed" if issubclass(err[0], test.failureException) else "error"
            self._set(test, outcome, f"{subtest._subDescription()} {self._reason(err)}")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._set(test, "failed", "unexpected success")


def known_reason(cls, method):
    known = CLI_KNOWN_DIFFERENCES if cls.startswith("Cli") else KNOWN_DIFFERENCES
    return known.get(f"{cls}.{method}") or known.get(method)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ext", help="the built _pickle_cpp module, or its directory "
                                  "(default: build*/conformance/pyext)")
    ap.add_argument("--cli", metavar="PICKLETOOL",
                    help="run the tests through the command-line tool instead "
                         "(cli_pickle.py), told to behave as the running CPython")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--class", dest="classes", action="append", metavar="NAME",
                    help="run only this class (repeatable)")
    ap.add_argument("-k", dest="patterns", action="append", metavar="SUBSTRING",
                    help="run only tests whose name contains SUBSTRING (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each test as it ends")
    args = ap.parse_args(argv)

    sys.path.insert(0, ROOT)
    from conformance.sandbox import DIST_PACKAGES
    # pickletester's numpy tests (test_buffers_numpy) run when Debian's python3-numpy is
    # installed for this CPython's minor release (its dist-packages, searched last).
    if os.path.isdir("/usr/lib/python3.%d" % sys.version_info[1]) \
            and os.path.isdir(DIST_PACKAGES) and DIST_PACKAGES not in sys.path:
        sys.path.append(DIST_PACKAGES)
    if args.cli:
        from conformance.cli_pickle import CliPickle
        from conformance.tools import Tool
        P = CliPickle(Tool(os.path.abspath(args.cli), 60))
        classes = make_cli_test_classes(P)
    else:
        ext = args.ext or os.environ.get("PICKLE_CPP_EXT") or default_extension()
        if not ext:
            ap.error("no --ext given and no build*/conformance/pyext found")
        P = load_extension(ext)
        classes = make_test_classes(P)
    print(f"pickle implementation: {P.__file__}")
    if args.classes:
        unknown = set(args.classes) - set(classes)
        if unknown:
            ap.error(f"unknown class {sorted(unknown)}; classes: {', '.join(classes)}")
        classes = {name: classes[name] for name in args.classes}

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [f"*{p}*" for p in args.patterns]
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(cls) for cls in classes.values())
    result = Recorder(verbose=args.verbose)
    started = time.monotonic()
    # Some tests print (deprecation notes, CPython's own warnings); keep stdout readable.
    suite.run(result)
    elapsed = time.monotonic() - started

    counts = collections.OrderedDict((name, collections.Counter()) for name in classes)
    failures = []
    for test_id, (cls, method, outcome, reason) in sorted(result.outcomes.items()):
        c = counts.setdefault(cls, collections.Counter())
        c["run"] += outcome != "skipped"
        c[outcome] += 1
        if outcome in ("failed", "error"):
            failures.append((cls, method, outcome, reason, known_reason(cls, method)))

    header = f"{'class':34} {'run':>5} {'passed':>7} {'failed':>7} {'errors':>7} {'skipped':>8}"
    print(header)
    print("-" * len(header))
    total = collections.Counter()
    for name, c in counts.items():
        total.update(c)
        print(f"{name:34} {c['run']:5} {c['passed']:7} {c['failed']:7} {c['error']:7} {c['skipped']:8}")
    print("-" * len(header))
    print(f"{'total':34} {total['run']:5} {total['passed']:7} {total['failed']:7} "
          f"{total['error']:7} {total['skipped']:8}   ({elapsed:.0f} s)")

    unexpected = [f for f in failures if not f[4]]
    if failures:
        print(f"\nNot passing ({len(failures)}; {len(unexpected)} not in KNOWN_DIFFERENCES):")
        for cls, method, outcome, reason, known in failures:
            mark = "known" if known else outcome.upper()
            print(f"  [{mark}] {cls}.{method}: {reason}")
            if known:
                print(f"          known difference: {known}")

    if args.json:
        data = {
            "extension": P.__file__,
            "python": sys.version,
            "classes": {name: dict(c) for name, c in counts.items()},
            "total": dict(total),
            "tests": [{"class": cls, "test": method, "outcome": outcome, "reason": reason,
                       "known_difference": known_reason(cls, method)}
                      for _, (cls, method, outcome, reason) in sorted(result.outcomes.items())],
        }
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
