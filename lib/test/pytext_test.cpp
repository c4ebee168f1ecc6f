// Tests for lib/src/pytext.cpp against CPython 3.11.7's results (golden/text_cases.tsv and
// golden/printable_ranges.txt, written by golden/gen_text_cases.py) plus a few properties.
#include "pytext.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <string>

#include "bigint.h"
#include "pickle/error.h"
#include "pickle/value.h"
#include "text_golden.h"

namespace {

using namespace pickle;
using namespace pickle::detail;
using text_golden::hex;
using text_golden::unhex;

std::string bits_hex(double x) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(std::bit_cast<std::uint64_t>(x)));
  return buf;
}

double from_bits_hex(const std::string& h) {
  return std::bit_cast<double>(static_cast<std::uint64_t>(std::stoull(h, nullptr, 16)));
}

// Python's format(abs(v), 'x') with a '-' for negative values.
std::string int_hex(Value v) {
  IntRef r(v);
  if (r.is_zero()) return "0";
  std::string out = r.negative() ? "-" : "";
  const auto mag = r.magnitude();
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", mag.back());
  out += buf;
  for (std::size_t i = mag.size() - 1; i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%08x", mag[i]);
    out += buf;
  }
  return out;
}

std::string repr_float(double x) {
  std::string s;
  append_repr_float(s, x);
  return s;
}

// ---- golden cases ---------------------------------------------------------------------

TEST(PyTextGolden, ReprStr) {
  text_golden::check("repr_str", 1, [](const auto& a) {
    std::string out;
    append_repr_str(out, unhex(a[0]));
    return std::vector<std::string>{hex(out)};
  });
}

TEST(PyTextGolden, AsciiStr) {
  text_golden::check("ascii_str", 1, [](const auto& a) {
    std::string out;
    append_ascii_str(out, unhex(a[0]));
    return std::vector<std::string>{hex(out)};
  });
}

TEST(PyTextGolden, ReprBytes) {
  text_golden::check("repr_bytes", 1, [](const auto& a) {
    std::string out;
    append_repr_bytes(out, unhex(a[0]));
    return std::vector<std::string>{hex(out)};
  });
}

