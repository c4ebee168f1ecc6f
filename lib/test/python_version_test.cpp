// PythonVersion: parsing and ordering. What each version changes is checked against the
// CPython of that version by the conformance suite (ctest conformance_python_3_*).
#include <gtest/gtest.h>

#include "pickle/error.h"
#include "pickle/pickle.h"
#include "pickle/python_version.h"

namespace pickle {
namespace {

TEST(PythonVersion, DefaultsTo311) {
  EXPECT_EQ(PythonVersion{}, (PythonVersion{3, 11}));
  EXPECT_EQ(to_string(PythonVersion{}), "3.11");
}

TEST(PythonVersion, ParsesMajorMinorAndIgnoresAMicroVersion) {
  EXPECT_EQ(parse_python_version("3.8"), (PythonVersion{3, 8}));
  EXPECT_EQ(parse_python_version("3.13"), (PythonVersion{3, 13}));
  EXPECT_EQ(parse_python_version("3.10.13"), (PythonVersion{3, 10}));
}

TEST(PythonVersion, OrdersByMinorNumberNotText) {
  EXPECT_LT((PythonVersion{3, 9}), (PythonVersion{3, 10}));
  EXPECT_LT(parse_python_version("3.9"), parse_python_version("3.13"));
}

TEST(PythonVersion, RefusesWhatItDoesNotModel) {
  for (const char* text : {"", "3", "3.", "3.7", "3.14", "2.7", "4.0", "3.11.", "3.11x", " 3.11", "3.11.1.1"}) {
    try {
      parse_python_version(text);
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.type(), ErrorType::ValueError);
      EXPECT_EQ(e.message(), "unsupported Python version '" + std::string(text) + "' (supported: 3.8 to 3.13)");
    }
  }
}

// Each release's Unicode database decides which code points repr() escapes. U+1E030
// (assigned in Unicode 15.0) under each CPython:
//   pythonX.Y -c "print(ascii(repr('\U0001e030')))"
// 3.8-3.11: "'\\U0001e030'"; 3.12, 3.13: "'\U0001e030'" (printed as is).
TEST(PythonVersion, StrReprFollowsThatReleasesUnicodeDatabase) {
  Graph g;
  Value s = g.new_str("\U0001e030");
  for (const char* version : {"3.8", "3.11"}) {
    EXPECT_EQ(repr(s, {.python = parse_python_version(version)}), "'\\U0001e030'") << version;
  }
  for (const char* version : {"3.12", "3.13"}) {
    EXPECT_EQ(repr(s, {.python = parse_python_version(version)}), "'\U0001e030'") << version;
  }
}

}  // namespace
}  // namespace pickle
