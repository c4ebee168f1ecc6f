// The Python object protocol over the value graph, in one place: hash() in its two modes
// (the library's dict keys; CPython's own, for set order), ==, iteration in CPython's
// order, and what CPython would say of a value's class, callability and truth. The public
// faces are pickle::py_hash, py_equal, type_name and kind_type_name (pickle/value.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pickle/value.h"

namespace pickle::detail {

// Hashing and comparing nested tuples recurses; CPython does too (without a guard). A
// bound keeps hostile keys from exhausting the C++ stack.
inline constexpr int kMaxKeyDepth = 2000;
/// RecursionError for a key nested deeper than kMaxKeyDepth.
[[noreturn]] void throw_key_depth();

/// The dict-key hash of a str (pickle::py_hash's), from its UTF-8, as Dict::find uses it
/// for a key given as C++ text. Keyed per process, as CPython's str hash is.
std::uint64_t hash_str(std::string_view utf8) noexcept;

/// hash() of an int that fits in int64, inline for those below the modulus 2**61 - 1 in
/// magnitude: such an int is its own hash (-1 is -2).
std::uint64_t hash_large_small_int(std::int64_t x) noexcept;
inline std::uint64_t hash_small_int(std::int64_t x) noexcept {
  constexpr std::int64_t kModulus = (std::int64_t{1} << 61) - 1;
  if (x > -kModulus && x < kModulus) [[likely]]
    return static_cast<std::uint64_t>(x == -1 ? -2 : x);
  return hash_large_small_int(x);
}

/// The odd multiplier that places hashes in the slots of dict and set indexes
/// (multiply-shift: the top bits of hash * multiplier), drawn once per process, so that no
/// input can aim many keys at one run of slots.
std::uint64_t slot_multiplier() noexcept;

/// A keyed hash of text that extends: name_hash(a + b) == name_hash_extend(name_hash(a), b),
/// so that the name of owner.attr hashes in the time of ".attr" (a polynomial modulo a
/// prime, at a point drawn once per process: no input can be built to collide in it).
inline constexpr std::uint64_t kNamePrime = (std::uint64_t{1} << 61) - 1;
std::uint64_t name_hash_extend(std::uint64_t h, std::string_view more) noexcept;
inline std::uint64_t name_hash(std::string_view text) noexcept { return name_hash_extend(0, text); }

/// CPython's hashes of the str, bytes and frozenset nodes met so far, kept as CPython
/// keeps them in the objects themselves (tuples' are recomputed, as in CPython), so that
/// ordering sets whose members share a large str or frozenset hashes each one once. For
/// one operation on a graph (a dump, a repr): nodes must not change or go meanwhile.
class CPythonHashes {
 public:
  explicit CPythonHashes(std::uint32_t seed, PythonVersion python = {}) : seed_(seed), python_(python) {}
  std::uint32_t seed() const noexcept { return seed_; }
  PythonVersion python() const noexcept { return python_; }
  std::unordered_map<const Node*, std::uint64_t>& known() noexcept { return known_; }

 private:
  std::uint32_t seed_;
  PythonVersion python_;
  std::unordered_map<const Node*, std::uint64_t> known_;
};

/// hash(v) in a CPython hashes.python() process started with PYTHONHASHSEED=hashes.seed() (0: no
/// randomization), or nullopt when it depends on object addresses or would take more than
/// 2**20 steps (a graph of shared tuples, whose paths CPython walks one by one).
std::optional<std::int64_t> cpython_hash(Value v, CPythonHashes& hashes);
inline std::optional<std::int64_t> cpython_hash(Value v, std::uint32_t seed) {
  CPythonHashes hashes(seed);
  return cpython_hash(v, hashes);
}

/// iter(v) as a list, for what the library can see into: lists, tuples, dicts (keys), sets
/// in CPython's order (hash seed 0), bytes as ints, str as one-code-point str values made
/// in `g`, iterators (dict items as 2-tuples made in `g`). nullopt for anything else
/// (numbers, None, instances, globals, natives).
std::optional<std::vector<Value>> iterate(Graph& g, Value v);

/// Calls f on each item of iter(v) as iterate() lists them, a list's or tuple's in place
/// (the common case, without a copy). False, without calling f, where iterate() gives up.
template <class F>
bool for_each_item(Graph& g, Value v, F&& f) {
  if (v.is_list() || v.is_tuple()) {
    for (Value item : v.is_list() ? v.as_list().items() : v.as_tuple().items()) f(item);
    return true;
  }
  const std::optional<std::vector<Value>> items = iterate(g, v);
  if (!items) return false;
  for (Value item : *items) f(item);
  return true;
}

/// The Python type name of v when the library knows it for certain; empty for what may be
/// anything (an inert instance, a native, a persistent id, a global it cannot identify).
std::string known_type_name(Value v);
/// The type of an argument as "must be str, not ..." messages name it (None is "None"), or
/// "" when unknown.
std::string argument_type_name(Value v);

/// True when a value is callable as far as the library can tell.
bool is_callable_value(Value v);
/// True when a value is a class as far as the library can tell (PyType_Check).
bool is_class_value(Value v);
/// The class of a value (obj.__class__), or None when unknown.
Value class_of(Value v, Graph& scratch);
/// Python truthiness (`if dict:` in copyreg._reduce_ex, `if deep and args` in copy).
bool truthy(Value v);

}  // namespace pickle::detail
