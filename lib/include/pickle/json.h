// pickle/json.h: a loaded value as JSON, for inspection with tools such as jq.
//
//   pickle::Graph g = pickle::loads(bytes);
//   std::string text = pickle::to_json(g.root());   // {"weights": [1.5, 2], ...}
//
// Plain JSON where JSON has the type (None, bools, strs, lists, ints up to 2**53, finite
// floats, dicts whose keys are strs); everything else, and each container or object
// reached more than once, as an object with a "$"-tagged member ({"$tuple": [...]},
// {"$ref": 1}, ...). The mapping, with jq recipes: doc/json.md.
#pragma once

#include <string>

#include "pickle/value.h"

namespace pickle {

/// `v` as one line of JSON (no trailing newline). Deep nesting costs no C++ recursion.
/// An int of more than 4300 decimal digits is ValueError, as str() of it is in CPython.
std::string to_json(Value v);

}  // namespace pickle
