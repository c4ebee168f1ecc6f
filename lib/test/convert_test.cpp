// Checked access (pickle/value.h), typed conversions (pickle/convert.h) and dict lookup by
// C++ key. Messages of CPython's own errors (codecs, int(), float(int), KeyError) come from
// golden/convert_cases.tsv, written by golden/gen_convert_cases.py; the TypeError and
// OverflowError texts of wrong-kind access and range checks are the library's own.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "pickle/convert.h"
#include "pickle/error.h"
#include "pickle/pickler.h"
#include "pickle/unpickler.h"
#include "text_golden.h"

namespace pickle {
namespace {

using text_golden::error_of;

#define EXPECT_PICKLE_ERROR(expr, type_, message_)    \
  do {                                                \
    Error e_ = error_of([&] { (void)(expr); });       \
    EXPECT_EQ(e_.python_type_name(), type_) << #expr; \
    EXPECT_EQ(e_.message(), message_) << #expr;       \
  } while (0)

// ---- checked access ---------------------------------------------------------------------------

TEST(CheckedAccess, WrongKindIsTypeErrorNamingBothTypes) {
  Graph g = loads(text_golden::unhex("80049510000000000000008c01789447400400000000000086942e"));
  // pickle.dumps(('x', 2.5), 4)
  const Tuple& t = g.root().as_tuple();
  EXPECT_PICKLE_ERROR(t[0].as_int(), "TypeError", "expected int, got str");
  EXPECT_PICKLE_ERROR(t[1].as_str(), "TypeError", "expected str, got float");
  EXPECT_PICKLE_ERROR(t[1].as_list(), "TypeError", "expected list, got float");
  EXPECT_PICKLE_ERROR(g.root().as_dict(), "TypeError", "expected dict, got tuple");
  EXPECT_PICKLE_ERROR(Value().as_bool(), "TypeError", "expected bool, got NoneType");
  EXPECT_PICKLE_ERROR(Value::integer(1).as_float(), "TypeError", "expected float, got int");
  EXPECT_EQ(t[0].as_str().utf8(), "x");
  EXPECT_EQ(t[1].as_float(), 2.5);
  EXPECT_EQ(Value::boolean(true).as_int(), 1);  // a bool is an int
}

TEST(CheckedAccess, TryFormsReturnNullInsteadOfThrowing) {
  Graph g;
  Value s = g.new_str("a");
  EXPECT_EQ(s.try_as_list(), nullptr);
  EXPECT_EQ(s.try_as_int(), std::nullopt);
  ASSERT_NE(s.try_as_str(), nullptr);
  EXPECT_EQ(s.try_as_str()->utf8(), "a");
  EXPECT_EQ(Value::integer(5).try_as_int(), 5);
  EXPECT_EQ(Value::floating(5).try_as_int(), std::nullopt);
  EXPECT_EQ(Value::boolean(false).try_as_bool(), false);
  const std::uint32_t big[] = {0, 0, 1};  // 2**64
  Value b = g.new_bigint(false, big);
  EXPECT_EQ(b.try_as_int(), std::nullopt);
  EXPECT_NE(b.try_as_bigint(), nullptr);
  EXPECT_PICKLE_ERROR(b.as_int(), "OverflowError", "Python int too large to convert to int64");
  EXPECT_PICKLE_ERROR(Value::integer(1).as_bigint(), "TypeError", "expected int, got int");
}

TEST(CheckedAccess, IndexingIsBoundsChecked) {
  // The README's old example on the input c__main__\nC\n)R. : an empty args tuple.
  Graph g;
  Value empty = g.empty_tuple();
  EXPECT_PICKLE_ERROR(empty.as_tuple()[0], "IndexError", "tuple index out of range");
  Value list = g.new_list();
  list.as_list().append(g, Value::integer(1));
  EXPECT_EQ(list.as_list()[0].as_int(), 1);
  EXPECT_PICKLE_ERROR(list.as_list()[1], "IndexError", "list index out of range");
  list.as_list()[0] = Value::integer(2);
  EXPECT_EQ(list.as_list().items()[0].as_int(), 2);
}

TEST(CheckedAccess, BytesAreImmutableAndExportedByteArraysKeepTheirSize) {
  Graph g;
  Value b = g.new_bytes(std::string_view("ab"));
  EXPECT_EQ(b.as_bytes().chars(), "ab");
  EXPECT_PICKLE_ERROR(b.as_bytearray(), "TypeError", "expected bytearray, got bytes");
  // bytearray(b'ab'), a memoryview made of it (READONLY_BUFFER), then the bytearray again.
  Graph loaded =
      loads(std::string_view("\x80\x05\x96\x02\x00\x00\x00\x00\x00\x00\x00"
                             "ab\x94\x98"
                             "0h\x00.",
                             19));
  Bytes& ba = loaded.root().as_bytearray();
  const std::uint8_t same_size[] = {'x', 'y'}, longer[] = {'x', 'y', 'z'};
  ba.assign(loaded, same_size);
  EXPECT_EQ(ba.chars(), "xy");
  EXPECT_PICKLE_ERROR(ba.assign(loaded, longer), "BufferError", "Existing exports of data: object cannot be re-sized");
  ba.data()[0] = 'q';
  EXPECT_EQ(ba.chars(), "qy");
}

TEST(CheckedAccess, InertObjectsAreReadSafely) {
  // copyreg-style object: c__main__\nC\n)R. loads as an inert object with no arguments.
  Graph g = loads(std::string_view("c__main__\nC\n)R."));
  Object& o = g.root().as_object();
  EXPECT_EQ(o.args().as_tuple().size(), 0u);
  EXPECT_PICKLE_ERROR(o.args().as_tuple()[0].as_int(), "IndexError", "tuple index out of range");
  EXPECT_EQ(o.callable().as_global().qualname(), "C");
}

// ---- dict lookup by C++ key ---------------------------------------------------------------------

TEST(DictLookup, FindsStrAndIntKeysWithPythonSemantics) {
  // {'name': 'x', 1: 'one', 2.0: 'two', True: ...} -- True == 1, so it updates key 1.
  Graph g;
  Value d = g.new_dict();
  Dict& dict = d.as_dict();
  dict.set(g, g.new_str("name"), g.new_str("x"));
  dict.set(g, Value::integer(1), g.new_str("one"));
  dict.set(g, Value::floating(2.0), g.new_str("two"));
  dict.set(g, g.new_str("h\xc3\xa9"), Value::integer(7));
  for (int i = 0; i < 40; ++i)
    dict.set(g, g.new_str("k" + std::to_string(i)), Value::integer(i));  // past the linear scan
  ASSERT_NE(dict.find("name"), nullptr);
  EXPECT_EQ(dict.find("name")->as_str().utf8(), "x");
  EXPECT_EQ(dict.at("h\xc3\xa9").as_int(), 7);
  EXPECT_EQ(dict.at("k39").as_int(), 39);
  EXPECT_EQ(dict.at(2).as_str().utf8(), "two");  // 2 == 2.0
  EXPECT_EQ(dict.at(1).as_str().utf8(), "one");
  EXPECT_EQ(dict.find(Value::boolean(true))->as_str().utf8(), "one");
  EXPECT_EQ(dict.find("nope"), nullptr);
  EXPECT_EQ(dict.find(3), nullptr);
  EXPECT_FALSE(dict.contains("k40"));
  EXPECT_TRUE(dict.contains(std::string("k0")));
  EXPECT_PICKLE_ERROR(dict.at(3), "KeyError", "3");
  // A bytes key b'name' is not the str 'name'.
  Value d2 = g.new_dict();
  d2.as_dict().set(g, g.new_bytes(std::string_view("name")), Value::integer(1));
  EXPECT_EQ(d2.as_dict().find("name"), nullptr);
}

// ---- conversions --------------------------------------------------------------------------------

TEST(Convert, IntegersAreRangeChecked) {
  Graph g;
  EXPECT_EQ(to<int>(Value::integer(-5)), -5);
  EXPECT_EQ(to<std::uint8_t>(Value::integer(255)), 255);
  EXPECT_EQ(to<long>(Value::boolean(true)), 1);
  EXPECT_PICKLE_ERROR(to<std::uint8_t>(Value::integer(256)), "OverflowError",
                      "Python int too large to convert to uint8");
  EXPECT_PICKLE_ERROR(to<std::uint32_t>(Value::integer(-1)), "OverflowError",
                      "Python int too small to convert to uint32");
  EXPECT_PICKLE_ERROR(to<std::int16_t>(Value::integer(-40000)), "OverflowError",
                      "Python int too small to convert to int16");
  EXPECT_PICKLE_ERROR(to<int>(g.new_str("1")), "TypeError", "expected int, got str");
  EXPECT_PICKLE_ERROR(to<int>(Value::floating(1.0)), "TypeError", "expected int, got float");

  const std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();
  Value big = from(g, max64);
  EXPECT_TRUE(big.is_int());
  EXPECT_FALSE(big.is_small_int());
  EXPECT_EQ(int_to_string(big), "18446744073709551615");
  EXPECT_EQ(to<std::uint64_t>(big), max64);
  EXPECT_PICKLE_ERROR(to<std::int64_t>(big), "OverflowError", "Python int too large to convert to int64");
  Value over = int_from_string(g, "18446744073709551616");
  EXPECT_PICKLE_ERROR(to<std::uint64_t>(over), "OverflowError", "Python int too large to convert to uint64");
  EXPECT_PICKLE_ERROR(to<std::uint64_t>(int_from_string(g, "-18446744073709551616")), "OverflowError",
                      "Python int too small to convert to uint64");
  EXPECT_EQ(to<std::int64_t>(from(g, std::numeric_limits<std::int64_t>::min())),
            std::numeric_limits<std::int64_t>::min());
  // from() of an int that fits int64 is an immediate, as pickles load it.
  EXPECT_TRUE(from(g, std::uint64_t{5}).is_small_int());
}

#if defined(__SIZEOF_INT128__)
TEST(Convert, Int128RoundTripsThroughBigInts) {
  Graph g;
  const __int128 min = static_cast<__int128>(static_cast<unsigned __int128>(1) << 127);
  const __int128 max = ~min;
  EXPECT_EQ(int_to_string(from(g, max)), "170141183460469231731687303715884105727");
  EXPECT_EQ(int_to_string(from(g, min)), "-170141183460469231731687303715884105728");
  EXPECT_TRUE(to<__int128>(from(g, min)) == min);
  EXPECT_TRUE(to<__int128>(from(g, max)) == max);
  EXPECT_TRUE(to<__int128>(Value::integer(-3)) == -3);
  EXPECT_PICKLE_ERROR(to<__int128>(int_from_string(g, "170141183460469231731687303715884105728")), "OverflowError",
                      "Python int too large to convert to int128");
  EXPECT_PICKLE_ERROR(to<__int128>(int_from_string(g, "-170141183460469231731687303715884105729")), "OverflowError",
                      "Python int too small to convert to int128");
  const unsigned __int128 umax = ~static_cast<unsigned __int128>(0);
  EXPECT_EQ(int_to_string(from(g, umax)), "340282366920938463463374607431768211455");
  EXPECT_TRUE(to<unsigned __int128>(from(g, umax)) == umax);
  EXPECT_PICKLE_ERROR(to<unsigned __int128>(Value::integer(-1)), "OverflowError",
                      "Python int too small to convert to uint128");
  EXPECT_PICKLE_ERROR(to<unsigned __int128>(int_from_string(g, "340282366920938463463374607431768211456")),
                      "OverflowError", "Python int too large to convert to uint128");
}
#endif

TEST(Convert, FloatsAcceptIntsAsFloatDoes) {
  Graph g;
  EXPECT_EQ(to<double>(Value::floating(1.5)), 1.5);
  EXPECT_EQ(to<double>(Value::integer(3)), 3.0);
  EXPECT_EQ(to<float>(Value::boolean(true)), 1.0f);
  EXPECT_PICKLE_ERROR(to<double>(g.new_str("1.0")), "TypeError", "expected float, got str");
  EXPECT_EQ(from(g, 2.5f).as_float(), 2.5);
}

TEST(Convert, BoolIsStrict) {
  EXPECT_TRUE(to<bool>(Value::boolean(true)));
  EXPECT_PICKLE_ERROR(to<bool>(Value::integer(1)), "TypeError", "expected bool, got int");
  Graph g;
  EXPECT_TRUE(from(g, false).is_bool());
}

TEST(Convert, StringsAndBytes) {
  Graph g;
  EXPECT_EQ(to<std::string>(g.new_str("h\xc3\xa9")), "h\xc3\xa9");
  std::string_view view = to<std::string_view>(g.new_str("abc"));
  EXPECT_EQ(view, "abc");
  EXPECT_EQ(from(g, "lit").as_str().utf8(), "lit");
  EXPECT_EQ(from(g, std::string("s")).as_str().utf8(), "s");
  const char* c = "c";
  EXPECT_EQ(from(g, c).as_str().utf8(), "c");
  EXPECT_PICKLE_ERROR(to<std::string>(g.new_bytes(std::string_view("b"))), "TypeError", "expected str, got bytes");

  std::vector<std::byte> bytes = to<std::vector<std::byte>>(g.new_bytearray(std::vector<std::uint8_t>{1, 2}));
  ASSERT_EQ(bytes.size(), 2u);
  EXPECT_EQ(bytes[1], std::byte{2});
  Value b = from(g, std::vector<std::byte>{std::byte{'x'}});
  EXPECT_TRUE(b.is_bytes());
  EXPECT_EQ(b.as_bytes().chars(), "x");
  EXPECT_PICKLE_ERROR(to<std::vector<std::byte>>(g.new_str("x")), "TypeError", "expected bytes or bytearray, got str");
}

TEST(Convert, Containers) {
  Graph g;
  std::map<std::string, std::vector<int>> m{{"a", {1, 2}}, {"b", {}}};
  Value v = from(g, m);
  EXPECT_EQ(repr(v), "{'a': [1, 2], 'b': []}");
  EXPECT_EQ((to<std::map<std::string, std::vector<int>>>(v)), m);
  EXPECT_EQ((to<std::unordered_map<std::string, std::vector<long>>>(v).at("a")), (std::vector<long>{1, 2}));

  std::tuple<int, std::string, std::optional<double>> t{1, "x", std::nullopt};
  Value tv = from(g, t);
  EXPECT_EQ(repr(tv), "(1, 'x', None)");
  EXPECT_EQ((to<std::tuple<int, std::string, std::optional<double>>>(tv)), t);
  EXPECT_PICKLE_ERROR((to<std::tuple<int, int>>(tv)), "ValueError", "expected a sequence of 2 items, got 3");
  EXPECT_PICKLE_ERROR((to<std::pair<int, int>>(Value::integer(1))), "TypeError", "expected tuple or list, got int");
  EXPECT_EQ((to<std::pair<int, std::string>>(from(g, std::pair(4, std::string("y"))))), std::pair(4, std::string("y")));

  std::array<double, 2> arr{0.5, 1.5};
  EXPECT_EQ(repr(from(g, arr)), "(0.5, 1.5)");
  EXPECT_EQ((to<std::array<double, 2>>(from(g, std::vector<double>{0.5, 1.5}))), arr);  // a list converts too

  std::set<int> s{3, 1};
  Value sv = from(g, s);
  EXPECT_EQ(repr(sv), "{1, 3}");
  EXPECT_EQ(to<std::set<int>>(sv), s);
  EXPECT_EQ(to<std::unordered_set<int>>(sv).size(), 2u);
  // Unhashable keys fail as in Python.
  std::map<std::vector<int>, int> bad{{{1}, 1}};
  EXPECT_PICKLE_ERROR(from(g, bad), "TypeError", "unhashable type: 'list'");
  // Keys equal in C++ after conversion: {1: 'a', 1.5: 'b'} to map<int, ...> fails on 1.5.
  Value d = g.new_dict();
  d.as_dict().set(g, Value::integer(1), g.new_str("a"));
  d.as_dict().set(g, Value::floating(1.5), g.new_str("b"));
  EXPECT_PICKLE_ERROR((to<std::map<int, std::string>>(d)), "TypeError", "expected int, got float");
  EXPECT_EQ((to<std::map<double, std::string>>(d)).size(), 2u);
}

TEST(Convert, OptionalAndVariant) {
  Graph g;
  EXPECT_EQ(to<std::optional<int>>(Value()), std::nullopt);
  EXPECT_EQ(to<std::optional<int>>(Value::integer(2)), 2);
  EXPECT_TRUE(from(g, std::optional<int>()).is_none());
  using IntOrStr = std::variant<std::int64_t, double, std::string>;
  EXPECT_EQ(std::get<std::int64_t>(to<IntOrStr>(Value::integer(3))), 3);
  EXPECT_EQ(std::get<double>(to<IntOrStr>(Value::floating(3))), 3.0);
  EXPECT_EQ(std::get<std::string>(to<IntOrStr>(g.new_str("x"))), "x");
  EXPECT_PICKLE_ERROR(to<IntOrStr>(g.new_list()), "TypeError", "no alternative of the variant converts a list");
  EXPECT_EQ(from(g, IntOrStr(std::string("q"))).as_str().utf8(), "q");
  EXPECT_EQ(try_to<int>(g.new_str("x")), std::nullopt);
  EXPECT_EQ(try_to<int>(Value::integer(9)), 9);
}

TEST(Convert, LoadedPickleToStandardContainers) {
  // pickle.dumps({'name': 'x', 'sizes': [1, 2], 'ok': True, 'w': None}, 2)
  Graph g = loads(
      text_golden::unhex("80027d71002858040000006e616d6571015801000000787102580500000073697a657371035d7104284b014b"
                         "026558020000006f6b71058858010000007771064e752e"));
  const Dict& d = g.root().as_dict();
  EXPECT_EQ(to<std::string>(d.at("name")), "x");
  EXPECT_EQ(to<std::vector<int>>(d.at("sizes")), (std::vector<int>{1, 2}));
  EXPECT_TRUE(to<bool>(d.at("ok")));
  EXPECT_EQ(to<std::optional<std::string>>(d.at("w")), std::nullopt);
  // The whole dict as a map of variants.
  using Any = std::variant<bool, std::string, std::vector<int>, std::optional<int>>;
  auto m = to<std::map<std::string, Any>>(g.root());
  EXPECT_EQ(std::get<std::vector<int>>(m.at("sizes")).size(), 2u);
  EXPECT_EQ(std::get<std::optional<int>>(m.at("w")), std::nullopt);
  // And back: the same bytes as CPython at protocol 2 for the same dict.
  Graph out;
  Value back = out.new_dict();
  back.as_dict().set(out, from(out, "name"), from(out, "x"));
  back.as_dict().set(out, from(out, "sizes"), from(out, std::vector<int>{1, 2}));
  back.as_dict().set(out, from(out, "ok"), from(out, true));
  back.as_dict().set(out, from(out, "w"), from(out, std::optional<int>()));
  EXPECT_EQ(text_golden::hex(dumps(back, {.protocol = 2})), text_golden::hex(dumps(g.root(), {.protocol = 2})));
}

// ---- CPython's results and errors (golden/convert_cases.tsv) ---------------------------------

struct GoldenCase {
  std::string kind, input, status, result;
};

std::vector<GoldenCase> golden_cases() {
  std::ifstream in(PICKLE_GOLDEN_DIR "/convert_cases.tsv", std::ios::binary);
  EXPECT_TRUE(in) << "missing golden/convert_cases.tsv";
  std::vector<GoldenCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      f.push_back(line.substr(start, tab - start));
    }
    f.push_back(line.substr(start));
    EXPECT_EQ(f.size(), 4u) << line;
    if (f.size() == 4) cases.push_back({f[0], f[1], f[2], f[3]});
  }
  return cases;
}

