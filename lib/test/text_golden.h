// Readers for the tab-separated golden files under lib/test/golden/ (each written by the
// gen_*.py script of the same stem, whose docstring describes its format), a checker that
// runs a function over every case of one kind of text_cases.tsv and compares results or
// errors with CPython's, and error_of() for tests that expect a pickle::Error.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/error.h"

namespace text_golden {

struct Case {
  int line = 0;
  std::vector<std::string> fields;  // after the function name
};

inline std::string unhex(std::string_view h) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    ADD_FAILURE() << "bad hex digit in golden file";
    return 0;
  };
  std::string out;
  out.reserve(h.size() / 2);
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(h[i]) * 16 + nibble(h[i + 1])));
  }
  return out;
}

inline std::string hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

/// A short printable rendering of bytes for failure messages.
inline std::string show(std::string_view s, std::size_t max = 160) {
  std::string out;
  for (unsigned char c : s.substr(0, max)) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

/// One line of a golden file: its 1-based number and its tab-separated fields (a trailing
/// tab gives an empty last field).
struct Row {
  int line = 0;
  std::vector<std::string> fields;
};

/// Every line of PICKLE_GOLDEN_DIR/<file> but blank lines and '#' comments.
inline std::vector<Row> read_rows(const std::string& file) {
  std::vector<Row> rows;
  const std::string path = std::string(PICKLE_GOLDEN_DIR) + "/" + file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return rows;
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    Row row{number, {}};
    std::size_t start = 0;
    for (;;) {
      const std::size_t tab = line.find('\t', start);
      row.fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

/// What a `name \t kind \t data` golden file expects of one case (data may hold tabs).
struct Expectation {
  std::string kind;
  std::string data;
};

inline std::map<std::string, Expectation> read_expectations(const std::string& file) {
  std::map<std::string, Expectation> out;
  for (Row& row : read_rows(file)) {
    if (row.fields.size() < 3) {
      ADD_FAILURE() << file << ":" << row.line << ": expected name, kind and data";
      continue;
    }
    std::string data = row.fields[2];
    for (std::size_t i = 3; i < row.fields.size(); ++i) data += "\t" + row.fields[i];
    out[row.fields[0]] = {row.fields[1], std::move(data)};
  }
  return out;
}

inline const std::map<std::string, std::vector<Case>>& all_cases() {
  static const std::map<std::string, std::vector<Case>> cases = [] {
    std::map<std::string, std::vector<Case>> m;
    for (Row& row : read_rows("text_cases.tsv")) {
      Case c;
      c.line = row.line;
      c.fields.assign(row.fields.begin() + 1, row.fields.end());
      m[row.fields[0]].push_back(std::move(c));
    }
    return m;
  }();
  return cases;
}

inline const std::vector<Case>& cases(const std::string& function) {
  static const std::vector<Case> none;
  const auto& m = all_cases();
  const auto it = m.find(function);
  return it == m.end() ? none : it->second;
}

/// Runs `fn` on the arguments (the first nargs fields) of every case of `function` and
/// compares with the expectation that follows: "ok" and outputs, "err" Class hex(message),
/// or "unsupported" (NotImplementedError). Returns the number of cases that matched.
inline std::size_t check(const std::string& function, std::size_t nargs,
                         const std::function<std::vector<std::string>(const std::vector<std::string>&)>& fn) {
  const auto& all = cases(function);
  EXPECT_FALSE(all.empty()) << "no golden cases for " << function;
  std::size_t passed = 0, reported = 0;
  for (const Case& c : all) {
    if (c.fields.size() <= nargs) {
      ADD_FAILURE() << "line " << c.line << ": malformed case";
      continue;
    }
    const std::vector<std::string> args(c.fields.begin(), c.fields.begin() + nargs);
    const std::vector<std::string> expect(c.fields.begin() + nargs, c.fields.end());
    std::string problem;
    try {
      const std::vector<std::string> got = fn(args);
      if (expect[0] != "ok") {
        problem = "expected " + (expect.size() > 1 ? expect[1] : expect[0]) + " but got a result";
        if (expect.size() > 2) problem += " (expected message: " + show(unhex(expect[2])) + ")";
        for (const auto& g : got) problem += "\n  got: " + show(g);
      } else if (std::vector<std::string>(expect.begin() + 1, expect.end()) != got) {
        problem = "wrong result";
        for (std::size_t i = 1; i < expect.size(); ++i) problem += "\n  expected: " + show(expect[i]);
        for (const auto& g : got) problem += "\n  got:      " + show(g);
      }
    } catch (const pickle::Error& e) {
      if (expect[0] == "unsupported") {
        if (e.type() != pickle::ErrorType::NotImplementedError)
          problem = "expected NotImplementedError, got " + std::string(e.what());
      } else if (expect[0] != "err") {
        problem = "unexpected error " + show(e.what());
      } else if (std::string(e.python_type_name()) != expect[1] || e.message() != unhex(expect[2])) {
        problem = "wrong error\n  expected: " + expect[1] + ": " + show(unhex(expect[2]), 400) +
                  "\n  got:      " + std::string(e.python_type_name()) + ": " + show(e.message(), 400);
      }
    }
    if (problem.empty()) {
      ++passed;
    } else if (++reported <= 25) {
      std::string shown;
      for (const auto& a : args) shown += " [" + show(a, 80) + "]";
      ADD_FAILURE() << function << " line " << c.line << shown << ": " << problem;
    }
  }
  EXPECT_EQ(passed, all.size()) << function << ": " << (all.size() - passed) << " of " << all.size()
                                << " golden cases failed";
  std::printf("[ golden   ] %s: %zu/%zu cases match CPython\n", function.c_str(), passed, all.size());
  return passed;
}

/// The pickle::Error that f() throws; a test failure when it throws none.
template <class F>
pickle::Error error_of(F&& f) {
  try {
    f();
  } catch (const pickle::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error raised";
  return pickle::Error(pickle::ErrorType::RuntimeError, "none");
}

/// A case of typed_view_cases.tsv (golden/gen_typed_view_cases.py): a pickle of a standard
/// library or numpy value and what CPython reads from it.
struct TypedViewCase {
  int line = 0;
  std::string name, type, encoding, protocol, input, buffers, expected;
};

inline const std::vector<TypedViewCase>& typed_view_cases() {
  static const std::vector<TypedViewCase> all = [] {
    std::vector<TypedViewCase> out;
    for (const Row& row : read_rows("typed_view_cases.tsv")) {
      const auto& f = row.fields;
      if (f.size() != 7) {
        ADD_FAILURE() << "typed_view_cases.tsv:" << row.line << ": expected 7 fields";
        continue;
      }
      out.push_back({row.line, f[0], f[1], f[2], f[3], unhex(f[4]), f[5], f[6]});
    }
    return out;
  }();
  return all;
}

}  // namespace text_golden
