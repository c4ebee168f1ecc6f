// pickle::scan: the events recorded for hand-written pickles, policies and the reports.
// conformance/scan_check.py compares the imports with CPython's own find_class calls.
#include <gtest/gtest.h>

#include <string>

#include "pickle/pickle.h"

namespace {

using pickle::ScanEvent;
using pickle::ScanPolicy;
using pickle::ScanReport;
using Kind = ScanEvent::Kind;
using Source = ScanEvent::Source;

// Opcodes written out, so that every offset below can be counted by hand.
std::string global(const std::string& module, const std::string& name) { return "c" + module + "\n" + name + "\n"; }
std::string short_str(const std::string& s) { return "\x8c" + std::string(1, char(s.size())) + s; }
const std::string kProto2 = "\x80\x02";
const std::string kProto4 = "\x80\x04";

ScanReport scan_with(const std::string& bytes, ScanPolicy policy) {
  pickle::ScanOptions o;
  o.policy = std::move(policy);
  return pickle::scan(bytes, o);
}

TEST(Scan, GlobalAndReduceAreAnImportThenACall) {
  // 0 PROTO 2, 2 GLOBAL os system, 13 SHORT_BINUNICODE, 17 TUPLE1, 18 REDUCE, 19 STOP
  ScanReport r = pickle::scan(kProto2 + global("os", "system") + short_str("id") + "\x85R.");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].kind, Kind::Import);
  EXPECT_EQ(r.events[0].source, Source::Literal);
  EXPECT_EQ(r.events[0].offset, 2u);
  EXPECT_EQ(r.events[0].opcode, pickle::Op::GLOBAL);
  EXPECT_EQ(r.events[0].module, "os");
  EXPECT_EQ(r.events[0].name, "system");
  EXPECT_EQ(r.events[1].kind, Kind::Call);
  EXPECT_EQ(r.events[1].offset, 18u);
  EXPECT_EQ(r.events[1].target, "posix.system");  // the function os.system is
  EXPECT_EQ(r.status, pickle::ScanStatus::Complete);
  EXPECT_EQ(r.verdict, pickle::Verdict::Flagged);
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].event, 0u);
  EXPECT_NE(r.findings[0].reason.find("os.system"), std::string::npos);
}

TEST(Scan, BuiltinsPolicyAcceptsWhatThePicklerWritesForBuiltinTypes) {
  pickle::Graph g = pickle::loads(std::string("\x80\x04\x8f(K\x01\x90.", 8));  // {1}
  ScanReport r = pickle::scan(pickle::dumps(g.root(), {.protocol = 2}));
  EXPECT_EQ(r.verdict, pickle::Verdict::Clean) << pickle::to_text(r);
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events[0].module, "builtins");
  EXPECT_EQ(r.events[0].name, "set");
  EXPECT_EQ(r.events[0].raw_module, "__builtin__");  // protocol 2 writes Python 2 names
}

TEST(Scan, StackGlobalOperandsFromTheMemoAreTheOnesCPythonStored) {
  // The GETs read indexes 9 and 1, set by BINPUT and MEMOIZE out of order.
  std::string p = kProto4 + short_str("collections") + "q\x05" + "0" + short_str("os") + "\x94" + "0" +
                  short_str("system") + "q\x09" + "0" + "h\x01" + "h\x09" + "\x93" + ".";
  ScanReport r = pickle::scan(p);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].source, Source::Stack);
  EXPECT_EQ(r.events[0].module, "os");
  EXPECT_EQ(r.events[0].name, "system");
  EXPECT_EQ(r.status, pickle::ScanStatus::Complete);
}

TEST(Scan, StackGlobalOperandsAreTracedPastArgumentsHoldingItsOpcodeByte) {
  // Byte 0x93 inside arguments (SHORT_BINBYTES, BININT1, a text line) before the real
  // STACK_GLOBAL: the scan's walk of the opcodes must still find it and trace the strs.
  std::string p = kProto4 + "C\x01\x93" + "0" + "K\x93" + "0" + "V\x93\n" + "0" + short_str("os") +
                  short_str("system") + "\x93" + ".";
  ScanReport r = pickle::scan(p);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].name, "system");
  EXPECT_NE(r.events[0].detail.find("module str from SHORT_BINUNICODE at"), std::string::npos) << r.events[0].detail;
  EXPECT_NE(r.events[0].detail.find("name str from SHORT_BINUNICODE at"), std::string::npos) << r.events[0].detail;
}

