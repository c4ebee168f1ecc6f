// The value model: Graph factories, dict/set tables, and Python hash/equality.
#include "pickle/value.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <set>
#include <stdexcept>
#include <vector>

#include "bigint.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "pytext.h"
#include "pyobject.h"
#include "access.h"
#include "global_table.h"
#include "globals.h"
#include "value_internal.h"

namespace pickle {

// ---- Value ------------------------------------------------------------------------------

static_assert(sizeof(Value) == 16, "a Value is two words; doc/design.md");

void detail::throw_wrong_kind(Value v, const char* expected) {
  throw Error(ErrorType::TypeError, std::string("expected ") + expected + ", got " + type_name(v));
}

void detail::throw_int_overflow() { throw Error(ErrorType::OverflowError, "Python int too large to convert to int64"); }

void detail::throw_index_error(const char* message) { throw Error(ErrorType::IndexError, message); }

void detail::rethrow_allocation_failure() {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    throw Error(ErrorType::MemoryError, "out of memory");
  } catch (const std::length_error&) {
    throw Error(ErrorType::MemoryError, "out of memory");
  }
}

// ---- Graph ------------------------------------------------------------------------------

std::uint64_t Graph::next_id() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

namespace {
std::unique_ptr<detail::GlobalTable> make_global_table() try {
  return std::make_unique<detail::GlobalTable>();
} catch (...) {
  detail::rethrow_allocation_failure();
}
}  // namespace

std::uint32_t detail::new_float_id() noexcept {
  static std::atomic<std::uint32_t> counter{0};
  std::uint32_t id = ++counter;
  return id ? id : ++counter;
}

Graph::Graph() = default;
Graph::Graph(Graph&& other) noexcept
    : id_(std::exchange(other.id_, next_id())),
      last_serial_(std::exchange(other.last_serial_, 0)),
      arena_(std::move(other.arena_)),
      finalizers_(std::move(other.finalizers_)),
      root_(other.root_),
      small_strs_(other.small_strs_),
      small_bytes_(other.small_bytes_),
      empty_tuple_(other.empty_tuple_),
      globals_(std::move(other.globals_)) {
  other.finalizers_.clear();
  other.small_strs_ = other.small_bytes_ = nullptr;
  other.root_ = other.empty_tuple_ = Value();
}
Graph& Graph::operator=(Graph&& other) noexcept {
  if (this != &other) {
    this->~Graph();
    new (this) Graph(std::move(other));
  }
  return *this;
}
Graph::~Graph() {
  // Natives may refer to each other only through Values, so the order does not matter.
  for (auto& [object, destroy] : finalizers_) destroy(object);
  finalizers_.clear();
}

void Graph::clear() noexcept {
  for (auto& [object, destroy] : finalizers_) destroy(object);
  finalizers_.clear();
  globals_.reset();
  root_ = empty_tuple_ = Value();
  small_strs_ = small_bytes_ = nullptr;
  arena_.clear();
  last_serial_ = 0;
  id_ = next_id();  // an Unpickler's memo of the old contents is not reused
}

void Graph::reserve_finalizer() try {
  if (finalizers_.size() == finalizers_.capacity()) finalizers_.reserve(finalizers_.size() * 2 + 8);
} catch (...) {
  detail::rethrow_allocation_failure();
}

Value Graph::adopt_native(const NativeClass& cls, const std::type_info& type, void* object) {
  auto* n = make<Native>();
  n->cls_ = &cls;
  n->type_ = &type;
  n->object_ = object;
  return Value::from_node(n);
}

Value Graph::new_iterator(Value source, Iterator::Over over) {
  auto* it = make<Iterator>();
  it->source_ = source;
  it->over_ = over;
  return Value::from_node(it);
}

