// Pickling agrees byte for byte with CPython 3.11 on every case of
// golden/pickle_cases.tsv, written by golden/gen_pickle_cases.py (whose docstring
// describes the format): load the input pickle P with pickle::loads, write it again with
// pickle::dumps(root, {.protocol = q}), compare with CPython's pickle.dumps(pickle.loads(P), q)
// -- or with CPython's exception class and message when its dumps raised.
//
// One test per category (int, str, framing, ...), so that ctest names the failing areas.
// Cases whose CPython output depends on what a pickle does not carry (class code, set
// order of address-hashed members, calls the library keeps inert) are marked in the file;
// they run too, but are only counted.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/error.h"
#include "pickle/pickler.h"
#include "pickle/unpickler.h"
#include "pickle_golden.h"
#include "text_golden.h"

namespace {

struct Case {
  int line = 0;
  std::string name;       // category.value.pN
  std::string category;   // text before the first dot
  std::string input;      // P
  int protocol = 0;       // q
  bool ok = true;         // CPython's dumps succeeded
  std::string expected;   // bytes, or "Class: message"
  std::string exclusion;  // "-" or "category: reason"
};

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = [] {
    std::vector<Case> v;
    for (const text_golden::Row& row : text_golden::read_rows("pickle_cases.tsv")) {
      const int number = row.line;
      const std::vector<std::string>& f = row.fields;
      Case c;
      c.line = number;
      if (f.size() != 6 || (f[3] != "ok" && f[3] != "err") || f[2].size() != 1 || f[2][0] < '0' || f[2][0] > '5' ||
          !pickle_golden::decode_field(f[1], c.input)) {
        ADD_FAILURE() << "pickle_cases.tsv line " << number << ": malformed";
        continue;
      }
      c.name = std::string(f[0]);
      c.category = c.name.substr(0, c.name.find('.'));
      c.protocol = f[2][0] - '0';
      c.ok = f[3] == "ok";
      if (c.ok) {
        if (!pickle_golden::decode_field(f[4], c.expected)) {
          ADD_FAILURE() << "pickle_cases.tsv line " << number << ": malformed expectation";
          continue;
        }
      } else {
        c.expected = text_golden::unhex(f[4]);
      }
      c.exclusion = std::string(f[5]);
      v.push_back(std::move(c));
    }
    return v;
  }();
  return cases;
}

// What went wrong with one case, or "" when the library agrees with CPython.
std::string run_case(const Case& c) {
  std::string got;
  try {
    pickle::Graph g = pickle::loads(c.input);
    try {
      pickle::PicklerOptions options;
      options.protocol = c.protocol;
      got = pickle::dumps(g.root(), options);
    } catch (const pickle::Error& e) {
      // A bare class name (RecursionError) means CPython's message is not recorded.
      const bool class_only = !c.ok && c.expected.find(": ") == std::string::npos;
      const std::string err = std::string(e.python_type_name()) + (class_only ? "" : ": " + e.message());
      if (!c.ok && err == c.expected) return "";
      return (c.ok ? "unexpected error "
                   : "wrong error\n    expected: " + text_golden::show(c.expected, 300) + "\n    got:      ") +
             text_golden::show(err, 300);
    }
  } catch (const pickle::Error& e) {
    return "the input does not load: " + std::string(e.python_type_name()) + ": " + e.message();
  }
  if (!c.ok) return "expected " + text_golden::show(c.expected, 300) + ", got " + std::to_string(got.size()) + " bytes";
  return pickle_golden::compare_bytes(c.expected, got);
}

const std::vector<std::string>& categories() {
  static const std::vector<std::string> names = {"int",       "bool",      "float",  "str",     "bytes",
                                                 "bytearray", "container", "shared", "framing", "global",
                                                 "object",    "stdlib",    "set"};
  return names;
}

class PicklerGolden : public testing::TestWithParam<std::string> {};

TEST_P(PicklerGolden, MatchesCPython) {
  const std::string& category = GetParam();
  std::size_t asserted = 0, passed = 0, reported = 0;
  std::map<std::string, std::pair<std::size_t, std::size_t>> excluded;  // reason class -> (match, total)
  std::vector<std::string> failing;
  for (const Case& c : all_cases()) {
    if (c.category != category) continue;
    const std::string problem = run_case(c);
    if (c.exclusion != "-") {
      auto& counts = excluded[c.exclusion.substr(0, c.exclusion.find(':'))];
      counts.first += problem.empty();
      ++counts.second;
      continue;
    }
    ++asserted;
    if (problem.empty()) {
      ++passed;
      continue;
    }
    failing.push_back(c.name + "@q" + std::to_string(c.protocol));
    if (++reported <= 40) {
      ADD_FAILURE() << c.name << " q=" << c.protocol << " (pickle_cases.tsv line " << c.line << "): " << problem;
    }
  }
  EXPECT_GT(asserted, 0u) << "no golden cases for category " << category;
  EXPECT_EQ(passed, asserted) << category << ": " << (asserted - passed) << " of " << asserted
                              << " cases differ from CPython";
  if (!failing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < failing.size() && i < 300; ++i) list += " " + failing[i];
    if (failing.size() > 300) list += " ...";
    ADD_FAILURE() << "failing cases:" << list;
  }
  std::printf("[ golden   ] %s: %zu/%zu cases match CPython\n", category.c_str(), passed, asserted);
  for (const auto& [reason, counts] : excluded) {
    std::printf("[ golden   ] %s: excluded (%s): %zu/%zu match anyway\n", category.c_str(), reason.c_str(),
                counts.first, counts.second);
  }
}

INSTANTIATE_TEST_SUITE_P(Category, PicklerGolden, testing::ValuesIn(categories()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(PicklerGoldenFile, EveryCategoryIsTested) {
  const auto& cases = all_cases();
  ASSERT_GT(cases.size(), 10000u) << "golden file missing or short";
  std::set<std::string> known(categories().begin(), categories().end());
  std::set<std::string> unknown;
  for (const Case& c : cases) {
    if (!known.count(c.category)) unknown.insert(c.category);
  }
  EXPECT_TRUE(unknown.empty()) << "categories in pickle_cases.tsv without a test: " << *unknown.begin();
}

}  // namespace
