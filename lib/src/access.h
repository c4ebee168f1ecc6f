// What the value model keeps private from users (pickle/value.h), for the library's own
// sources: the graph's arena, wrapping a node, and the hash memos of str, bytes, tuple
// and frozenset, deepcopy's memo.
#pragma once

#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "pickle/copy.h"
#include "pickle/value.h"
#include "value_internal.h"

namespace pickle::detail {

/// A float identity not handed out before in this process (wrapping after 2**32 - 1).
std::uint32_t new_float_id() noexcept;

struct Access {
  static Arena& arena(Graph& g) noexcept { return g.arena_; }
  static void set_items(Dict& d, Graph& g, std::span<const Value> pairs) { d.set_items(g, pairs); }
  static Value from_node(Node* node) noexcept { return Value::from_node(node); }
  static Value new_bytes_storage(Graph& g, Kind kind, std::size_t size, bool zeroed, std::uint8_t*& payload) {
    return g.new_bytes_storage(kind, size, zeroed, payload);
  }
  static void truncate_new_bytes(Graph& g, Value bytes, std::size_t size) { g.truncate_new_bytes(bytes, size); }
  static void release_unreferenced(Graph& g, Value v) noexcept { g.release_unreferenced(v); }
  /// A NaN that is a float object of its own (see Value::float_id_).
  static Value nan_object(double nan) noexcept {
    Value v = Value::floating(nan);
    v.float_id_ = new_float_id();
    return v;
  }
  static std::uint32_t float_id(Value v) noexcept { return v.float_id_; }
  /// Graph::new_str, inline for the unpickler's loop: node and characters in one block,
  /// for locality.
  [[gnu::always_inline]] static Value new_str(Graph& g, std::string_view utf8) {
    void* mem = g.arena_.allocate(Graph::str_block_size(utf8.size()), alignof(Str));
    Str* s = g.stamp(new (mem) Str());
    char* chars = reinterpret_cast<char*>(s + 1);
    copy_chars(chars, utf8.data(), utf8.size());
    s->data_ = chars;
    s->size_ = utf8.size();
    return Value::from_node(s);
  }
  /// Graph::new_tuple of a size known at compile time (TUPLE1-TUPLE3), inline.
  template <std::size_t N>
  [[gnu::always_inline]] static Value new_tuple(Graph& g, const Value* items) {
    void* mem = g.arena_.allocate(sizeof(Tuple) + N * sizeof(Value), alignof(Tuple));
    Tuple* t = g.stamp(new (mem) Tuple());
    t->size_ = N;
    std::memcpy(static_cast<void*>(t + 1), items, N * sizeof(Value));
    return Value::from_node(t);
  }
  static Value global_attribute(Graph& g, const Global& owner, std::string_view attr) {
    return g.global_attribute(owner, attr);
  }
  /// Gives back a tuple nothing refers to if it was the last allocation (the empty
  /// tuple is shared, and stays).
  static void release_last_tuple(Graph& g, Value tuple) noexcept {
    const Tuple& t = tuple.as_tuple();
    if (t.size() == 0) return;
    g.arena_.release_last(const_cast<Tuple*>(&t), sizeof(Tuple) + t.size() * sizeof(Value));
  }
  /// Gives back a str nothing refers to if new_str made it and it is the last allocation
  /// (a shared one-character str, or one viewing the input, stays).
  static void release_last_str(Graph& g, Value s) noexcept {
    const Str& str = s.as_str();
    if ((str.flags & kSharedSingleton) || str.utf8().data() != reinterpret_cast<const char*>(&str + 1)) return;
    g.arena_.release_last(const_cast<Str*>(&str), Graph::str_block_size(str.utf8().size()));
  }
  template <class HashedNode>
  static std::uint64_t cached_hash(const HashedNode& n) noexcept {
    return n.cached_hash();
  }
  template <class HashedNode>
  static void cache_hash(const HashedNode& n, std::uint64_t h) noexcept {
    n.cache_hash(h);
  }
  static std::unordered_map<const Node*, Value>& copies(CopyMemo& memo) noexcept { return memo.copies_; }
};

}  // namespace pickle::detail