Value Graph::new_bigint(bool negative, std::span<const std::uint32_t> magnitude) {
  // Normalized, so that each int has one representation: no high zero limbs, and an
  // immediate when it fits int64 (-0 is 0).
  std::size_t n = magnitude.size();
  while (n && magnitude[n - 1] == 0) --n;
  magnitude = magnitude.first(n);
  if (n <= 2) {
    std::uint64_t m = n == 0 ? 0 : n == 1 ? magnitude[0] : (std::uint64_t{magnitude[1]} << 32) | magnitude[0];
    if (!negative && m <= static_cast<std::uint64_t>(INT64_MAX)) return Value::integer(static_cast<std::int64_t>(m));
    if (negative && m <= static_cast<std::uint64_t>(INT64_MAX) + 1)
      return Value::integer(static_cast<std::int64_t>(0 - m));
  }
  auto* b = make<BigInt>();
  b->negative_ = negative;
  b->size_ = static_cast<std::uint32_t>(magnitude.size());
  b->limbs_ =
      static_cast<std::uint32_t*>(arena_.allocate(magnitude.size() * sizeof(std::uint32_t), alignof(std::uint32_t)));
  std::memcpy(b->limbs_, magnitude.data(), magnitude.size() * sizeof(std::uint32_t));
  return Value::from_node(b);
}

Value Graph::new_int_from_bytes(std::span<const std::uint8_t> le) {
  const std::size_t n = le.size();
  if (n == 0) return Value::integer(0);
  if (n <= 8) {
    std::uint64_t u = 0;
    for (std::size_t i = n; i-- > 0;) u = (u << 8) | le[i];
    if (le[n - 1] & 0x80 && n < 8) u |= ~std::uint64_t{0} << (8 * n);  // sign-extend
    return Value::integer(static_cast<std::int64_t>(u));
  }
  const bool negative = le[n - 1] & 0x80;
  detail::Limbs mag((n + 3) / 4, 0);
  unsigned borrow = 1;  // for negatives: magnitude = ~x + 1
  for (std::size_t i = 0; i < n; ++i) {
    unsigned byte = le[i];
    if (negative) {
      byte = (~byte & 0xff) + borrow;
      borrow = byte >> 8;
      byte &= 0xff;
    }
    mag[i / 4] |= static_cast<std::uint32_t>(byte) << (8 * (i % 4));
  }
  return detail::make_int(*this, negative, mag);
}

Value Graph::new_complex(double real, double imag) { return Value::from_node(make<Complex>(real, imag)); }

Value Graph::adopt_str(const char* data, std::size_t size) {
  auto* s = make<Str>();
  s->data_ = data;
  s->size_ = size;
  return Value::from_node(s);
}

Value Graph::new_str(std::string_view utf8) { return detail::Access::new_str(*this, utf8); }

Value Graph::new_str_view(std::string_view utf8) { return adopt_str(utf8.data(), utf8.size()); }

Value Graph::adopt_bytes(Kind kind, std::uint8_t* data, std::size_t size) {
  auto* b = make<Bytes>(kind);
  b->data_ = data;
  b->size_ = size;
  return Value::from_node(b);
}

Value Graph::new_bytes_storage(Kind kind, std::size_t size, bool zeroed, std::uint8_t*& payload) {
  if (size < detail::Arena::kLargeBlock) {
    payload = static_cast<std::uint8_t*>(arena_.allocate(size, 1));
    if (zeroed && size) std::memset(payload, 0, size);
    return adopt_bytes(kind, payload, size);
  }
  auto* b = make<Bytes>(kind);
  payload = static_cast<std::uint8_t*>(arena_.allocate_large(size, zeroed));
  b->data_ = payload;
  b->size_ = size;
  b->flags |= detail::kLargePayload;
  return Value::from_node(b);
}

void Graph::truncate_new_bytes(Value bytes, std::size_t size) {
  auto& b = static_cast<Bytes&>(*bytes.node());
  if (size >= b.size_) return;
  if (b.flags & detail::kLargePayload)
    b.data_ = static_cast<std::uint8_t*>(arena_.reallocate_large(b.data_, b.block_size(), size));
  b.size_ = size;
}

void Graph::release_unreferenced(Value v) noexcept {
  switch (v.kind()) {
    case Kind::Bytes:
    case Kind::ByteArray: {
      auto& b = static_cast<Bytes&>(*v.node());
      if (!(b.flags & detail::kLargePayload)) return;
      arena_.free_large(b.data_, b.block_size());
      b.data_ = nullptr;
      b.size_ = b.capacity_ = 0;
      b.flags &= ~detail::kLargePayload;
      return;
    }
    case Kind::List: static_cast<List&>(*v.node()).items_.give_back(arena_); return;
    case Kind::Dict: static_cast<Dict&>(*v.node()).release_large_blocks(arena_); return;
    case Kind::Set:
    case Kind::FrozenSet: static_cast<Set&>(*v.node()).table_.release_large_blocks(arena_); return;
    default: return;
  }
}