TEST(PyTextGolden, ReprBytearray) {
  text_golden::check("repr_bytearray", 1, [](const auto& a) {
    std::string out;
    const std::string data = unhex(a[0]);
    append_repr_bytearray(out, std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
    return std::vector<std::string>{hex(out)};
  });
}

TEST(PyTextGolden, ReprFloat) {
  text_golden::check("repr_float", 1,
                     [](const auto& a) { return std::vector<std::string>{hex(repr_float(from_bits_hex(a[0])))}; });
}

TEST(PyTextGolden, Strtol) {
  text_golden::check("strtol", 1, [](const auto& a) {
    const StrtolResult r = c_strtol(unhex(a[0]));
    return std::vector<std::string>{std::to_string(r.value), std::to_string(r.end), r.overflow ? "1" : "0"};
  });
}

TEST(PyTextGolden, PyLongFromCString) {
  text_golden::check("long_cstr", 2, [](const auto& a) {
    Graph g;
    return std::vector<std::string>{int_hex(py_long_from_cstring(g, unhex(a[0]), std::stoi(a[1])))};
  });
}

TEST(PyTextGolden, PyIntFromBytes) {
  text_golden::check("int_bytes", 2, [](const auto& a) {
    Graph g;
    return std::vector<std::string>{int_hex(py_int_from_bytes(g, unhex(a[0]), std::stoi(a[1])))};
  });
}

TEST(PyTextGolden, PyStringToDouble) {
  text_golden::check("strtod", 1, [](const auto& a) {
    const StrtodResult r = py_string_to_double(unhex(a[0]));
    return std::vector<std::string>{bits_hex(r.value), std::to_string(r.end)};
  });
}

TEST(PyTextGolden, PyFloatFromBytes) {
  text_golden::check("float_bytes", 1, [](const auto& a) {
    return std::vector<std::string>{bits_hex(py_float_from_bytes(unhex(a[0])))};
  });
}

// Every code point, against the ranges CPython's str.isprintable() gives.
TEST(PyTextGolden, IsPrintableAllCodePoints) {
  std::ifstream in(std::string(PICKLE_GOLDEN_DIR) + "/printable_ranges.txt");
  ASSERT_TRUE(in) << "cannot open printable_ranges.txt";
  std::vector<bool> expected(0x110000, false);
  std::string line;
  std::size_t ranges = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos);
    const unsigned long first = std::stoul(line.substr(0, tab), nullptr, 16);
    const unsigned long last = std::stoul(line.substr(tab + 1), nullptr, 16);
    ASSERT_LE(first, last);
    ASSERT_LT(last, 0x110000u);
    for (unsigned long cp = first; cp <= last; ++cp) expected[cp] = true;
    ++ranges;
  }
  EXPECT_EQ(ranges, 700u);
  std::size_t mismatches = 0;
  for (char32_t cp = 0; cp < 0x110000; ++cp) {
    if (is_printable(cp) != expected[cp] && ++mismatches <= 10) {
      ADD_FAILURE() << "is_printable(U+" << std::hex << static_cast<std::uint32_t>(cp) << ") should be "
                    << expected[cp];
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_FALSE(is_printable(0x110000));
  EXPECT_FALSE(is_printable(0xFFFFFFFF));
}

// ---- hand-written cases -------------------------------------------------------------------

TEST(PyText, ReprFloatExamples) {
  EXPECT_EQ(repr_float(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(repr_float(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(repr_float(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(repr_float(-std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(repr_float(-0.0), "-0.0");
  EXPECT_EQ(repr_float(0.0), "0.0");
  EXPECT_EQ(repr_float(1e16), "1e+16");
  EXPECT_EQ(repr_float(9999999999999998.0), "9999999999999998.0");
  EXPECT_EQ(repr_float(1e-5), "1e-05");
  EXPECT_EQ(repr_float(0.0001), "0.0001");
  EXPECT_EQ(repr_float(1.5), "1.5");
  EXPECT_EQ(repr_float(100.0), "100.0");
  EXPECT_EQ(repr_float(0.1), "0.1");
  EXPECT_EQ(repr_float(1.5e300), "1.5e+300");
  EXPECT_EQ(repr_float(5e-324), "5e-324");
  EXPECT_EQ(repr_float(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(repr_float(123456789012345678.0), "1.2345678901234568e+17");
}

TEST(PyText, ReprFloatRoundTripsRandomBits) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 200000; ++i) {
    const double x = std::bit_cast<double>(rng());
    if (!std::isfinite(x)) continue;
    const std::string s = repr_float(x);
    double y = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), y);
    ASSERT_EQ(r.ec, std::errc()) << s;
    ASSERT_EQ(r.ptr, s.data() + s.size()) << s;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(x), std::bit_cast<std::uint64_t>(y)) << s;
  }
}

TEST(PyText, ReprAppends) {
  std::string out = "x=";
  append_repr_str(out, "it's");
  EXPECT_EQ(out, "x=\"it's\"");
  append_repr_bytes(out, std::string_view("\x00'\"", 3));
  EXPECT_EQ(out, "x=\"it's\"b'\\x00\\'\"'");
  out.clear();
  append_repr_str(out, "\xed\xa0\x80\xc3\xa9\xe2\x80\xa8");  // surrogate, e-acute, U+2028
  EXPECT_EQ(out, "'\\ud800\xc3\xa9\\u2028'");
  out.clear();
  append_ascii_str(out, "\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(out, "'\\xe9\\U0001f600'");
}

TEST(PyText, ReprStrToleratesMalformedInput) {
  // Not WTF-8: each bad byte shows as U+FFFD; nothing is read out of bounds.
  std::string out;
  append_repr_str(out, "a\xff\xe2\x82");
  EXPECT_EQ(out, "'a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd'");
}

TEST(PyText, PyLongValues) {
  Graph g;
  EXPECT_EQ(py_long_from_cstring(g, "  -42\n", 0).as_int(), -42);
  EXPECT_TRUE(py_long_from_cstring(g, "9223372036854775807", 10).is_small_int());
  EXPECT_TRUE(py_long_from_cstring(g, "-9223372036854775808", 10).is_small_int());
  EXPECT_EQ(py_long_from_cstring(g, "-9223372036854775808", 10).as_int(), std::numeric_limits<std::int64_t>::min());
  const Value big = py_long_from_cstring(g, "9223372036854775808", 10);
  EXPECT_FALSE(big.is_small_int());
  EXPECT_EQ(int_hex(big), "8000000000000000");
  EXPECT_EQ(int_hex(py_long_from_cstring(g, "-0x1_0000_0000_0000_0000_0000", 0)), "-100000000000000000000");
  // The C string ends at the first NUL.
  EXPECT_EQ(py_long_from_cstring(g, std::string_view("12\0x", 4), 10).as_int(), 12);
  try {
    py_int_from_bytes(g, std::string_view("12\0", 3), 10);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "invalid literal for int() with base 10: b'12\\x00'");
  }
}

TEST(PyText, StringToDoubleStopsAtNul) {
  const StrtodResult r =
      py_string_to_double(std::string_view("1.5\0"
                                           "5",
                                           5));
  EXPECT_EQ(r.value, 1.5);
  EXPECT_EQ(r.end, 3u);
  EXPECT_EQ(py_float_from_bytes(" 1_0.2_5e1_0 "), 10.25e10);
  EXPECT_TRUE(std::isinf(py_float_from_bytes("1e999")));
}

TEST(PyText, StrtolExamples) {
  StrtolResult r = c_strtol(" -0x");
  EXPECT_EQ(r.value, 0);
  EXPECT_EQ(r.end, 3u);
  r = c_strtol("0777");
  EXPECT_EQ(r.value, 511);
  EXPECT_EQ(r.end, 4u);
  r = c_strtol("-9223372036854775809");
  EXPECT_EQ(r.value, std::numeric_limits<long long>::min());
  EXPECT_TRUE(r.overflow);
  EXPECT_EQ(r.end, 20u);
  r = c_strtol("x");
  EXPECT_EQ(r.end, 0u);
}

}  // namespace
