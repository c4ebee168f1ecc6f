// CPython's set iteration order, reproduced so that sets pickle in the order CPython's
// pickler would iterate them (the hashes come from pyobject.h's cpython_hash).
//
// A CPython set is an open-addressing table; iteration walks the table, so the order
// depends on the members' hashes and on the history of insertions and resizes. A set
// loaded from a pickle (or built in C++) is the result of adding its members one by one
// in the Set's insertion order, so replaying those insertions on a model of CPython's
// table gives CPython's iteration order, provided every member's hash is known. Hashes of
// numbers, str, bytes, tuples and frozensets of those are (str and bytes depend on the
// process's PYTHONHASHSEED); None, classes and instances hash by address, and a set
// containing one falls back to insertion order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "pickle/value.h"
#include "pyobject.h"

namespace pickle::detail {

/// The order (indexes into `members`) in which CPython iterates a set built by adding
/// `members` in order, or nullopt when a member's hash is unknown.
std::optional<std::vector<std::uint32_t>> cpython_set_order(std::span<const Value> members, CPythonHashes& hashes);

/// The members of a set or frozenset in CPython's iteration order where it can be
/// reproduced, else in insertion order. An operation that orders several sets passes
/// one CPythonHashes to all.
std::vector<Value> set_iteration_order(const Set& s, CPythonHashes& hashes);
inline std::vector<Value> set_iteration_order(const Set& s, std::uint32_t seed) {
  CPythonHashes hashes(seed);
  return set_iteration_order(s, hashes);
}

}  // namespace pickle::detail
