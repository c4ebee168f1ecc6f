// pickle/python_version.h: which CPython release the library behaves as.
//
//   pickle::UnpicklerOptions o;
//   o.python = pickle::parse_python_version("3.8");   // fail as CPython 3.8 does
//
// CPython's pickle module changes a little from release to release: error messages,
// the order of checks on malformed input, the str hash that orders sets. Every option
// struct carries a PythonVersion (default 3.11); doc/design.md lists each difference
// with the CPython change it comes from. Supported: 3.8 to 3.13.
#pragma once

#include <compare>
#include <string>
#include <string_view>

namespace pickle {

struct PythonVersion {
  int major = 3;
  int minor = 11;
  friend constexpr auto operator<=>(const PythonVersion&, const PythonVersion&) = default;
};

inline constexpr PythonVersion kOldestPythonVersion{3, 8};
inline constexpr PythonVersion kNewestPythonVersion{3, 13};

/// "3.8" .. "3.13" (a third component, "3.13.0", is allowed and ignored). Anything else
/// throws ValueError("unsupported Python version ...").
PythonVersion parse_python_version(std::string_view text);
/// "3.11".
std::string to_string(PythonVersion v);

}  // namespace pickle