Value Graph::new_bytes(std::span<const std::uint8_t> data) {
  if (data.size() >= detail::Arena::kLargeBlock) {
    std::uint8_t* payload;
    Value v = new_bytes_storage(Kind::Bytes, data.size(), false, payload);
    std::memcpy(payload, data.data(), data.size());
    return v;
  }
  void* mem = arena_.allocate(sizeof(Bytes) + data.size(), alignof(Bytes));
  auto* b = stamp(new (mem) Bytes(Kind::Bytes));
  auto* bytes = reinterpret_cast<std::uint8_t*>(b + 1);
  if (!data.empty()) std::memcpy(bytes, data.data(), data.size());
  b->data_ = bytes;
  b->size_ = data.size();
  return Value::from_node(b);
}

Value Graph::new_bytes_view(std::span<const std::uint8_t> data) {
  return adopt_bytes(Kind::Bytes, const_cast<std::uint8_t*>(data.data()), data.size());
}

Value Graph::new_bytearray(std::span<const std::uint8_t> data) {
  std::uint8_t* payload;
  Value v = new_bytes_storage(Kind::ByteArray, data.size(), false, payload);
  if (!data.empty()) std::memcpy(payload, data.data(), data.size());
  return v;
}

namespace {
// Slots 0..255 hold one-character values, slot 256 the empty one.
Value* small_cache(detail::Arena& arena, Value*& cache) {
  if (!cache) {
    cache = static_cast<Value*>(arena.allocate(257 * sizeof(Value), alignof(Value)));
    for (int i = 0; i < 257; ++i) new (cache + i) Value();
  }
  return cache;
}
}  // namespace

Value Graph::shared_or_new_str(std::string_view utf8) {
  int slot = -1;
  const auto* u = reinterpret_cast<const unsigned char*>(utf8.data());
  if (utf8.empty()) {
    slot = 256;
  } else if (utf8.size() == 1) {
    slot = u[0];
  } else if (utf8.size() == 2 && (u[0] == 0xc2 || u[0] == 0xc3)) {
    slot = ((u[0] & 0x1f) << 6) | (u[1] & 0x3f);
  }
  if (slot < 0) return new_str(utf8);
  Value* cache = small_cache(arena_, small_strs_);
  if (cache[slot].is_none()) {
    cache[slot] = new_str(utf8);
    cache[slot].node()->flags |= detail::kSharedSingleton;
    arena_.pin();  // the cache refers to it
  }
  return cache[slot];
}

Value Graph::shared_or_new_bytes(std::span<const std::uint8_t> data) {
  if (data.size() > 1) return new_bytes(data);
  int slot = data.empty() ? 256 : data[0];
  Value* cache = small_cache(arena_, small_bytes_);
  if (cache[slot].is_none()) {
    cache[slot] = new_bytes(data);
    cache[slot].node()->flags |= detail::kSharedSingleton;
    arena_.pin();
  }
  return cache[slot];
}

Value Graph::empty_tuple() {
  if (empty_tuple_.is_none()) {
    empty_tuple_ = new_tuple({});
    arena_.pin();
  }
  return empty_tuple_;
}

Value Graph::new_list() { return Value::from_node(make<List>()); }

Value Graph::new_tuple(std::span<const Value> items) {
  void* mem = arena_.allocate(sizeof(Tuple) + items.size() * sizeof(Value), alignof(Tuple));
  auto* t = stamp(new (mem) Tuple());
  t->size_ = items.size();
  if (!items.empty()) std::memcpy(static_cast<void*>(t + 1), items.data(), items.size() * sizeof(Value));
  return Value::from_node(t);
}

Value Graph::new_dict() { return Value::from_node(make<Dict>()); }
Value Graph::new_set() { return Value::from_node(make<Set>(Kind::Set)); }
Value Graph::new_frozenset() { return Value::from_node(make<Set>(Kind::FrozenSet)); }

