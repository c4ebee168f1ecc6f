// The value model: Graph factories, dict/set tables, and Python hash/equality.
#include "pickle/value.h"

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
#include "value_internal.h"

namespace pickle {

std::string_view kind_type_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Complex: return "complex";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::ByteArray: return "bytearray";
    case Kind::List: return "list";
    case Kind::Tuple: return "tuple";
    case Kind::Dict: return "dict";
    case Kind::Set: return "set";
    case Kind::FrozenSet: return "frozenset";
    case Kind::Global: return "type";
    case Kind::Object: return "object";
    case Kind::PersistentId: return "object";
    case Kind::Buffer: return "pickle.PickleBuffer";
    case Kind::Native: return "object";
    case Kind::Iterator: return "iterator";
  }
  return "object";
}

// ---- Value ------------------------------------------------------------------------------

static_assert(sizeof(Value) == 16, "a Value is two words; doc/design.md");

void detail::throw_wrong_kind(Value v, const char* expected) {
  throw Error(ErrorType::TypeError, std::string("expected ") + expected + ", got " + type_name(v));
}

void detail::throw_int_overflow() {
  throw Error(ErrorType::OverflowError, "Python int too large to convert to int64");
}

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

Graph::Graph() = default;
Graph::Graph(Graph&& other) noexcept
    : id_(std::exchange(other.id_, next_id())),
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

std::size_t Graph::NameHash::operator()(
    const std::pair<std::string_view, std::string_view>& k) const noexcept {
  std::size_t h = std::hash<std::string_view>()(k.first);
  return h ^ (std::hash<std::string_view>()(k.second) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
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
    if (negative && m <= static_cast<std::uint64_t>(INT64_MAX) + 1) return Value::integer(static_cast<std::int64_t>(0 - m));
  }
  auto* b = make<BigInt>();
  b->negative_ = negative;
  b->size_ = static_cast<std::uint32_t>(magnitude.size());
  b->limbs_ = static_cast<std::uint32_t*>(
      arena_.allocate(magnitude.size() * sizeof(std::uint32_t), alignof(std::uint32_t)));
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

Value Graph::new_complex(double real, double imag) {
  return Value::from_node(make<Complex>(real, imag));
}

Value Graph::adopt_str(const char* data, std::size_t size) {
  auto* s = make<Str>();
  s->data_ = data;
  s->size_ = size;
  return Value::from_node(s);
}

Value Graph::new_str(std::string_view utf8) {
  // Node and characters in one block, for locality.
  void* mem = arena_.allocate(sizeof(Str) + utf8.size(), alignof(Str));
  auto* s = new (mem) Str();
  char* chars = reinterpret_cast<char*>(s + 1);
  detail::copy_chars(chars, utf8.data(), utf8.size());
  s->data_ = chars;
  s->size_ = utf8.size();
  return Value::from_node(s);
}

Value Graph::new_str_view(std::string_view utf8) { return adopt_str(utf8.data(), utf8.size()); }

Value Graph::adopt_bytes(Kind kind, std::uint8_t* data, std::size_t size) {
  auto* b = make<Bytes>(kind);
  b->data_ = data;
  b->size_ = size;
  return Value::from_node(b);
}

Value Graph::new_bytes(std::span<const std::uint8_t> data) {
  void* mem = arena_.allocate(sizeof(Bytes) + data.size(), alignof(Bytes));
  auto* b = new (mem) Bytes(Kind::Bytes);
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
  auto* bytes = static_cast<std::uint8_t*>(arena_.allocate(data.size(), 1));
  if (!data.empty()) std::memcpy(bytes, data.data(), data.size());
  return adopt_bytes(Kind::ByteArray, bytes, data.size());
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

Value Graph::make_str(std::string_view utf8) {
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
  }
  return cache[slot];
}

Value Graph::make_bytes(std::span<const std::uint8_t> data) {
  if (data.size() > 1) return new_bytes(data);
  int slot = data.empty() ? 256 : data[0];
  Value* cache = small_cache(arena_, small_bytes_);
  if (cache[slot].is_none()) {
    cache[slot] = new_bytes(data);
    cache[slot].node()->flags |= detail::kSharedSingleton;
  }
  return cache[slot];
}

Value Graph::empty_tuple() {
  if (empty_tuple_.is_none()) empty_tuple_ = new_tuple({});
  return empty_tuple_;
}

Value Graph::new_list() { return Value::from_node(make<List>()); }

Value Graph::new_tuple(std::span<const Value> items) {
  void* mem = arena_.allocate(sizeof(Tuple) + items.size() * sizeof(Value), alignof(Tuple));
  auto* t = new (mem) Tuple();
  t->size_ = items.size();
  if (!items.empty()) std::memcpy(static_cast<void*>(t + 1), items.data(), items.size() * sizeof(Value));
  return Value::from_node(t);
}

Value Graph::new_dict() { return Value::from_node(make<Dict>()); }
Value Graph::new_set() { return Value::from_node(make<Set>(Kind::Set)); }
Value Graph::new_frozenset() { return Value::from_node(make<Set>(Kind::FrozenSet)); }

Value Graph::global(std::string_view module, std::string_view qualname) {
  auto it = globals_.find({module, qualname});
  if (it != globals_.end()) return Value::from_node(it->second);
  auto* g = make<Global>();
  char* chars = allocate_chars(module.size() + qualname.size());
  if (!module.empty()) std::memcpy(chars, module.data(), module.size());
  if (!qualname.empty()) std::memcpy(chars + module.size(), qualname.data(), qualname.size());
  g->module_ = std::string_view(chars, module.size());
  g->qualname_ = std::string_view(chars + module.size(), qualname.size());
  g->builtin_ = detail::classify_global(g->module_, g->qualname_);
  try {
    globals_.emplace(std::pair{g->module_, g->qualname_}, g);
  } catch (...) {
    detail::rethrow_allocation_failure();
  }
  return Value::from_node(g);
}

Value Graph::new_object(Object::How how, Value callable, Value args, Value kwargs) {
  auto* o = make<Object>();
  o->how_ = how;
  o->callable_ = callable;
  o->args_ = args;
  o->kwargs_ = kwargs;
  return Value::from_node(o);
}

Value Graph::new_persistent_id(Value pid) {
  return Value::from_node(make<PersistentId>(pid));
}

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
  if (kind != Kind::ByteArray) detail::throw_wrong_kind(Value::from_node(this), "bytearray");
  return {data_, size_};
}

