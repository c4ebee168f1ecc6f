#include "global_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

#include "globals.h"
#include "pyobject.h"
#include "value_internal.h"

namespace pickle::detail {

namespace {

// Both halves are keyed hashes (name_hash), so the sum needs no further mixing.
std::uint64_t name_key(std::uint64_t module_hash, std::uint64_t qualname_hash) noexcept {
  return module_hash * 0x9E3779B97F4A7C15ULL + qualname_hash;
}

}  // namespace

template <class Same>
Global** GlobalTable::find(std::uint64_t hash, Same&& same) {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Global* g = slots_[i];
    if (!g || (name_key(g->module_hash_, g->qualname_hash_) == hash && same(*g))) return &slots_[i];
  }
}

void GlobalTable::grow_if_needed() {
  if (2 * (count_ + 1) <= slots_.size()) return;
  std::vector<Global*> old(std::max<std::size_t>(64, 2 * slots_.size()), nullptr);
  old.swap(slots_);
  for (Global* g : old) {
    if (g) *find(name_key(g->module_hash_, g->qualname_hash_), [](const Global&) { return false; }) = g;
  }
}

Global* GlobalTable::global(Arena& arena, std::string_view module, std::string_view qualname) try {
  grow_if_needed();
  const std::uint64_t module_hash = name_hash(module), qualname_hash = name_hash(qualname);
  Global** slot = find(name_key(module_hash, qualname_hash),
                       [&](const Global& g) { return g.qualname_ == qualname && g.module_ == module; });
  if (*slot) return *slot;
  char* chars = static_cast<char*>(arena.allocate(module.size() + qualname.size(), 1));
  if (!module.empty()) std::memcpy(chars, module.data(), module.size());
  if (!qualname.empty()) std::memcpy(chars + module.size(), qualname.data(), qualname.size());
  return add(arena, slot, {chars, module.size()}, {chars + module.size(), qualname.size()}, module_hash, qualname_hash);
} catch (...) {
  rethrow_allocation_failure();
}

Global* GlobalTable::attribute(Arena& arena, const Global& owner, std::string_view attr) try {
  grow_if_needed();
  const std::size_t base = owner.qualname_.size(), length = base + 1 + attr.size();
  const std::uint64_t qualname_hash = name_hash_extend(name_hash_extend(owner.qualname_hash_, "."), attr);
  Global** slot = find(name_key(owner.module_hash_, qualname_hash), [&](const Global& g) {
    if (g.qualname_.size() != length || g.qualname_.substr(base + 1) != attr) return false;
    if (g.owner_ == &owner) return true;
    // Named in full before: compare the rest once, then remember the owner.
    if (g.owner_ || g.module_ != owner.module_ || g.qualname_[base] != '.' || !g.qualname_.starts_with(owner.qualname_))
      return false;
    const_cast<Global&>(g).owner_ = &owner;
    return true;
  });
  if (*slot) return *slot;

  // Spell the name out after the owner's when that is the last one in its buffer and
  // there is room, else in a new buffer of twice the length.
  NameBuffer* buffer = owner.name_buffer_;
  if (!buffer || owner.qualname_.data() != buffer->chars || buffer->used != base ||
      buffer->capacity - base <= attr.size()) {
    const std::size_t capacity = std::max<std::size_t>(2 * length, 64);
    buffer = new (arena.allocate(sizeof(NameBuffer), alignof(NameBuffer))) NameBuffer{0, capacity, nullptr};
    buffer->chars = static_cast<char*>(arena.allocate(capacity, 1));
    if (base) std::memcpy(buffer->chars, owner.qualname_.data(), base);
  }
  buffer->chars[base] = '.';
  if (!attr.empty()) std::memcpy(buffer->chars + base + 1, attr.data(), attr.size());
  buffer->used = length;
  Global* g = add(arena, slot, owner.module_, {buffer->chars, length}, owner.module_hash_, qualname_hash);
  g->name_buffer_ = buffer;
  g->owner_ = &owner;
  return g;
} catch (...) {
  rethrow_allocation_failure();
}

Global* GlobalTable::add(Arena& arena, Global** slot, std::string_view module, std::string_view qualname,
                         std::uint64_t module_hash, std::uint64_t qualname_hash) {
  auto* g = new (arena.allocate(sizeof(Global), alignof(Global))) Global();
  g->module_ = module;
  g->qualname_ = qualname;
  g->builtin_ = classify_global(module, qualname);
  g->module_hash_ = module_hash;
  g->qualname_hash_ = qualname_hash;
  *slot = g;
  ++count_;
  arena.pin();  // the table refers to it (and to its name)
  return g;
}

}  // namespace pickle::detail