Value Graph::global(std::string_view module, std::string_view qualname) {
  if (!globals_) globals_ = make_global_table();
  return Value::from_node(globals_->global(arena_, module, qualname));
}

Value Graph::global_attribute(const Global& owner, std::string_view attr) {
  if (!globals_) globals_ = make_global_table();
  return Value::from_node(globals_->attribute(arena_, owner, attr));
}

Value Graph::new_object(Object::How how, Value callable, Value args, Value kwargs) {
  auto* o = make<Object>();
  o->how_ = how;
  o->callable_ = callable;
  o->args_ = args;
  o->kwargs_ = kwargs;
  return Value::from_node(o);
}

Value Graph::new_persistent_id(Value pid) { return Value::from_node(make<PersistentId>(pid)); }

Value Graph::new_buffer(std::span<const std::uint8_t> data, bool readonly) {
  auto* b = make<Buffer>();
  b->data_ = data.data();
  b->size_ = data.size();
  b->readonly_ = readonly;
  return Value::from_node(b);
}

Value Graph::new_memoryview(std::span<const std::uint8_t> data) {
  Value v = new_buffer(data, true);
  static_cast<Buffer*>(v.node())->memoryview_ = true;
  return v;
}

// ---- containers ------------------------------------------------------------------------

std::span<std::uint8_t> Bytes::data() {
  if (kind != Kind::ByteArray) detail::throw_wrong_kind(detail::Access::from_node(this), "bytearray");
  return {data_, size_};
}

void Bytes::assign(Graph& g, std::span<const std::uint8_t> data) {
  if (kind != Kind::ByteArray) detail::throw_wrong_kind(detail::Access::from_node(this), "bytearray");
  if ((flags & detail::kExported) && data.size() != size_) {
    throw Error(ErrorType::BufferError, "Existing exports of data: object cannot be re-sized");
  }
  detail::Arena& arena = detail::Access::arena(g);
  auto* bytes = static_cast<std::uint8_t*>(arena.allocate_array(data.size(), 1));
  if (!data.empty()) std::memcpy(bytes, data.data(), data.size());
  // The old contents go with the call (a memoryview over them keeps them).
  if ((flags & detail::kLargePayload) && !(flags & detail::kExported)) arena.free_large(data_, block_size());
  flags =
      data.size() >= detail::Arena::kLargeBlock ? (flags | detail::kLargePayload) : (flags & ~detail::kLargePayload);
  data_ = bytes;
  size_ = data.size();
  capacity_ = 0;
  hash_ = 0;
}

void Bytes::extend(Graph& g, std::span<const std::uint8_t> data) {
  if (kind != Kind::ByteArray) detail::throw_wrong_kind(detail::Access::from_node(this), "bytearray");
  if (data.empty()) return;
  if (flags & detail::kExported) {
    throw Error(ErrorType::BufferError, "Existing exports of data: object cannot be re-sized");
  }
  if (data.size() > std::max(capacity_, size_) - size_) {
    // Doubling: a small block left behind stays in the arena until the graph goes, so
    // those sum to under twice the size where the payload becomes a large block, which
    // then grows in place (realloc).
    if (data.size() > std::numeric_limits<std::size_t>::max() / 2 - size_) {
      throw Error(ErrorType::MemoryError, "bytearray too large");
    }
    const std::size_t capacity = std::max({size_ + data.size(), 2 * size_, std::size_t{16}});
    detail::Arena& arena = detail::Access::arena(g);
    if (flags & detail::kLargePayload) {
      data_ = static_cast<std::uint8_t*>(arena.reallocate_large(data_, block_size(), capacity));
    } else {
      auto* bytes = static_cast<std::uint8_t*>(arena.allocate_array(capacity, 1));
      if (size_) std::memcpy(bytes, data_, size_);
      data_ = bytes;
      if (capacity >= detail::Arena::kLargeBlock) flags |= detail::kLargePayload;
    }
    capacity_ = capacity;
  }
  std::memcpy(data_ + size_, data.data(), data.size());
  size_ += data.size();
}