TEST(Scan, ALargeInputReachingAStackGlobalLateIsReportedOnce) {
  // Over 64 KiB: the scan starts without keeping where strs were made, and starts again
  // when the STACK_GLOBAL comes. The events before it are reported once.
  std::string p = kProto4 + global("builtins", "set") + ")R0";
  for (int i = 0; i < 20000; ++i) p += short_str("x") + "0";
  const std::size_t module_at = p.size();
  p += short_str("os") + short_str("system") + "\x93.";
  ScanReport r = pickle::scan(p);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[0].kind, Kind::Import);
  EXPECT_EQ(r.events[1].kind, Kind::Call);
  EXPECT_EQ(r.events[2].name, "system");
  EXPECT_NE(r.events[2].detail.find("module str from SHORT_BINUNICODE at " + std::to_string(module_at)),
            std::string::npos)
      << r.events[2].detail;
}

TEST(Scan, ANameComputedByACallIsUnresolvedAndFlagged) {
  // STACK_GLOBAL's module is the result of os.getcwd(): the scan cannot know it.
  std::string p = kProto4 + global("os", "getcwd") + ")R" + short_str("x") + "\x93.";
  ScanReport r = scan_with(p, ScanPolicy::parse("default allow"));
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[2].kind, Kind::Import);
  EXPECT_EQ(r.events[2].source, Source::Unresolved);
  EXPECT_EQ(r.verdict, pickle::Verdict::Flagged);
}

TEST(Scan, WhatFollowsTheErrorIsReportedAsNotReached) {
  // 2 BINGET of an empty memo: CPython stops; the GLOBAL after it is never imported.
  std::string p = kProto2 + "h\x07" + global("os", "system") + ".";
  ScanReport r = pickle::scan(p);
  EXPECT_EQ(r.status, pickle::ScanStatus::Error);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->type(), pickle::ErrorType::UnpicklingError);
  EXPECT_EQ(r.error->offset(), 2u);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_FALSE(r.events[0].reached);
  EXPECT_EQ(r.events[0].offset, 4u);
  EXPECT_EQ(r.events[0].module, "os");
  EXPECT_EQ(r.verdict, pickle::Verdict::Flagged);  // a denied global is flagged wherever it is
}

TEST(Scan, ATruncatedBenignPickleIsAnErrorNotClean) {
  ScanReport r = pickle::scan(kProto2 + "]K\x01");
  EXPECT_EQ(r.status, pickle::ScanStatus::Error);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.verdict, pickle::Verdict::Error);
}

TEST(Scan, APickleAfterTheFirstIsScannedToo) {
  std::string second = kProto2 + global("os", "system") + short_str("id") + "\x85R.";
  ScanReport r = pickle::scan(kProto2 + "K\x01." + second);
  EXPECT_EQ(r.pickles, 2u);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].pickle, 1u);
  EXPECT_EQ(r.events[0].offset, 5u + 2u);
  EXPECT_EQ(r.verdict, pickle::Verdict::Flagged);

  pickle::ScanOptions first_only;
  first_only.all_pickles = false;
  EXPECT_TRUE(pickle::scan(kProto2 + "K\x01." + second, first_only).events.empty());
}

TEST(Scan, APicklePassedToPickleLoadsIsScannedOneLevelDown) {
  std::string inner = global("os", "system") + ".";
  std::string p = kProto2 + global("pickle", "loads") + "C" + std::string(1, char(inner.size())) + inner + "\x85R.";
  ScanReport r = pickle::scan(p);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[1].target, "_pickle.loads");  // the function pickle.loads is
  EXPECT_EQ(r.events[2].depth, 1u);
  EXPECT_EQ(r.events[2].offset, 0u);  // within the nested pickle's bytes
  EXPECT_EQ(r.events[2].module, "os");
  EXPECT_NE(r.events[2].detail.find("pickle.loads"), std::string::npos);
}

TEST(Scan, BuildOnAGlobalSetsAttributesForTheWholeProcess) {
  // BUILD with slot state on numpy.prod: setattr on a module's function.
  std::string p = kProto4 + global("numpy", "prod") + "N}" + short_str("a") + short_str("b") + "s\x86" + "b.";
  ScanReport r = scan_with(p, ScanPolicy::ml());
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1].kind, Kind::SetAttributes);
  EXPECT_EQ(r.verdict, pickle::Verdict::Flagged);
}

TEST(Scan, AnExtCodeOutsideTheRegistryIsFlagged) {
  ScanReport r = scan_with(kProto2 + "\x82\x01.", ScanPolicy::parse("default allow"));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].kind, Kind::Extension);
  EXPECT_EQ(r.verdict, pickle::Verdict::Flagged);
}

