// Tests for pickle::dis and pickle::genops against CPython 3.11's pickletools.
//
// The golden cases (golden/dis_cases.tsv) are written by golden/gen_dis_cases.py, which
// runs pickletools.dis / pickletools._genops on every input; see its docstring for the
// format. The remaining tests check properties the golden file cannot: robustness on
// random input, no allocation from declared lengths, linear behaviour on deep nesting,
// error offsets.
#include "pickle/dis.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bigint.h"
#include "pickle/error.h"
#include "pickle/pickler.h"
#include "pickle/value.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  }
  return out;
}

std::string to_hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t i = s.find(sep, start);
    if (i == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, i - start));
    start = i + 1;
  }
}

std::span<const std::uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct DisResult {
  std::string out;
  std::string error;  // "Class: message", or "-"
};

DisResult run_dis(std::string_view data, int indent = 4, int annotate = 0) {
  DisResult r;
  try {
    pickle::dis(span_of(data), r.out, pickle::DisOptions{indent, annotate});
    r.error = "-";
  } catch (const pickle::Error& e) {
    r.error = std::string(e.python_type_name()) + ": " + e.message();
  }
  return r;
}

/// genops rendered as gen_dis_cases.py's describe_arg does.
std::string describe(const pickle::Value& v) {
  using pickle::Kind;
  switch (v.kind()) {
    case Kind::None: return "N";
    case Kind::Bool: return v.as_bool() ? "B1" : "B0";
    case Kind::Int: {
      std::string enc;
      pickle::detail::append_twos_complement(enc, pickle::detail::IntRef(v));
      return "I" + to_hex(enc);
    }
    case Kind::Float: {
      double d = v.as_float();
      std::uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      char buf[17];
      std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(bits));
      return std::string("F") + buf;
    }
    case Kind::Str: return "S" + to_hex(v.as_str().utf8());
    case Kind::Bytes: return "Y" + to_hex(v.as_bytes().chars());
    case Kind::ByteArray: return "A" + to_hex(v.as_bytes().chars());
    default: return "?" + std::string(pickle::kind_type_name(v.kind()));
  }
}

DisResult run_genops(std::string_view data) {
  DisResult r;
  pickle::Graph g;
  bool first = true;
  try {
    pickle::genops(span_of(data), g, [&](const pickle::GenOp& op) {
      if (!first) r.out += ';';
      first = false;
      r.out += std::to_string(op.pos) + " " + std::to_string(op.end) + " " + std::string(op.info->name) + " " +
               describe(op.arg);
    });
    r.error = "-";
  } catch (const pickle::Error& e) {
    r.error = std::string(e.python_type_name()) + ": " + e.message();
  }
  return r;
}

/// Where two texts first differ, with some context, for failure messages.
std::string first_difference(const std::string& want, const std::string& got) {
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  auto around = [&](const std::string& s) {
    std::size_t from = i > 60 ? i - 60 : 0;
    return s.substr(from, 120);
  };
  std::ostringstream os;
  os << "first difference at byte " << i << " (sizes " << want.size() << " vs " << got.size() << ")\n  want: ..."
     << around(want) << "...\n   got: ..." << around(got) << "...";
  return os.str();
}

struct GoldenLine {
  std::vector<std::string_view> fields;
};