void List::append(Graph& g, Value v) { items_.push_back(detail::Access::arena(g), v); }
void List::reserve(Graph& g, std::size_t n) { items_.reserve(detail::Access::arena(g), n); }
void List::extend(Graph& g, std::span<const Value> items) {
  if (items.empty()) return;
  std::less<const Value*> before;
  if (!before(items.data(), items_.data) && before(items.data(), items_.data + items_.capacity)) {
    // l.extend(l[...]): growing may free the items being read.
    std::vector<Value> copy(items.begin(), items.end());
    extend(g, copy);
    return;
  }
  items_.reserve(detail::Access::arena(g), items_.size + items.size());
  std::memcpy(static_cast<void*>(items_.data + items_.size), items.data(), items.size() * sizeof(Value));
  items_.size += items.size();
}

namespace {
// Below this many entries a linear scan beats hashing into an index.
constexpr std::size_t kLinearEntries = 8;
constexpr std::size_t kNotFound = std::numeric_limits<std::size_t>::max();

// Multiply-shift by the process's random odd multiplier: the top bits of the product
// spread Python's identity-like int hashes over the index, and no input can know which
// keys share a slot. `multiplier` is slot_multiplier(), read once per operation.
inline std::size_t slot_of(std::uint64_t hash, std::size_t mask, std::uint64_t multiplier) {
  return static_cast<std::size_t>((hash * multiplier) >> std::countl_zero(mask));
}

// A NaN key equals only itself, as one float object: a NaN the unpickler made carries
// the identity of the float CPython made (Value::is), so the one NaN reached twice through
// the memo is one key, and is found by a hash of that identity. Any other NaN equals no
// key, itself included, so inserting it needs no lookup. As Python's hash of a NaN is
// alike for all (or their address), entries are placed by these hashes of their own
// rather than in one ever longer run of slots.
inline bool is_nan_key(Value v) { return v.is_float() && std::isnan(v.as_float()); }
inline std::uint64_t nan_entry_hash(std::size_t n) { return (n + 1) * 0x9E3779B97F4A7C15ULL; }
inline std::uint64_t key_hash(Value key) {
  // A str met before (a memoized key, say) has its hash cached: no call for it.
  if (key.is_str()) {
    if (std::uint64_t h = detail::Access::cached_hash(key.as_str())) return h;
  } else if (is_nan_key(key)) {
    return nan_entry_hash(detail::Access::float_id(key));
  }
  return py_hash(key);
}

// The text of a str value (the caller checked is_str()).
inline std::string_view str_text(Value v) noexcept { return static_cast<const Str*>(v.node())->utf8(); }

// The hash of a str value if computed already, else 0.
inline std::uint64_t cached_str_hash(Value v) noexcept {
  return detail::Access::cached_hash(*static_cast<const Str*>(v.node()));
}

inline bool same_key(Value a, Value b) {
  if (a.is_small_int() && b.is_small_int()) return a.as_int() == b.as_int();
  if (is_nan_key(a)) return detail::Access::float_id(a) && a.is(b);
  detail::Node* na = a.node();
  if (na && na == b.node()) return true;
  return py_equal(a, b);
}
}  // namespace

template <class Match>
std::size_t Dict::lookup_if(std::uint64_t hash, Match match) const {
  if (!index_) {
    for (std::size_t i = 0; i < entries_.size; ++i) {
      const Entry& e = entries_.data[i];
      if (e.hash == hash && match(e.key)) return i;
    }
    return kNotFound;
  }
  for (std::size_t s = slot_of(hash, index_mask_, detail::slot_multiplier());; s = (s + 1) & index_mask_) {
    std::uint32_t slot = index_[s];
    if (slot == 0) return kNotFound;
    const Entry& e = entries_.data[slot - 1];
    if (e.hash == hash && match(e.key)) return slot - 1;
  }
}

std::size_t Dict::lookup(Value key, std::uint64_t hash) const {
  return lookup_if(hash, [key](Value k) { return same_key(k, key); });
}

std::size_t Dict::lookup(Value key) const {
  if (!index_ && key.is_str()) return find_str_linear(str_text(key));
  return lookup(key, key_hash(key));
}