void Bytes::assign(Graph& g, std::span<const std::uint8_t> data) {
  if (kind != Kind::ByteArray) detail::throw_wrong_kind(Value::from_node(this), "bytearray");
  if ((flags & detail::kExported) && data.size() != size_) {
    throw Error(ErrorType::BufferError, "Existing exports of data: object cannot be re-sized");
  }
  auto* bytes = static_cast<std::uint8_t*>(g.arena().allocate(data.size(), 1));
  if (!data.empty()) std::memcpy(bytes, data.data(), data.size());
  data_ = bytes;
  size_ = data.size();
  hash_ = 0;
}

void List::append(Graph& g, Value v) { items_.push_back(g.arena(), v); }
void List::reserve(Graph& g, std::size_t n) { items_.reserve(g.arena(), n); }
void List::extend(Graph& g, std::span<const Value> items) {
  if (items.empty()) return;
  std::less<const Value*> before;
  if (!before(items.data(), items_.data) && before(items.data(), items_.data + items_.capacity)) {
    // l.extend(l[...]): growing may free the items being read.
    std::vector<Value> copy(items.begin(), items.end());
    extend(g, copy);
    return;
  }
  items_.reserve(g.arena(), items_.size + items.size());
  std::memcpy(static_cast<void*>(items_.data + items_.size), items.data(), items.size() * sizeof(Value));
  items_.size += items.size();
}

