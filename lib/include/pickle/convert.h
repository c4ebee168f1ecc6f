// pickle/convert.h: typed conversions between Python values and C++ types.
//
//   pickle::Graph g = pickle::loads(bytes);       // {'name': 'x', 'sizes': [1, 2]}
//   auto m = pickle::to<std::map<std::string, std::variant<std::string, std::vector<int>>>>(g.root());
//   pickle::Value v = pickle::from(g, std::vector<double>{1.5, 2.5});   // [1.5, 2.5]
//
// Customization point: specialize pickle::converter<T> with either or both of
//   static T from_python(pickle::Value v);                      // used by to<T>
//   static pickle::Value to_python(pickle::Graph& g, const T&); // used by from()
// as {fmt}'s formatter<T> or nlohmann::json's adl_serializer<T>. A failed conversion
// throws pickle::Error (TypeError for a wrong type, OverflowError for an int out of
// range, ValueError for a wrong length).
#pragma once

#include "pickle/value.h"

namespace pickle {

/// Specialize for your own types (see above).
template <class T, class Enable = void>
struct converter;

/// The C++ value of type T that `v` holds. Throws pickle::Error.
template <class T>
T to(Value v) {
  return converter<T>::from_python(v);
}

/// A Python value in `g` for the C++ value `x`.
template <class T>
Value from(Graph& g, const T& x) {
  return converter<T>::to_python(g, x);
}

}  // namespace pickle