// Equal strs have equal text (Str's encoding is canonical), and no other kind equals a
// str, so a small dict finds a str key by its text alone.
std::size_t Dict::find_str_linear(std::string_view text) const noexcept {
  for (std::size_t i = 0; i < entries_.size; ++i) {
    const Value k = entries_.data[i].key;
    if (k.is_str() && str_text(k) == text) return i;
  }
  return kNotFound;
}

void Dict::build_index(Graph& g, std::size_t entries) {
  if (entries >= std::numeric_limits<std::uint32_t>::max() / 2) {
    throw Error(ErrorType::MemoryError, "dict or set too large");
  }
  std::size_t cap = std::bit_ceil(entries * 2 < 32 ? std::size_t{32} : entries * 2);
  detail::Arena& arena = detail::Access::arena(g);
  const std::size_t old_bytes = index_ ? (index_mask_ + 1) * sizeof(std::uint32_t) : 0;
  const std::size_t bytes = cap * sizeof(std::uint32_t);
  // A large index is rebuilt below, so the old one goes back (realloc) rather than being kept.
  index_ = static_cast<std::uint32_t*>(old_bytes >= detail::Arena::kLargeBlock
                                           ? arena.reallocate_large(index_, old_bytes, bytes)
                                           : arena.allocate_array(bytes, 4));
  std::memset(index_, 0, bytes);
  index_mask_ = cap - 1;
  const std::uint64_t multiplier = detail::slot_multiplier();
  for (std::size_t i = 0; i < entries_.size; ++i) {
    Entry& e = entries_.data[i];
    if (e.hash == 0 && e.key.is_str()) e.hash = key_hash(e.key);  // hashed at last (entry_for)
    std::size_t s = slot_of(e.hash, index_mask_, multiplier);
    while (index_[s]) s = (s + 1) & index_mask_;
    index_[s] = static_cast<std::uint32_t>(i + 1);
  }
}

void Dict::release_large_blocks(detail::Arena& arena) noexcept {
  const std::size_t index_bytes = index_ ? (index_mask_ + 1) * sizeof(std::uint32_t) : 0;
  const std::size_t entry_bytes = entries_.capacity * sizeof(Entry);
  if (entry_bytes < detail::Arena::kLargeBlock) return;  // the index is smaller still
  entries_.give_back(arena);
  if (index_bytes >= detail::Arena::kLargeBlock) arena.free_large(index_, index_bytes);
  index_ = nullptr;
  index_mask_ = 0;
}

Dict::Entry& Dict::entry_for(Graph& g, Value key, bool& added) {
  if (!index_ && key.is_str()) {
    // Hashing a fresh str costs more than comparing it with a few keys: a small dict
    // leaves its str keys unhashed (hash 0) until it builds an index.
    if (std::size_t i = find_str_linear(str_text(key)); i != kNotFound) {
      added = false;
      return entries_.data[i];
    }
    added = true;
    Entry& e = entries_.append_slot(detail::Access::arena(g));
    e.key = key;
    e.value = Value();
    e.hash = cached_str_hash(key);
    if (entries_.size > kLinearEntries) build_index(g, entries_.size);
    return e;  // build_index() moves the index, not the entries
  }
  const bool equals_nothing = is_nan_key(key) && !detail::Access::float_id(key);
  const std::uint64_t hash = equals_nothing ? nan_entry_hash(entries_.size) : key_hash(key);
  const auto append = [&]() -> Entry& {
    added = true;
    Entry& e = entries_.append_slot(detail::Access::arena(g));
    e.key = key;
    e.value = Value();
    e.hash = hash;
    return e;
  };
  if (!index_) {
    if (std::size_t i = equals_nothing ? kNotFound : lookup(key, hash); i != kNotFound) {
      added = false;
      return entries_.data[i];
    }
    Entry& e = append();
    if (entries_.size > kLinearEntries) build_index(g, entries_.size);
    return e;  // build_index() moves the index, not the entries
  }
  // One probe finds the key or the free slot a new entry takes; the index is grown
  // first if a new entry would fill it past its load factor.
  if (!index_has_room(entries_.size + 1)) build_index(g, entries_.size + 1);
  std::size_t s = slot_of(hash, index_mask_, detail::slot_multiplier());
  for (; index_[s]; s = (s + 1) & index_mask_) {
    Entry& e = entries_.data[index_[s] - 1];
    if (!equals_nothing && e.hash == hash && same_key(e.key, key)) {
      added = false;
      return e;
    }
  }
  Entry& e = append();
  index_[s] = static_cast<std::uint32_t>(entries_.size);
  return e;
}