namespace {
// Below this many entries a linear scan beats hashing into an index.
constexpr std::size_t kLinearEntries = 8;
constexpr std::size_t kNotFound = std::numeric_limits<std::size_t>::max();

// Fibonacci hashing spreads Python's identity-like int hashes over the index.
inline std::size_t slot_of(std::uint64_t hash, std::size_t mask) {
  return static_cast<std::size_t>((hash * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}

inline bool same_key(Value a, Value b) {
  if (a.is_small_int() && b.is_small_int()) return a.as_int() == b.as_int();
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
  for (std::size_t s = slot_of(hash, index_mask_);; s = (s + 1) & index_mask_) {
    std::uint32_t slot = index_[s];
    if (slot == 0) return kNotFound;
    const Entry& e = entries_.data[slot - 1];
    if (e.hash == hash && match(e.key)) return slot - 1;
  }
}

std::size_t Dict::lookup(Value key, std::uint64_t hash) const {
  return lookup_if(hash, [key](Value k) { return same_key(k, key); });
}

void Dict::grow_index(Graph& g) {
  std::size_t n = entries_.size;
  if (n >= std::numeric_limits<std::uint32_t>::max() / 2) {
    throw Error(ErrorType::MemoryError, "dict or set too large");
  }
  if (index_ && n * 3 < (index_mask_ + 1) * 2) {
    // Room left: index only the newest entry.
    std::size_t s = slot_of(entries_.data[n - 1].hash, index_mask_);
    while (index_[s]) s = (s + 1) & index_mask_;
    index_[s] = static_cast<std::uint32_t>(n);
    return;
  }
  std::size_t cap = std::bit_ceil(n * 2 < 32 ? std::size_t{32} : n * 2);
  index_ = static_cast<std::uint32_t*>(g.arena().allocate(cap * sizeof(std::uint32_t), 4));
  std::memset(index_, 0, cap * sizeof(std::uint32_t));
  index_mask_ = cap - 1;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t s = slot_of(entries_.data[i].hash, index_mask_);
    while (index_[s]) s = (s + 1) & index_mask_;
    index_[s] = static_cast<std::uint32_t>(i + 1);
  }
}

void Dict::set(Graph& g, Value key, Value value) {
  std::uint64_t hash = py_hash(key);
  std::size_t i = lookup(key, hash);
  if (i != kNotFound) {
    entries_.data[i].value = value;
    return;
  }
  Entry& e = entries_.append_slot(g.arena());
  e.key = key;
  e.value = value;
  e.hash = hash;
  if (entries_.size > kLinearEntries) grow_index(g);
}

void Dict::reserve(Graph& g, std::size_t n) { entries_.reserve(g.arena(), entries_.size + n); }

const Value* Dict::find(Value key) const {
  std::size_t i = lookup(key, py_hash(key));
  return i == kNotFound ? nullptr : &entries_.data[i].value;
}

const Value* Dict::find(std::string_view key) const {
  std::size_t i = lookup_if(detail::hash_str(key), [key](Value k) {
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
  std::uint64_t hash = py_hash(item);
  if (table_.lookup(item, hash) != kNotFound) return false;
  hash_ = 0;
  Dict::Entry& e = table_.entries_.append_slot(g.arena());
  e.key = item;
  e.value = Value();
  e.hash = hash;
  if (table_.entries_.size > kLinearEntries) table_.grow_index(g);
  return true;
}

bool Set::contains(Value item) const { return table_.lookup(item, py_hash(item)) != kNotFound; }

void Object::append(Graph& g, Value item) { list_items_.push_back(g.arena(), item); }
void Object::set_item(Graph& g, Value key, Value value) {
  Dict::Entry& e = dict_items_.append_slot(g.arena());
  e.key = key;
  e.value = value;
  e.hash = 0;
}
void Object::add(Graph& g, Value item) { set_items_.push_back(g.arena(), item); }

// ---- hash and equality -------------------------------------------------------------------

namespace {

// Hashing and comparing nested tuples recurses; CPython does too (without a guard). A
// bound keeps hostile keys from exhausting the C++ stack.
constexpr int kMaxKeyDepth = 2000;

[[noreturn]] void throw_key_depth() {
  throw Error(ErrorType::RecursionError, "maximum recursion depth exceeded while hashing a key");
}

std::uint64_t hash_bytes(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xff51afd7ed558ccdULL);
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  // The 0..7 bytes left, read without a variable-length memcpy (a library call).
  std::uint64_t w = 0;
  if (n >= 4) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    w = lo | (std::uint64_t{hi} << 32);
  } else if (n) {
    w = p[0] | (std::uint64_t{p[n / 2]} << 8) | (std::uint64_t{p[n - 1]} << 16);
  }
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 29;
  return h;
}

}  // namespace

std::uint64_t detail::hash_str(std::string_view utf8) noexcept { return hash_bytes(utf8) | 1; }

namespace {

[[noreturn]] void throw_unhashable(Value v) {
  throw Error(ErrorType::TypeError, "unhashable type: '" + type_name(v) + "'");
}

std::uint64_t hash_at(Value v, int depth) {
  switch (v.kind()) {
    case Kind::None: return 0x2e3f5a1dULL;
    case Kind::Bool: return v.as_bool() ? 1 : 0;
    case Kind::Int:
      if (v.is_small_int()) {
        // Below the modulus 2**61 - 1 in magnitude, an int is its own hash (-1 is -2).
        constexpr std::int64_t kModulus = (std::int64_t{1} << 61) - 1;
        std::int64_t x = v.as_int();
        if (x > -kModulus && x < kModulus) return static_cast<std::uint64_t>(x == -1 ? -2 : x);
      }
      return detail::hash_int(detail::IntRef(v));
    case Kind::Float: return detail::hash_double(v.as_float());
    case Kind::Complex: {
      std::uint64_t re = detail::hash_double(v.as_complex().real());
      std::uint64_t im = detail::hash_double(v.as_complex().imag());
      std::uint64_t h = re + 1000003ULL * im;
      return h == static_cast<std::uint64_t>(-1) ? static_cast<std::uint64_t>(-2) : h;
    }
    case Kind::Str: {
      const Str& s = v.as_str();
      if (!s.cached_hash()) s.cache_hash(detail::hash_str(s.utf8()));
      return s.cached_hash();
    }
    case Kind::Bytes: {
      const Bytes& b = v.as_bytes();
      if (!b.cached_hash()) b.cache_hash(hash_bytes(b.chars()) | 1);
      return b.cached_hash();
    }
    case Kind::Tuple: {
      const Tuple& t = v.as_tuple();
      if (t.cached_hash()) return t.cached_hash();
      if (depth > kMaxKeyDepth) throw_key_depth();
      // xxHash-style combination, as CPython's tuple hash.
      std::uint64_t acc = 2870177450012600261ULL;
      for (Value item : t) {
        acc += hash_at(item, depth + 1) * 14029467366897019727ULL;
        acc = (acc << 31) | (acc >> 33);
        acc *= 11400714785074694791ULL;
      }
      acc += t.size() ^ (2870177450012600261ULL ^ 3527539ULL);
      t.cache_hash(acc | 1);
      return acc | 1;
    }
    case Kind::FrozenSet: {
      const Set& s = v.as_set();
      if (s.cached_hash()) return s.cached_hash();
      if (depth > kMaxKeyDepth) throw_key_depth();
      std::uint64_t acc = 0;
      for (Value item : s) {
        std::uint64_t h = hash_at(item, depth + 1);
        acc ^= ((h ^ 89869747ULL) ^ (h << 16)) * 3644798167ULL;
      }
      acc ^= (s.size() + 1) * 1927868237ULL;
      acc = acc * 69069U + 907133923ULL;
      s.cache_hash(acc | 1);
      return acc | 1;
    }
    case Kind::Global: {
      const Global& g = v.as_global();
      return hash_bytes(g.module()) * 31 + hash_bytes(g.qualname());
    }
    case Kind::Object:
    case Kind::PersistentId:
    case Kind::Native:
    case Kind::Iterator:
      return std::bit_cast<std::uintptr_t>(v.node()) >> 4;
    case Kind::Buffer:
      if (!v.as_buffer().is_memoryview()) return std::bit_cast<std::uintptr_t>(v.node()) >> 4;
      // memoryview.__hash__ hashes what it views: a bytearray, or for an out-of-band
      // buffer, as the library takes every writable one to be, a PickleBuffer of one.
      throw Error(ErrorType::TypeError, "unhashable type: 'bytearray'");
    case Kind::ByteArray:
    case Kind::List:
    case Kind::Dict:
    case Kind::Set:
      throw_unhashable(v);
  }
  throw_unhashable(v);
}

bool is_number(Kind k) {
  return k == Kind::Bool || k == Kind::Int || k == Kind::Float || k == Kind::Complex;
}

// Python == between two numbers of any numeric kinds.
bool numbers_equal(Value a, Value b) {
  if (a.kind() == Kind::Complex || b.kind() == Kind::Complex) {
    if (a.kind() != Kind::Complex) std::swap(a, b);
    const Complex& c = a.as_complex();
    if (b.kind() == Kind::Complex) {
      return c.real() == b.as_complex().real() && c.imag() == b.as_complex().imag();
    }
    return c.imag() == 0 && numbers_equal(Value::floating(c.real()), b);
  }
  if (a.kind() == Kind::Float || b.kind() == Kind::Float) {
    if (a.kind() != Kind::Float) std::swap(a, b);
    if (b.kind() == Kind::Float) return a.as_float() == b.as_float();
    return detail::int_equals_double(detail::IntRef(b), a.as_float());
  }
  // int or bool on both sides
  if (a.is_node() || b.is_node()) {
    detail::IntRef x(a), y(b);
    return x.negative() == y.negative() &&
           detail::compare_magnitude(x.magnitude(), y.magnitude()) == 0;
  }
  return a.as_int() == b.as_int();
}

// One comparison, including the comparisons it starts through Set::contains (a
// frozenset's members are looked up by hash, then compared): the nesting depth, and
// once a comparison has visited many containers, the pairs already found equal, so
// that comparing graphs of shared tuples takes time linear in their nodes rather than
// in their paths. (CPython's takes the exponential time; a loader cannot.)
struct EqualWalk {
  int depth = 0;
  std::size_t containers = 0;
  std::set<std::pair<const detail::Node*, const detail::Node*>> proven;
};
thread_local EqualWalk* current_walk = nullptr;
constexpr std::size_t kContainersBeforeMemo = 1024;

bool equal_at(Value a, Value b, EqualWalk& walk);

bool equal_containers(Value a, Value b, EqualWalk& walk) {
  if (walk.depth > kMaxKeyDepth) throw_key_depth();
  auto pair = std::make_pair(a.node(), b.node());
  bool memo = ++walk.containers > kContainersBeforeMemo;
  if (memo && walk.proven.count(pair)) return true;
  ++walk.depth;
  bool equal = true;
  if (a.kind() == Kind::Tuple) {
    const Tuple &x = a.as_tuple(), &y = b.as_tuple();
    equal = x.size() == y.size();
    for (std::size_t i = 0; equal && i < x.size(); ++i) {
      detail::Node* n = x[i].node();
      if (!(n && n == y[i].node())) equal = equal_at(x[i], y[i], walk);
    }
  } else {
    const Set &x = a.as_set(), &y = b.as_set();
    equal = x.size() == y.size();
    for (auto it = x.begin(); equal && it != x.end(); ++it) equal = y.contains(*it);
  }
  --walk.depth;
  if (equal && memo) walk.proven.insert(pair);
  return equal;
}

bool equal_at(Value a, Value b, EqualWalk& walk) {
  if (is_number(a.kind()) && is_number(b.kind())) return numbers_equal(a, b);
  detail::Node* na = a.node();
  if (na && na == b.node()) return true;
  Kind ka = a.kind(), kb = b.kind();
  bool sets = (ka == Kind::Set || ka == Kind::FrozenSet) && (kb == Kind::Set || kb == Kind::FrozenSet);
  if (ka != kb && !sets) return false;
  switch (ka) {
    case Kind::None: return true;
    case Kind::Str: return a.as_str().utf8() == b.as_str().utf8();
    case Kind::Bytes:
    case Kind::ByteArray: return a.as_bytes().chars() == b.as_bytes().chars();
    case Kind::Tuple:
    case Kind::Set:
    case Kind::FrozenSet: return equal_containers(a, b, walk);
    case Kind::Global:
      return a.as_global().module() == b.as_global().module() &&
             a.as_global().qualname() == b.as_global().qualname();
    default:
      return false;  // identity was checked above
  }
}

}  // namespace

std::uint64_t py_hash(Value v) { return hash_at(v, 0); }
bool py_equal(Value a, Value b) {
  if (current_walk) return equal_at(a, b, *current_walk);
  EqualWalk walk;
  current_walk = &walk;
  struct Reset {
    ~Reset() { current_walk = nullptr; }
  } reset;
  return equal_at(a, b, walk);
}

std::string type_name(Value v) {
  switch (v.kind()) {
    case Kind::Native: return std::string(v.as_native().cls().name());
    case Kind::Iterator: {
      const Iterator& it = v.as_iterator();
      switch (it.source().kind()) {
        case Kind::List: return "list_iterator";
        case Kind::Tuple: return "tuple_iterator";
        case Kind::Set:
        case Kind::FrozenSet: return "set_iterator";
        case Kind::Dict: return it.over() == Iterator::Over::DictItems ? "dict_itemiterator" : "dict_keyiterator";
        default: return "iterator";
      }
    }
    case Kind::Global: return std::string(detail::global_type_name(v.as_global()));
    case Kind::Buffer: return v.as_buffer().is_memoryview() ? "memoryview" : "pickle.PickleBuffer";
    case Kind::Object: {
      const Object& o = v.as_object();
      Value cls = o.callable();
      if (cls.is_global()) {
        std::string_view q = cls.as_global().qualname();
        std::size_t dot = q.rfind('.');
        return std::string(dot == std::string_view::npos ? q : q.substr(dot + 1));
      }
      return "object";
    }
    default: return std::string(kind_type_name(v.kind()));
  }
}

}  // namespace pickle