/// "ok" and the result, or the error class and message.
template <class F>
std::pair<std::string, std::string> outcome(F&& f) {
  try {
    return {"ok", f()};
  } catch (const Error& e) {
    return {std::string(e.python_type_name()), e.message()};
  }
}

TEST(Convert, AgreesWithCPythonOnCodecsIntTextFloatsAndKeyErrors) {
  std::size_t checked = 0;
  for (const GoldenCase& c : golden_cases()) {
    Graph g;
    std::pair<std::string, std::string> got;
    const bool hex_input = c.kind != "int_to_float" && c.kind != "int_to_string" && c.kind != "point_pickle";
    std::string in = hex_input ? text_golden::unhex(c.input) : c.input;
    if (c.kind == "str_to_utf8") {
      got = outcome([&] { return text_golden::hex(to<std::string>(g.new_str(in))); });
    } else if (c.kind == "utf8_to_str") {
      got = outcome([&] { return text_golden::hex(from(g, in).as_str().utf8()); });
    } else if (c.kind == "int_from_string") {
      got = outcome([&] { return int_to_string(int_from_string(g, in), 0); });
    } else if (c.kind == "int_to_float") {
      got = outcome([&] { return repr(Value::floating(to<double>(int_from_string(g, c.input)))); });
    } else if (c.kind == "int_to_string") {
      // The int given in hex, so that building it is not limited.
      Value i = g.new_int_from_bytes({});
      std::string le;
      for (std::size_t k = c.input.size(); k > 0; k -= std::min<std::size_t>(k, 2)) {
        std::size_t n = std::min<std::size_t>(k, 2);
        le.push_back(static_cast<char>(std::stoi(c.input.substr(k - n, n), nullptr, 16)));
      }
      le.push_back('\0');  // non-negative
      i = g.new_int_from_bytes(std::span(reinterpret_cast<const std::uint8_t*>(le.data()), le.size()));
      got = outcome([&] { return int_to_string(i); });
    } else if (c.kind == "point_pickle") {
      continue;  // copyreg_test.cpp
    } else if (c.kind == "key_error") {
      got = outcome([&]() -> std::string {
        Value d = g.new_dict();
        (void)d.as_dict().at(std::string_view(in));
        return "found";
      });
      if (got.first == "KeyError") got.first = "ok";  // the golden file holds str(KeyError(k))
      // The Value overload says the same.
      Value d = g.new_dict();
      Error e = error_of([&] { d.as_dict().at(g.new_str(in)); });
      EXPECT_EQ(e.message(), c.result) << "Dict::at(Value) on " << c.input;
    } else {
      ADD_FAILURE() << "unknown kind " << c.kind;
      continue;
    }
    EXPECT_EQ(got.first, c.status) << c.kind << " " << c.input;
    EXPECT_EQ(got.second, c.result) << c.kind << " " << c.input;
    ++checked;
  }
  EXPECT_GT(checked, 60u);
}

}  // namespace
}  // namespace pickle
