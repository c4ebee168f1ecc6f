#include "pickle/python_version.h"

#include <charconv>

#include "pickle/error.h"

namespace pickle {

namespace {

bool parse_number(std::string_view& text, int& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
  return true;
}

}  // namespace

PythonVersion parse_python_version(std::string_view text) {
  std::string_view rest = text;
  PythonVersion v;
  int patch = 0;
  bool ok = parse_number(rest, v.major) && rest.starts_with('.');
  if (ok) {
    rest.remove_prefix(1);
    ok = parse_number(rest, v.minor);
  }
  if (ok && rest.starts_with('.')) {
    rest.remove_prefix(1);
    ok = parse_number(rest, patch);
  }
  if (!ok || !rest.empty() || v < kOldestPythonVersion || v > kNewestPythonVersion) {
    throw Error(ErrorType::ValueError, "unsupported Python version '" + std::string(text) +
                                           "' (supported: " + to_string(kOldestPythonVersion) + " to " +
                                           to_string(kNewestPythonVersion) + ")");
  }
  return v;
}

std::string to_string(PythonVersion v) { return std::to_string(v.major) + "." + std::to_string(v.minor); }

}  // namespace pickle
