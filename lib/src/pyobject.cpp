// The Python object protocol over the value graph: hash() in its two modes, ==, iteration
// in CPython's order, type names, class-of, callability and truthiness. Every operation
// that needs one of these asks here, so each has one definition.
#include "pyobject.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <utility>

#include "access.h"
#include "bigint.h"
#include "cpython_set.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "globals.h"
#include "value_internal.h"
#include "wtf8.h"

namespace pickle {

// ---- type names ---------------------------------------------------------------------------

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

namespace detail {

// The Python type name of v when the library knows it for certain; empty for what may be
// anything (an inert instance, a native, a persistent id, a global it cannot identify:
// string.ascii_letters is a str, math.pi a float).
std::string known_type_name(Value v) {
  switch (v.kind()) {
    case Kind::Object:
    case Kind::Native:
    case Kind::PersistentId: return {};
    case Kind::Buffer:  // an out-of-band buffer is whatever object the caller passed
      return v.as_buffer().is_memoryview() ? "memoryview" : "";
    case Kind::Global: {
      const Global& g = v.as_global();
      if (g.builtin() == Global::Builtin::Unknown) return {};
      std::string name(global_type_name(g));
      // An attribute of builtins that is not a class (__debug__, __name__): its value is unknown.
      if (g.builtin() == Global::Builtin::OtherBuiltin && name != "type" && name != "builtin_function_or_method")
        return {};
      return name;
    }
    default: return type_name(v);
  }
}

// The type of an argument as "must be str, not ..." messages name it (None is "None"),
// or "" when unknown.
std::string argument_type_name(Value v) { return v.is_none() ? "None" : known_type_name(v); }

bool is_callable_value(Value v) {
  switch (v.kind()) {
    case Kind::Global: {
      std::string_view t = global_type_name(v.as_global());
      return t != "ellipsis" && t != "NotImplementedType" && t != "ModuleSpec";
    }
    case Kind::Object:
    case Kind::PersistentId: return true;
    default: return false;
  }
}

bool is_class_value(Value v) {
  switch (v.kind()) {
    case Kind::Global: return global_type_name(v.as_global()) == "type";
    case Kind::Object:
    case Kind::PersistentId: return true;
    default: return false;
  }
}

Value class_of(Value v, Graph& scratch) {
  switch (v.kind()) {
    case Kind::Object: {
      const Object& o = v.as_object();
      return o.how() == Object::How::Reduce ? Value() : o.callable();
    }
    case Kind::Global:
    case Kind::PersistentId:
    case Kind::Buffer: return Value();
    case Kind::Native: {
      // An instance of the registered class it was made as.
      const NativeClass& cls = v.as_native().cls();
      return scratch.global(cls.module(), cls.qualname());
    }
    default: return scratch.global("builtins", kind_type_name(v.kind()));
  }
}

bool truthy(Value v) {
  switch (v.kind()) {
    case Kind::None: return false;
    case Kind::Bool: return v.as_bool();
    case Kind::Int: return !v.is_small_int() || v.as_int() != 0;
    case Kind::Float: return v.as_float() != 0;
    case Kind::Complex: return v.as_complex().real() != 0 || v.as_complex().imag() != 0;
    case Kind::Str: return !v.as_str().utf8().empty();
    case Kind::Bytes:
    case Kind::ByteArray: return v.as_bytes().size() != 0;
    case Kind::List: return v.as_list().size() != 0;
    case Kind::Tuple: return v.as_tuple().size() != 0;
    case Kind::Dict: return v.as_dict().size() != 0;
    case Kind::Set:
    case Kind::FrozenSet: return v.as_set().size() != 0;
    default: return true;
  }
}

// ---- hash ---------------------------------------------------------------------------------

namespace {

inline std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

[[noreturn]] void throw_unhashable(Value v) {
  throw Error(ErrorType::TypeError, "unhashable type: '" + type_name(v) + "'");
}

// CPython's combinations, the same in both modes.

// Objects/tupleobject.c, tuplehash: xxHash over the members' hashes.
struct TupleHash {
  std::uint64_t acc = 2870177450012600261ULL;
  void add(std::uint64_t lane) {
    acc += lane * 14029467366897019727ULL;
    acc = rotl(acc, 31);
    acc *= 11400714785074694791ULL;
  }
  std::uint64_t result(std::size_t size) const {
    const std::uint64_t h = acc + (size ^ (2870177450012600261ULL ^ 3527539ULL));
    return h == static_cast<std::uint64_t>(-1) ? 1546275796 : h;
  }
};

// Objects/setobject.c, frozenset_hash: xor of shuffled member hashes, independent of the
// table layout once its corrections for empty and dummy slots are applied.
struct FrozenSetHash {
  std::uint64_t h = 0;
  void add(std::uint64_t member) { h ^= ((member ^ 89869747ULL) ^ (member << 16)) * 3644798167ULL; }
  std::uint64_t result(std::size_t size) const {
    std::uint64_t x = h ^ ((static_cast<std::uint64_t>(size) + 1) * 1927868237ULL);
    x ^= (x >> 11) ^ (x >> 25);
    x = x * 69069U + 907133923ULL;
    return x == static_cast<std::uint64_t>(-1) ? 590923713ULL : x;
  }
};

// Objects/complexobject.c, complex_hash.
std::uint64_t complex_hash(std::uint64_t real, std::uint64_t imag) {
  const std::uint64_t h = real + 1000003ULL * imag;
  return h == static_cast<std::uint64_t>(-1) ? static_cast<std::uint64_t>(-2) : h;
}

std::uint64_t int_hash(Value v) {
  if (v.is_small_int()) return hash_small_int(v.as_int());
  return hash_int(IntRef(v));
}

// SipHash-c-d (c rounds per 8-byte block, d to finish), the hash CPython gives str and
// bytes (Python/pyhash.c): SipHash-1-3 from 3.11, SipHash-2-4 before. SipHash-1-3 serves
// both modes, under CPython's key derived from a seed or under the process's own key.
struct SipKey {
  std::uint64_t k0, k1;
};

// The round counts are template arguments so that the rounds unroll.
template <int c_rounds, int d_rounds>
std::uint64_t siphash(SipKey key, const unsigned char* in, std::size_t size) {
  std::uint64_t v0 = key.k0 ^ 0x736f6d6570736575ULL;
  std::uint64_t v1 = key.k1 ^ 0x646f72616e646f6dULL;
  std::uint64_t v2 = key.k0 ^ 0x6c7967656e657261ULL;
  std::uint64_t v3 = key.k1 ^ 0x7465646279746573ULL;
  auto round = [&] {
    v0 += v1;
    v2 += v3;
    v1 = rotl(v1, 13) ^ v0;
    v3 = rotl(v3, 16) ^ v2;
    v0 = rotl(v0, 32);
    v2 += v1;
    v0 += v3;
    v1 = rotl(v1, 17) ^ v2;
    v3 = rotl(v3, 21) ^ v0;
    v2 = rotl(v2, 32);
  };
  std::uint64_t b = static_cast<std::uint64_t>(size) << 56;
  while (size >= 8) {
    std::uint64_t m;
    std::memcpy(&m, in, 8);
    if constexpr (std::endian::native == std::endian::big) m = __builtin_bswap64(m);
    v3 ^= m;
    for (int i = 0; i < c_rounds; ++i) round();
    v0 ^= m;
    in += 8;
    size -= 8;
  }
  // The last 0-7 bytes, little-endian: two overlapping 4-byte reads, or three single ones.
  if (size >= 4) {
    b |= load_le32(in) | (std::uint64_t{load_le32(in + size - 4)} << (8 * (size - 4)));
  } else if (size > 0) {
    b |= std::uint64_t{in[0]} | (std::uint64_t{in[size / 2]} << (8 * (size / 2))) |
         (std::uint64_t{in[size - 1]} << (8 * (size - 1)));
  }
  v3 ^= b;
  for (int i = 0; i < c_rounds; ++i) round();
  v0 ^= b;
  v2 ^= 0xff;
  for (int i = 0; i < d_rounds; ++i) round();
  return (v0 ^ v1) ^ (v2 ^ v3);
}

std::uint64_t siphash13(SipKey key, const unsigned char* in, std::size_t size) { return siphash<1, 3>(key, in, size); }

// ---- the dict-key mode: str and bytes by SipHash-1-3 under a key drawn once per process
// (so that no input can be built to collide in it), cached; identity for instances

struct ProcessKeys {
  SipKey sip;
  std::uint64_t slot_multiplier;
  std::uint64_t name_base;  // the point name_hash's polynomial is evaluated at
};

const ProcessKeys& process_keys() noexcept {
  static const ProcessKeys keys = [] {
    std::uint64_t words[4] = {};
    try {
      std::random_device source;  // getrandom() on Linux
      for (std::uint64_t& w : words) w = (std::uint64_t{source()} << 32) ^ source();
    } catch (...) {
      // No entropy source: the clock and an address still differ between processes.
      const auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
      words[0] = t * 0x9E3779B97F4A7C15ULL;
      words[1] = std::bit_cast<std::uintptr_t>(&words) * 0xff51afd7ed558ccdULL;
      words[2] = t ^ words[1];
      words[3] = words[2] * 0xc4ceb9fe1a85ec53ULL;
    }
    // A base in [2**32, p - 1), far from the small values a polynomial degenerates at.
    const std::uint64_t base = (std::uint64_t{1} << 32) + words[3] % (kNamePrime - 2 - (std::uint64_t{1} << 32));
    return ProcessKeys{{words[0], words[1]}, words[2] | 1, base};
  }();
  return keys;
}

std::uint64_t hash_bytes(std::string_view s) {
  return siphash13(process_keys().sip, reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

struct KeyMode {
  static bool visit(int) { return true; }
  static void enter_container(int depth) {
    if (depth > kMaxKeyDepth) throw_key_depth();
  }
  static std::optional<std::uint64_t> floating(double d) { return hash_double(d); }
  static std::uint64_t str(const Str& s) {
    if (!Access::cached_hash(s)) Access::cache_hash(s, hash_str(s.utf8()));
    return Access::cached_hash(s);
  }
  static std::uint64_t bytes(const Bytes& b) {
    if (!Access::cached_hash(b)) Access::cache_hash(b, hash_bytes(b.chars()) | 1);
    return Access::cached_hash(b);
  }
  template <class Node>
  static std::uint64_t cached(const Node& n) {
    return Access::cached_hash(n);
  }
  template <class Node>
  static std::uint64_t cache(const Node& n, std::uint64_t h) {
    Access::cache_hash(n, h | 1);  // 0 means "not computed"
    return h | 1;
  }
  static std::optional<std::uint64_t> other(Value v) {
    switch (v.kind()) {
      case Kind::None: return 0x2e3f5a1dULL;
      case Kind::Global: {
        const Global& g = v.as_global();
        return hash_bytes(g.module()) * 31 + hash_bytes(g.qualname());
      }
      case Kind::Object:
      case Kind::PersistentId:
      case Kind::Native:
      case Kind::Iterator: return std::bit_cast<std::uintptr_t>(v.node()) >> 4;
      case Kind::Buffer:
        if (!v.as_buffer().is_memoryview()) return std::bit_cast<std::uintptr_t>(v.node()) >> 4;
        // memoryview.__hash__ hashes what it views: a bytearray, or for an out-of-band
        // buffer, as the library takes every writable one to be, a PickleBuffer of one.
        throw Error(ErrorType::TypeError, "unhashable type: 'bytearray'");
      default: throw_unhashable(v);
    }
  }
};

// ---- the CPython mode: CPython's hash() with PYTHONHASHSEED=seed (SipHash over str and
// bytes)

// CPython derives the key from PYTHONHASHSEED with a linear congruential generator
// (Python/bootstrap_hash.c, lcg_urandom); seed 0 means an all-zero key.
SipKey sip_key(std::uint32_t seed) {
  unsigned char secret[16] = {};
  if (seed != 0) {
    std::uint32_t x = seed;
    for (unsigned char& byte : secret) {
      x = x * 214013u + 2531011u;
      byte = static_cast<unsigned char>((x >> 16) & 0xff);
    }
  }
  SipKey key;
  std::memcpy(&key.k0, secret, 8);
  std::memcpy(&key.k1, secret + 8, 8);
  return key;
}

std::int64_t sip_hash_bytes(const CPythonHashes& hashes, const unsigned char* data, std::size_t size) {
  if (size == 0) return 0;
  const bool sip24 = hashes.python() < PythonVersion{3, 11};
  auto x = static_cast<std::int64_t>((sip24 ? siphash<2, 4> : siphash<1, 3>)(sip_key(hashes.seed()), data, size));
  return x == -1 ? -2 : x;
}

// A str is hashed over its PEP 393 representation: 1, 2 or 4 bytes per code point
// depending on the largest one.
std::int64_t sip_hash_str(const CPythonHashes& hashes, std::string_view wtf8) {
  if (std::all_of(wtf8.begin(), wtf8.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    // ASCII: its UTF-8 is its one-byte representation.
    return sip_hash_bytes(hashes, reinterpret_cast<const unsigned char*>(wtf8.data()), wtf8.size());
  }
  std::vector<char32_t> cps;
  char32_t max = 0;
  for (std::size_t i = 0; i < wtf8.size();) {
    const char32_t cp = wtf8::next(wtf8, i);
    cps.push_back(cp);
    if (cp > max) max = cp;
  }
  std::size_t width = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
  std::string data(cps.size() * width, '\0');
  for (std::size_t i = 0; i < cps.size(); ++i) {
    for (std::size_t k = 0; k < width; ++k) data[i * width + k] = static_cast<char>((cps[i] >> (8 * k)) & 0xff);
  }
  return sip_hash_bytes(hashes, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

struct CPythonMode {
  CPythonHashes& hashes;
  // Members visited: a graph of shared tuples has exponentially many paths, and CPython
  // recomputes a tuple's hash along each of them.
  std::size_t budget = std::size_t{1} << 20;

  bool visit(int) {  // (cpython_hash walks containers itself, without recursion)
    if (budget == 0) return false;
    --budget;
    return true;
  }
  static void enter_container(int) {}
  std::optional<std::uint64_t> floating(double d) const {
    // A NaN hashes by identity since 3.10, to 0 before.
    if (std::isnan(d)) return hashes.python() < PythonVersion{3, 10} ? std::optional<std::uint64_t>(0) : std::nullopt;
    return hash_double(d);
  }
  std::uint64_t str(const Str& s) const {
    return remembered(s, [&] { return static_cast<std::uint64_t>(sip_hash_str(hashes, s.utf8())); });
  }
  std::uint64_t bytes(const Bytes& b) const {
    return remembered(b, [&] {
      const auto v = b.view();
      return static_cast<std::uint64_t>(sip_hash_bytes(hashes, v.data(), v.size()));
    });
  }
  template <class F>
  std::uint64_t remembered(const Node& n, F compute) const {
    auto [it, added] = hashes.known().try_emplace(&n, 0);
    if (added) it->second = compute();
    return it->second;
  }
  // A frozenset's hash is kept (one that is 0, the mark of "not yet", is recomputed); a
  // tuple's is not.
  static std::uint64_t cached(const Tuple&) { return 0; }
  static std::uint64_t cache(const Tuple&, std::uint64_t h) { return h; }
  std::uint64_t cached(const Set& s) const {
    auto it = hashes.known().find(&s);
    return it == hashes.known().end() ? 0 : it->second;
  }
  std::uint64_t cache(const Set& s, std::uint64_t h) const {
    hashes.known().emplace(&s, h);
    return h;
  }
  // Classes and instances hash by address; so does None before 3.12, a constant since.
  std::optional<std::uint64_t> other(Value v) const {
    if (v.is_none() && hashes.python() >= PythonVersion{3, 12}) return 0xFCA86420;
    return std::nullopt;
  }
};

template <class Mode>
std::optional<std::uint64_t> hash_in(Value v, Mode& mode, int depth);

// A tuple's or frozenset's hash: its members' hashes combined by Combination (TupleHash,
// FrozenSetHash), memoized where the mode memoizes.
template <class Combination, class Container, class Mode>
std::optional<std::uint64_t> hash_container(const Container& c, Mode& mode, int depth) {
  if (std::uint64_t h = mode.cached(c)) return h;
  mode.enter_container(depth);
  Combination h;
  for (Value item : c) {
    const auto member = hash_in(item, mode, depth + 1);
    if (!member) return std::nullopt;
    h.add(*member);
  }
  return mode.cache(c, h.result(c.size()));
}

// hash(v) in either mode: numbers, tuples and frozensets as CPython; the mode decides str,
// bytes and the rest, and whether a failure throws (KeyMode) or gives up (nullopt).
template <class Mode>
std::optional<std::uint64_t> hash_in(Value v, Mode& mode, int depth) {
  if (!mode.visit(depth)) return std::nullopt;
  switch (v.kind()) {
    case Kind::Bool: return v.as_bool() ? 1 : 0;
    case Kind::Int: return int_hash(v);
    case Kind::Float: return mode.floating(v.as_float());
    case Kind::Complex: {
      const auto re = mode.floating(v.as_complex().real());
      const auto im = mode.floating(v.as_complex().imag());
      if (!re || !im) return std::nullopt;
      return complex_hash(*re, *im);
    }
    case Kind::Str: return mode.str(v.as_str());
    case Kind::Bytes: return mode.bytes(v.as_bytes());
    case Kind::Tuple: return hash_container<TupleHash>(v.as_tuple(), mode, depth);
    case Kind::FrozenSet: return hash_container<FrozenSetHash>(v.as_set(), mode, depth);
    default: return mode.other(v);
  }
}

}  // namespace

std::uint64_t hash_str(std::string_view utf8) noexcept { return hash_bytes(utf8) | 1; }

std::uint64_t slot_multiplier() noexcept { return process_keys().slot_multiplier; }
std::uint64_t hash_large_small_int(std::int64_t x) noexcept { return hash_int(IntRef(Value::integer(x))); }

std::uint64_t name_hash_extend(std::uint64_t h, std::string_view more) noexcept {
  // h * base + (byte + 1) modulo the Mersenne prime 2**61 - 1, byte by byte: two distinct
  // names of n bytes collide for at most n of the ~2**61 bases, and the base is secret.
  const std::uint64_t base = process_keys().name_base;
  for (unsigned char c : more) {
    const unsigned __int128 product = static_cast<unsigned __int128>(h) * base;
    h = (static_cast<std::uint64_t>(product) & kNamePrime) + static_cast<std::uint64_t>(product >> 61) + c + 1;
    h = (h & kNamePrime) + (h >> 61);
    if (h >= kNamePrime) h -= kNamePrime;
  }
  return h;
}

void throw_key_depth() {
  throw Error(ErrorType::RecursionError, "maximum recursion depth exceeded while hashing a key");
}

std::optional<std::int64_t> cpython_hash(Value v, CPythonHashes& hashes) {
  // Tuples and frozensets are walked with a stack of their own, not by recursion: CPython
  // hashes a frozenset nested thousands deep one level at a time as it builds it, each
  // inner one's hash kept, and so can this walk once the inner ones are known.
  CPythonMode mode{hashes};
  struct Frame {
    Value container;
    std::size_t next = 0;
    TupleHash tuple;
    FrozenSetHash set;
  };
  std::vector<Frame> stack;
  Value x = v;
  for (;;) {
    std::optional<std::uint64_t> h;
    if (x.is_tuple() || (x.kind() == Kind::FrozenSet && !mode.cached(x.as_set()))) {
      if (!mode.visit(0)) return std::nullopt;
      stack.push_back({x, 0, {}, {}});
    } else {
      h = x.kind() == Kind::FrozenSet ? mode.cached(x.as_set()) : hash_in(x, mode, 0);
      if (!h) return std::nullopt;
    }
    // Hand finished hashes to the containers waiting for them, up to one with an item
    // left to hash next.
    for (;;) {
      if (stack.empty()) return static_cast<std::int64_t>(*h);
      Frame& f = stack.back();
      const bool is_tuple = f.container.is_tuple();
      if (h) {
        is_tuple ? f.tuple.add(*h) : f.set.add(*h);
        h.reset();
      }
      const std::size_t size = is_tuple ? f.container.as_tuple().size() : f.container.as_set().size();
      if (f.next < size) {
        x = is_tuple ? f.container.as_tuple()[f.next] : *Set::Iterator{f.container.as_set().begin().e + f.next};
        ++f.next;
        break;
      }
      h = is_tuple ? f.tuple.result(size) : mode.cache(f.container.as_set(), f.set.result(size));
      stack.pop_back();
    }
  }
}

}  // namespace detail

std::uint64_t py_hash(Value v) {
  // str and int keys, most of a pickle's, without entering the walk.
  if (v.is_str()) return detail::KeyMode::str(v.as_str());
  if (v.is_int()) return detail::int_hash(v);
  detail::KeyMode mode;
  return *detail::hash_in(v, mode, 0);
}

// ---- equality -----------------------------------------------------------------------------

namespace {

using detail::kMaxKeyDepth;
using detail::throw_key_depth;

bool is_number(Kind k) { return k == Kind::Bool || k == Kind::Int || k == Kind::Float || k == Kind::Complex; }

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
    return x.negative() == y.negative() && detail::compare_magnitude(x.magnitude(), y.magnitude()) == 0;
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
      return a.as_global().module() == b.as_global().module() && a.as_global().qualname() == b.as_global().qualname();
    default: return false;  // identity was checked above
  }
}

}  // namespace

bool py_equal(Value a, Value b) {
  if (current_walk) return equal_at(a, b, *current_walk);
  EqualWalk walk;
  current_walk = &walk;
  struct Reset {
    ~Reset() { current_walk = nullptr; }
  } reset;
  return equal_at(a, b, walk);
}

// ---- iteration ----------------------------------------------------------------------------

namespace detail {

std::optional<std::vector<Value>> iterate(Graph& g, Value v) {
  std::vector<Value> items;
  switch (v.kind()) {
    case Kind::List: items.assign(v.as_list().begin(), v.as_list().end()); break;
    case Kind::Tuple: items.assign(v.as_tuple().begin(), v.as_tuple().end()); break;
    case Kind::Set:
    case Kind::FrozenSet: items = set_iteration_order(v.as_set(), 0); break;
    case Kind::Dict:
      items.reserve(v.as_dict().size());
      for (const Dict::Entry& e : v.as_dict()) items.push_back(e.key);
      break;
    case Kind::Bytes:
    case Kind::ByteArray:
      for (std::uint8_t b : v.as_bytes().view()) items.push_back(Value::integer(b));
      break;
    case Kind::Str: {
      const std::string_view s = v.as_str().utf8();
      for (std::size_t i = 0; i < s.size();) {
        const std::size_t start = i;
        wtf8::next(s, i);
        items.push_back(g.shared_or_new_str(s.substr(start, i - start)));
      }
      break;
    }
    case Kind::Iterator: {
      const Iterator& it = v.as_iterator();
      const bool pairs = it.over() == Iterator::Over::DictItems && it.source().is_dict();
      if (!pairs) {
        std::optional<std::vector<Value>> source_items = iterate(g, it.source());
        return source_items ? std::move(source_items) : std::vector<Value>();
      }
      for (const Dict::Entry& e : it.source().as_dict()) {
        Value pair[] = {e.key, e.value};
        items.push_back(g.new_tuple(pair));
      }
      break;
    }
    default: return std::nullopt;
  }
  return items;
}

}  // namespace detail
}  // namespace pickle