TEST(Scan, AReadCrossingAFramesEndIsFlaggedAsFraming) {
  // The frame [11, 14) ends inside SHORT_BINUNICODE's payload [13, 17): CPython reading
  // a file without peek() takes the payload from 14 on (conformance/scan_cases.py has
  // the case where that runs a hidden GLOBAL).
  std::string framed = kProto4 + "\x95" + std::string("\x03\0\0\0\0\0\0\0", 8) + short_str("abcd") + ".";
  ScanReport r = scan_with(framed, ScanPolicy::parse("default allow"));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].kind, Kind::Framing);
  EXPECT_EQ(r.events[0].offset, 11u);
  EXPECT_EQ(r.verdict, pickle::Verdict::Flagged);

  // The frames the pickler writes end at opcode boundaries; a bytes payload crossing a
  // frame's end is read into the object as loads() reads it.
  pickle::Graph g =
      pickle::loads(std::string("\x80\x02]q\x00(K\x01K\x02U\x02"
                                "abe.",
                                16));
  EXPECT_TRUE(scan_with(pickle::dumps(g.root(), {.protocol = 5}), ScanPolicy::parse("default allow")).events.empty());
  std::string bytes_payload = kProto4 + "\x95" + std::string("\x03\0\0\0\0\0\0\0", 8) +
                              "C\x04"
                              "abcd.";
  EXPECT_TRUE(scan_with(bytes_payload, ScanPolicy::parse("default allow")).events.empty());
}

TEST(ScanPolicy, DenyWinsAndStarCoversNoDottedName) {
  ScanPolicy p = ScanPolicy::parse(
      "# comment\n"
      "default deny\n"
      "allow numpy.*:*\n"
      "deny numpy.testing:*   # trailing comment\n"
      "allow collections:OrderedDict\n");
  EXPECT_TRUE(p.allows_global("numpy.core.multiarray", "_reconstruct"));
  EXPECT_TRUE(p.allows_global("numpy", "dtype"));
  EXPECT_FALSE(p.allows_global("numpy.core", "__builtins__.get"));
  EXPECT_FALSE(p.allows_global("numpy.testing", "assert_equal"));
  EXPECT_TRUE(p.allows_global("collections", "OrderedDict"));
  EXPECT_FALSE(p.allows_global("collections", "OrderedDict.fromkeys"));
  EXPECT_FALSE(p.allows_global("os", "system"));
  EXPECT_TRUE(ScanPolicy::parse("default allow\ndeny os:system\n").allows_global("os", "getcwd"));
  EXPECT_FALSE(ScanPolicy::parse("default allow\ndeny os:system\n").allows_global("os", "system.__call__"));
}

TEST(ScanPolicy, MalformedLinesAreValueErrorsNamingTheLine) {
  for (const char* text : {"allow os\n", "permit os:system\n", "\ndefault maybe\n", "allow :x\n", "allow os:\n"}) {
    try {
      ScanPolicy::parse(text, "mine");
      ADD_FAILURE() << text;
    } catch (const pickle::Error& e) {
      EXPECT_EQ(e.type(), pickle::ErrorType::ValueError);
      EXPECT_EQ(e.message().rfind("policy mine line ", 0), 0u) << e.message();
    }
  }
  EXPECT_THROW(ScanPolicy::named("everything"), pickle::Error);
}

TEST(ScanPolicy, PersistentIdsFollowTheRule) {
  std::string p = kProto2 + short_str("key") + "Q.";  // BINPERSID
  EXPECT_EQ(scan_with(p, ScanPolicy::weights_only()).verdict, pickle::Verdict::Clean);
  EXPECT_EQ(scan_with(p, ScanPolicy::parse("deny persistent-ids")).verdict, pickle::Verdict::Flagged);
}

TEST(ScanReport, JsonEscapesNamesThatAreNotUtf8) {
  // BINUNICODE decodes with surrogatepass: STACK_GLOBAL may ask for a module named by a
  // lone surrogate, which JSON carries escaped; quotes are escaped too.
  ScanReport r = pickle::scan(kProto4 + std::string("X\x03\x00\x00\x00\xed\xa0\x80", 8) + short_str("a\"b") + "\x93.");
  ASSERT_EQ(r.events.size(), 1u);
  std::string json = pickle::to_json(r, "f.pkl");
  EXPECT_NE(json.find("\"module\": \"\\ud800\""), std::string::npos) << json;
  EXPECT_NE(json.find("a\\\"b"), std::string::npos) << json;
  EXPECT_NE(json.find("\"file\": \"f.pkl\""), std::string::npos) << json;
  EXPECT_NE(pickle::to_text(r, "f.pkl").find("f.pkl"), std::string::npos);
}

}  // namespace