const std::string& golden_text() {
  static const std::string text = [] {
    std::ifstream in(std::string(PICKLE_GOLDEN_DIR) + "/dis_cases.tsv", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  return text;
}

std::vector<GoldenLine> golden(std::string_view kind) {
  std::vector<GoldenLine> lines;
  for (std::string_view line : split(golden_text(), '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto fields = split(line, '\t');
    if (fields[0] == kind) lines.push_back({fields});
  }
  return lines;
}

// ---- golden cases ----------------------------------------------------------------------

TEST(DisGolden, MatchesPickletools) {
  auto cases = golden("dis");
  ASSERT_GT(cases.size(), 3000u) << "golden file missing or truncated";
  std::size_t failures = 0, errors = 0;
  for (const auto& c : cases) {
    ASSERT_EQ(c.fields.size(), 7u);
    const std::string label(c.fields[1]);
    const int indent = std::stoi(std::string(c.fields[2]));
    const int annotate = std::stoi(std::string(c.fields[3]));
    const std::string data = from_hex(c.fields[4]);
    const std::string want_out = from_hex(c.fields[5]);
    const std::string want_err = c.fields[6] == "-" ? "-" : from_hex(c.fields[6]);
    if (want_err != "-") ++errors;
    const DisResult got = run_dis(data, indent, annotate);
    if (got.out != want_out || got.error != want_err) {
      if (++failures <= 20) {
        ADD_FAILURE() << label << " (input " << to_hex(data.substr(0, 80)) << ")\n"
                      << (got.out != want_out ? first_difference(want_out, got.out) + "\n" : "")
                      << "  error want: " << want_err << "\n  error  got: " << got.error;
      }
    }
  }
  EXPECT_EQ(failures, 0u) << "of " << cases.size() << " cases";
  EXPECT_GT(errors, 500u);  // the error paths are well represented
  std::printf("[ dis golden ] %zu cases (%zu raising), %zu failures\n", cases.size(), errors, failures);
}

TEST(DisGolden, GenopsMatchesPickletools) {
  auto cases = golden("genops");
  ASSERT_GT(cases.size(), 300u);
  std::size_t failures = 0;
  for (const auto& c : cases) {
    ASSERT_EQ(c.fields.size(), 5u);
    const std::string label(c.fields[1]);
    const std::string data = from_hex(c.fields[2]);
    const std::string want_ops(c.fields[3]);
    const std::string want_err = c.fields[4] == "-" ? "-" : from_hex(c.fields[4]);
    const DisResult got = run_genops(data);
    if (got.out != want_ops || got.error != want_err) {
      if (++failures <= 20) {
        ADD_FAILURE() << label << "\n"
                      << (got.out != want_ops ? first_difference(want_ops, got.out) + "\n" : "")
                      << "  error want: " << want_err << "\n  error  got: " << got.error;
      }
    }
  }
  EXPECT_EQ(failures, 0u) << "of " << cases.size() << " cases";
  std::printf("[ genops golden ] %zu cases, %zu failures\n", cases.size(), failures);
}

// ---- hand-written checks (readable documentation of the format) -------------------------

TEST(Dis, SimpleListing) {
  // pickle.dumps([1, 'a'], 2)
  const auto r =
      run_dis(std::string_view("\x80\x02]q\x00(K\x01X\x01\x00\x00\x00"
                               "aq\x01"
                               "e.",
                               18));
  EXPECT_EQ(r.error, "-");
  EXPECT_EQ(r.out,
            "    0: \\x80 PROTO      2\n"
            "    2: ]    EMPTY_LIST\n"
            "    3: q    BINPUT     0\n"
            "    5: (    MARK\n"
            "    6: K        BININT1    1\n"
            "    8: X        BINUNICODE 'a'\n"
            "   14: q        BINPUT     1\n"
            "   16: e        APPENDS    (MARK at 5)\n"
            "   17: .    STOP\n"
            "highest protocol among opcodes = 2\n");
}

TEST(Dis, PartialLineWhenReprFails) {
  // A LONG4 of 2**14286 has 4301 digits: repr() raises after "%5d: " was printed.
  std::string data("N\x8b", 2);
  const std::size_t nbytes = 14286 / 8 + 1;
  std::string payload(nbytes, '\0');
  payload[nbytes - 1] = static_cast<char>(1 << (14286 % 8));
  std::uint32_t n = static_cast<std::uint32_t>(nbytes);
  for (int k = 0; k < 4; ++k) data += static_cast<char>(n >> (8 * k));
  data += payload + ".";
  const auto r = run_dis(data);
  EXPECT_EQ(r.out, "    0: N    NONE\n    1: ");
  EXPECT_EQ(r.error,
            "ValueError: Exceeds the limit (4300 digits) for integer string conversion; use "
            "sys.set_int_max_str_digits() to increase the limit");
}

TEST(Dis, ErrorCarriesOpcodeOffset) {
  std::string out;
  try {
    pickle::dis(B("NN\x87."), out);
    FAIL() << "no error";
  } catch (const pickle::Error& e) {
    EXPECT_EQ(e.type(), pickle::ErrorType::ValueError);
    EXPECT_EQ(e.message(), "tries to pop 3 items from stack with only 2 items");
    EXPECT_EQ(e.offset(), std::optional<std::size_t>(2));
  }
}

TEST(Dis, AppendsToExistingOutput) {
  std::string out = "prefix\n";
  pickle::dis(B("N."), out);
  EXPECT_EQ(out, "prefix\n    0: N    NONE\n    1: .    STOP\nhighest protocol among opcodes = 0\n");
}

TEST(Dis, SharedMemoCarriesEntriesToTheNextListing) {
  // pickletools.dis(p, out, memo) with one memo for both: the second pickle GETs what
  // the first stored; MEMOIZE numbers on from the memo's size.
  const std::string first = "\x80\x04N\x94N\x94\x86.";  // stores 0 and 1
  const std::string second = "\x80\x04h\x01\x94\x85.";  // GET 1, stores 2
  std::string alone;
  try {
    pickle::dis(span_of(second), alone);
    FAIL() << "no error";
  } catch (const pickle::Error& e) {
    EXPECT_EQ(e.message(), "memo key 1 has never been stored into");
  }
  pickle::DisMemo memo;
  pickle::DisOptions options;
  options.memo = &memo;
  std::string out;
  pickle::dis(span_of(first), out, options);
  EXPECT_EQ(memo.size(), 2u);
  out.clear();
  pickle::dis(span_of(second), out, options);
  EXPECT_NE(out.find("MEMOIZE    (as 2)"), std::string::npos) << out;
  EXPECT_EQ(memo.size(), 3u);
  // Storing an index the memo holds already is pickletools' error.
  EXPECT_THROW(pickle::dis(B("\x80\x02Nq\x00."), out, options), pickle::Error);
}

struct PieceSink final : pickle::Sink {
  std::vector<std::string> pieces;
  void write(std::span<const std::uint8_t> data) override {
    pieces.emplace_back(reinterpret_cast<const char*>(data.data()), data.size());
  }
  std::string joined() const {
    std::string all;
    for (const std::string& p : pieces) all += p;
    return all;
  }
};

TEST(Dis, SinkReceivesTheListingInPiecesAsItIsMade) {
  // A wide list: 30,000 lines of about 20 bytes, more than one 64 KiB piece.
  const std::string data = "\x80\x04](" + std::string(30000, 'N') + "e.";
  std::string whole;
  pickle::dis(span_of(data), whole);
  PieceSink sink;
  pickle::dis(span_of(data), sink);
  EXPECT_EQ(sink.joined(), whole);
  EXPECT_GT(sink.pieces.size(), 2u);
  for (const std::string& p : sink.pieces) EXPECT_LT(p.size(), 65536u + 100u);

  // On malformed input the sink has what pickletools printed before raising.
  const std::string bad = std::string(30000, 'N') + "\x87.";  // STOP leaves 29,998 items
  DisResult want = run_dis(bad);
  PieceSink failed;
  try {
    pickle::dis(span_of(bad), failed);
    ADD_FAILURE() << "no error";
  } catch (const pickle::Error& e) {
    EXPECT_EQ(std::string(e.python_type_name()) + ": " + e.message(), want.error);
  }
  EXPECT_EQ(failed.joined(), want.out);
  EXPECT_GT(failed.pieces.size(), 2u);
}

TEST(Dis, ALargePayloadsReprGoesToTheSinkInPieces) {
  // bytes with both quotes (repr in ' quotes, escaped) and a bytearray with a ' (always
  // escaped), each 200,000 bytes, in a list whose MARK makes the annotation column move.
  std::string payload(200000, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
  payload[5] = '\'';
  payload[9] = '"';
  pickle::Graph g;
  const pickle::Value items[] = {
      g.new_bytes(payload), g.new_bytearray(std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), 150000))};
  pickle::Value l = g.new_list();
  for (pickle::Value v : items) l.as_list().append(g, v);
  const std::string data = pickle::dumps(l, {.protocol = 5});
  for (int annotate : {0, 1}) {
    std::string whole;
    pickle::dis(span_of(data), whole, {.annotate = annotate});
    PieceSink sink;
    pickle::dis(span_of(data), sink, {.annotate = annotate});
    EXPECT_EQ(sink.joined(), whole) << annotate;
    for (const std::string& p : sink.pieces) EXPECT_LT(p.size(), 65536u + 100u);
  }
}

TEST(Genops, StopsAtStopAndReportsEnds) {
  pickle::Graph g;
  std::vector<std::string> seen;
  pickle::genops(B("I01\nK\x05.garbage"), g, [&](const pickle::GenOp& op) {
    seen.push_back(std::string(op.info->name) + "@" + std::to_string(op.pos) + "-" + std::to_string(op.end) + "=" +
                   describe(op.arg));
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"INT@0-4=B1", "BININT1@4-6=I05", "STOP@6-7=N"}));
}

TEST(Genops, VisitsBeforeError) {
  pickle::Graph g;
  int visits = 0;
  try {
    pickle::genops(B("NN\xff"), g, [&](const pickle::GenOp&) { ++visits; });
    FAIL() << "no error";
  } catch (const pickle::Error& e) {
    EXPECT_EQ(e.message(), "at position 2, opcode b'\\xff' unknown");
  }
  EXPECT_EQ(visits, 2);
}

// ---- robustness --------------------------------------------------------------------------

TEST(DisRobustness, HugeDeclaredLengthsDoNotAllocate) {
  struct Case {
    std::string data;
    std::string error;
  };
  const std::string max8("\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
  const std::vector<Case> cases = {
      {"\x8e" + max8, "ValueError: expected 9223372036854775807 bytes in a bytes8, but only 0 remain"},
      {"\x96" + max8 + "ab", "ValueError: expected 9223372036854775807 bytes in a bytearray8, but only 2 remain"},
      {"\x8d" + max8, "ValueError: expected 9223372036854775807 bytes in a unicodestring8, but only 0 remain"},
      {"B\xff\xff\xff\xff", "ValueError: expected 4294967295 bytes in a bytes4, but only 0 remain"},
      {"\x8b\xff\xff\xff\x7f", "ValueError: not enough data in stream to read long4"},
  };
  for (const auto& c : cases) {
    pickle::Graph g;
    const auto r = run_dis(c.data);
    EXPECT_EQ(r.error, c.error);
    EXPECT_EQ(r.out, "");
    try {
      pickle::genops(span_of(c.data), g, [](const pickle::GenOp&) {});
      ADD_FAILURE() << "no error";
    } catch (const pickle::Error& e) {
      EXPECT_EQ(std::string(e.python_type_name()) + ": " + e.message(), c.error);
    }
    EXPECT_LT(g.bytes_allocated(), 4096u);
  }
}

TEST(DisRobustness, DeepNestingIsLinear) {
  // A million MARKs: no recursion anywhere, and with indentlevel 0 the listing is linear.
  const std::size_t n = 1000000;
  std::string data(n, '(');
  data += 'N';
  data += std::string(n, 't');
  data += '.';
  std::string out;
  pickle::dis(span_of(data), out, pickle::DisOptions{0, 0});
  EXPECT_NE(out.find("(MARK at 0)\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("highest protocol among opcodes = 0\n"));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), static_cast<long>(2 * n + 3));
}

TEST(DisRobustness, RandomInputOnlyRaisesPickleErrors) {
  // Inputs drawn mostly from opcode bytes and small arguments; dis and genops must agree
  // on the opcodes read, and only ever throw pickle::Error.
  std::mt19937_64 rng(12345);
  static constexpr char kAlphabet[] =
      "(0121aelptdus}])N.KMJIFLSVXUTBCcigjhqrp\n'\"\\0123456789-\x80\x85\x86\x87\x88"
      "\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\xff";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string data;
    const std::size_t len = rng() % 48;
    for (std::size_t k = 0; k < len; ++k) {
      data += rng() % 8 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng());
    }
    if (rng() % 2) data += '.';
    std::string out;
    std::size_t lines_ok = 0;
    try {
      pickle::dis(span_of(data), out, pickle::DisOptions{static_cast<int>(rng() % 5), rng() % 3 ? 0 : 30});
    } catch (const pickle::Error&) {
    }
    lines_ok = static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n'));
    pickle::Graph g;
    std::size_t ops = 0;
    bool genops_ok = true;
    try {
      pickle::genops(span_of(data), g, [&](const pickle::GenOp&) { ++ops; });
    } catch (const pickle::Error&) {
      genops_ok = false;
    }
    // dis prints one line per opcode genops yields, up to where it stops.
    EXPECT_LE(lines_ok, ops + 1) << to_hex(data);
    if (genops_ok && lines_ok == ops + 1) {
      EXPECT_TRUE(out.ends_with("highest protocol among opcodes = " + out.substr(out.rfind('=') + 2)));
    }
  }
}

TEST(DisRobustness, RandomBytesQuick) {
  std::mt19937_64 rng(777);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string data;
    const std::size_t len = rng() % 64;
    for (std::size_t k = 0; k < len; ++k) data += static_cast<char>(rng());
    std::string out;
    try {
      pickle::dis(span_of(data), out);
    } catch (const pickle::Error&) {
    }
  }
  SUCCEED();
}

}  // namespace
