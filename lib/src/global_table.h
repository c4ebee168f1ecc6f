// A graph's globals: one node per module.qualname, so that a global named twice is one
// object, as in CPython. A name reached as getattr(owner, attr) is found by its hash,
// extended from the owner's by ".attr", and spelled out after the owner's name, in the
// owner's storage when the owner's name is the last one written there: a chain of getattr
// calls n deep costs O(n) bytes and time, not O(n**2), however long its names grow.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "pickle/detail/arena.h"
#include "pickle/value.h"

namespace pickle::detail {

/// Arena storage that names are spelled out in, grown in place at its end.
struct NameBuffer {
  std::size_t used;
  std::size_t capacity;
  char* chars;
};

class GlobalTable {
 public:
  /// The global module.qualname, made in `arena` the first time it is named.
  Global* global(Arena& arena, std::string_view module, std::string_view qualname);
  /// The global owner.attr (owner's module; the qualname owner.qualname + "." + attr).
  Global* attribute(Arena& arena, const Global& owner, std::string_view attr);

 private:
  /// The slot holding the global whose name hashes to `hash` and satisfies `same`, or the
  /// empty slot where it belongs. Open addressing, linear probing, at most half full.
  template <class Same>
  Global** find(std::uint64_t hash, Same&& same);
  Global* add(Arena& arena, Global** slot, std::string_view module, std::string_view qualname,
              std::uint64_t module_hash, std::uint64_t qualname_hash);
  void grow_if_needed();

  std::vector<Global*> slots_;
  std::size_t count_ = 0;
};

}  // namespace pickle::detail
