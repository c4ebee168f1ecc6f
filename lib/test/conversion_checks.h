// Checks of the typed conversions (pickle::to<T>) shared by the tests of the typed views:
// the error a conversion must raise, and the outcomes of conversions of arbitrary objects,
// which must be a value or a pickle::Error, nothing else (and no crash, under the
// sanitizers).
#pragma once

#include <gtest/gtest.h>

#include "pickle/convert.h"
#include "pickle/error.h"
#include "pickle/value.h"

/// The class of the error pickle::to<T>(v) raises; a test failure when it raises none.
template <class T>
pickle::ErrorType conversion_error(pickle::Value v) {
  try {
    (void)pickle::to<T>(v);
  } catch (const pickle::Error& e) {
    return e.type();
  }
  ADD_FAILURE() << "no error for " << pickle::repr(v);
  return pickle::ErrorType::RuntimeError;
}

/// Called on a Value, tries pickle::to<T>(v) for every T and counts the outcomes; any
/// exception other than pickle::Error escapes and fails the test.
template <class... T>
struct ConversionOutcomes {
  int values = 0;
  int errors = 0;

  void operator()(pickle::Value v) { (attempt<T>(v), ...); }

 private:
  template <class U>
  void attempt(pickle::Value v) {
    try {
      (void)pickle::to<U>(v);
      ++values;
    } catch (const pickle::Error&) {
      ++errors;
    }
  }
};