void Dict::set(Graph& g, Value key, Value value) {
  bool added;
  entry_for(g, key, added).value = value;
}

void Dict::set_items(Graph& g, std::span<const Value> pairs) {
  reserve(g, pairs.size() / 2);
  // The common keys are placed here rather than through entry_for: with no index (reserve
  // found room for every pair among the scanned entries), a str by its text; with one, an
  // int or a str by its hash, with one read of the multiplier.
  const std::uint64_t multiplier = index_ ? detail::slot_multiplier() : 0;
  for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
    const Value key = pairs[i], value = pairs[i + 1];
    const auto append = [&](std::uint64_t hash) -> Entry& {
      Entry& e = entries_.append_slot(detail::Access::arena(g));
      e.key = key;
      e.value = value;
      e.hash = hash;
      return e;
    };
    if (!index_ && key.is_str()) {
      if (std::size_t found = find_str_linear(str_text(key)); found != kNotFound) {
        entries_.data[found].value = value;
      } else {
        append(cached_str_hash(key));
      }
      continue;
    }
    std::uint64_t hash = 0;
    if (index_ && key.is_small_int()) {
      hash = detail::hash_small_int(key.as_int());
    } else if (index_ && key.is_str()) {
      hash = key_hash(key);
    } else {
      bool added;
      entry_for(g, key, added).value = value;
      continue;
    }
    std::size_t s = slot_of(hash, index_mask_, multiplier);
    Entry* found = nullptr;
    for (; index_[s]; s = (s + 1) & index_mask_) {
      Entry& e = entries_.data[index_[s] - 1];
      if (e.hash == hash && same_key(e.key, key)) {
        found = &e;
        break;
      }
    }
    if (found) {
      found->value = value;
    } else {
      append(hash);
      index_[s] = static_cast<std::uint32_t>(entries_.size);
    }
  }
}

void Dict::reserve(Graph& g, std::size_t n) {
  entries_.reserve(detail::Access::arena(g), entries_.size + n);
  // An index sized once for every entry to come (a SETITEMS batch), instead of rebuilt
  // as the dict grows past 8, 21, 42, ... entries.
  const std::size_t total = entries_.size + n;
  if (total > kLinearEntries && !index_has_room(total)) build_index(g, total);
}

const Value* Dict::find(Value key) const {
  std::size_t i = lookup(key);
  return i == kNotFound ? nullptr : &entries_.data[i].value;
}

const Value* Dict::find(std::string_view key) const {
  std::size_t i = !index_ ? find_str_linear(key) : lookup_if(detail::hash_str(key), [key](Value k) {
    const Str* s = k.try_as_str();
    return s && s->utf8() == key;
  });
  return i == kNotFound ? nullptr : &entries_.data[i].value;
}

Value Dict::at(Value key) const {
  if (const Value* v = find(key)) return *v;
  throw Error(ErrorType::KeyError, repr(key));
}

Value Dict::at(std::string_view key) const {
  if (const Value* v = find(key)) return *v;
  std::string text;
  detail::append_repr_str(text, key);
  throw Error(ErrorType::KeyError, text);
}

bool Set::add(Graph& g, Value item) {
  bool added;
  table_.entry_for(g, item, added);
  if (added) hash_ = 0;
  return added;
}

bool Set::contains(Value item) const { return table_.lookup(item) != kNotFound; }

void Object::append(Graph& g, Value item) { list_items_.push_back(detail::Access::arena(g), item); }
void Object::set_item(Graph& g, Value key, Value value) {
  Dict::Entry& e = dict_items_.append_slot(detail::Access::arena(g));
  e.key = key;
  e.value = value;
  e.hash = 0;
}
void Object::add(Graph& g, Value item) { set_items_.push_back(detail::Access::arena(g), item); }

}  // namespace pickle
