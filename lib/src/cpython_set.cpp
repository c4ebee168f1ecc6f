#include "cpython_set.h"

#include <cmath>
#include <cstring>
#include <string>

#include "bigint.h"

namespace pickle::detail {

namespace {

// ---- SipHash-1-3, CPython 3.11's string hash ------------------------------------------

inline std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipKey {
  std::uint64_t k0, k1;
};

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

std::uint64_t siphash13(SipKey key, const unsigned char* in, std::size_t size) {
  std::uint64_t v0 = key.k0 ^ 0x736f6d6570736575ULL;
  std::uint64_t v1 = key.k1 ^ 0x646f72616e646f6dULL;
  std::uint64_t v2 = key.k0 ^ 0x6c7967656e657261ULL;
  std::uint64_t v3 = key.k1 ^ 0x7465646279746573ULL;
  auto round = [&] {
    v0 += v1; v2 += v3;
    v1 = rotl(v1, 13) ^ v0; v3 = rotl(v3, 16) ^ v2;
    v0 = rotl(v0, 32);
    v2 += v1; v0 += v3;
    v1 = rotl(v1, 17) ^ v2; v3 = rotl(v3, 21) ^ v0;
    v2 = rotl(v2, 32);
  };
  std::uint64_t b = static_cast<std::uint64_t>(size) << 56;
  while (size >= 8) {
    std::uint64_t m;
    std::memcpy(&m, in, 8);
    v3 ^= m;
    round();
    v0 ^= m;
    in += 8;
    size -= 8;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, in, size);
  b |= tail;
  v3 ^= b;
  round();
  v0 ^= b;
  v2 ^= 0xff;
  round();
  round();
  round();
  return (v0 ^ v1) ^ (v2 ^ v3);
}

std::int64_t hash_bytes(std::uint32_t seed, const unsigned char* data, std::size_t size) {
  if (size == 0) return 0;
  auto x = static_cast<std::int64_t>(siphash13(sip_key(seed), data, size));
  return x == -1 ? -2 : x;
}

// A str is hashed over its PEP 393 representation: 1, 2 or 4 bytes per code point
// depending on the largest one.
std::int64_t hash_str(std::uint32_t seed, std::string_view wtf8) {
  std::vector<char32_t> cps;
  char32_t max = 0;
  for (std::size_t i = 0; i < wtf8.size();) {
    auto c = static_cast<unsigned char>(wtf8[i]);
    char32_t cp;
    std::size_t n;
    if (c < 0x80) { cp = c; n = 1; }
    else if (c < 0xe0) { cp = c & 0x1f; n = 2; }
    else if (c < 0xf0) { cp = c & 0x0f; n = 3; }
    else { cp = c & 0x07; n = 4; }
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(wtf8[i + k]) & 0x3f);
    cps.push_back(cp);
    if (cp > max) max = cp;
    i += n;
  }
  std::size_t width = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
  std::string data(cps.size() * width, '\0');
  for (std::size_t i = 0; i < cps.size(); ++i) {
    for (std::size_t k = 0; k < width; ++k) data[i * width + k] = static_cast<char>((cps[i] >> (8 * k)) & 0xff);
  }
  return hash_bytes(seed, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::optional<std::int64_t> hash_float(double d) {
  if (std::isnan(d)) return std::nullopt;  // hashed by identity since 3.10
  return static_cast<std::int64_t>(hash_double(d));
}

// `budget` bounds the members visited: a graph of shared tuples has exponentially many
// paths, and CPython recomputes a tuple's hash along each of them.
std::optional<std::int64_t> hash_at(Value v, std::uint32_t seed, int depth, std::size_t& budget) {
  if (depth > 100 || budget == 0) return std::nullopt;
  --budget;
  switch (v.kind()) {
    case Kind::Bool: return v.as_bool() ? 1 : 0;
    case Kind::Int: return static_cast<std::int64_t>(hash_int(IntRef(v)));
    case Kind::Float: return hash_float(v.as_float());
    case Kind::Complex: {
      auto re = hash_float(v.as_complex().real());
      auto im = hash_float(v.as_complex().imag());
      if (!re || !im) return std::nullopt;
      std::uint64_t h = static_cast<std::uint64_t>(*re) + 1000003ULL * static_cast<std::uint64_t>(*im);
      auto r = static_cast<std::int64_t>(h);
      return r == -1 ? -2 : r;
    }
    case Kind::Str: return hash_str(seed, v.as_str().utf8());
    case Kind::Bytes: {
      auto b = v.as_bytes().view();
      return hash_bytes(seed, b.data(), b.size());
    }
    case Kind::Tuple: {
      // xxHash-based (Objects/tupleobject.c).
      std::uint64_t acc = 2870177450012600261ULL;
      for (Value item : v.as_tuple()) {
        auto lane = hash_at(item, seed, depth + 1, budget);
        if (!lane) return std::nullopt;
        acc += static_cast<std::uint64_t>(*lane) * 14029467366897019727ULL;
        acc = rotl(acc, 31);
        acc *= 11400714785074694791ULL;
      }
      acc += v.as_tuple().size() ^ (2870177450012600261ULL ^ 3527539ULL);
      if (acc == static_cast<std::uint64_t>(-1)) return 1546275796;
      return static_cast<std::int64_t>(acc);
    }
    case Kind::FrozenSet: {
      // Objects/setobject.c frozenset_hash: xor of shuffled member hashes, independent of
      // the table layout once its corrections for empty and dummy slots are applied.
      std::uint64_t h = 0;
      for (Value item : v.as_set()) {
        auto m = hash_at(item, seed, depth + 1, budget);
        if (!m) return std::nullopt;
        auto x = static_cast<std::uint64_t>(*m);
        h ^= ((x ^ 89869747ULL) ^ (x << 16)) * 3644798167ULL;
      }
      h ^= (static_cast<std::uint64_t>(v.as_set().size()) + 1) * 1927868237ULL;
      h ^= (h >> 11) ^ (h >> 25);
      h = h * 69069U + 907133923ULL;
      if (h == static_cast<std::uint64_t>(-1)) h = 590923713ULL;
      return static_cast<std::int64_t>(h);
    }
    default:
      return std::nullopt;  // None, classes, instances: by address in CPython 3.11
  }
}

}  // namespace

std::optional<std::int64_t> cpython_hash(Value v, std::uint32_t seed) {
  std::size_t budget = std::size_t{1} << 20;
  return hash_at(v, seed, 0, budget);
}

std::optional<std::vector<std::uint32_t>> cpython_set_order(std::span<const Value> members,
                                                             std::uint32_t seed) {
  // Objects/setobject.c: open addressing with runs of up to 10 linear probes, then
  // perturbed jumps; the table grows (to the next power of two above used*4, or used*2
  // past 50000 entries) when fill*5 >= mask*3. Members of a Set are distinct, so an
  // insertion never finds an equal entry.
  constexpr std::size_t kMinSize = 8, kLinearProbes = 9, kPerturbShift = 5;
  struct Slot {
    std::uint64_t hash;
    std::uint32_t member;  // index + 1; 0 = empty
  };
  std::vector<std::uint64_t> hashes(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto h = cpython_hash(members[i], seed);
    if (!h) return std::nullopt;
    hashes[i] = static_cast<std::uint64_t>(*h);
  }
  std::vector<Slot> table(kMinSize);
  std::size_t mask = kMinSize - 1, fill = 0;

  auto insert_clean = [](std::vector<Slot>& t, std::size_t m, std::uint64_t hash, std::uint32_t member) {
    std::size_t perturb = hash;
    std::size_t i = hash & m;
    for (;;) {
      if (!t[i].member) {
        t[i] = {hash, member};
        return;
      }
      if (i + kLinearProbes <= m) {
        for (std::size_t j = 1; j <= kLinearProbes; ++j) {
          if (!t[i + j].member) {
            t[i + j] = {hash, member};
            return;
          }
        }
      }
      perturb >>= kPerturbShift;
      i = (i * 5 + 1 + perturb) & m;
    }
  };

  for (std::size_t k = 0; k < members.size(); ++k) {
    std::uint64_t hash = hashes[k];
    std::size_t perturb = hash;
    std::size_t i = hash & mask;
    for (bool placed = false; !placed;) {
      std::size_t probes = (i + kLinearProbes <= mask) ? kLinearProbes : 0;
      for (std::size_t j = 0; j <= probes; ++j) {
        if (!table[i + j].member) {
          table[i + j] = {hash, static_cast<std::uint32_t>(k + 1)};
          placed = true;
          break;
        }
      }
      if (!placed) {
        perturb >>= kPerturbShift;
        i = (i * 5 + 1 + perturb) & mask;
      }
    }
    ++fill;
    if (fill * 5 >= mask * 3) {
      std::size_t used = fill;
      std::size_t minused = used > 50000 ? used * 2 : used * 4;
      std::size_t size = kMinSize;
      while (size <= minused) size <<= 1;
      std::vector<Slot> grown(size);
      for (const Slot& s : table) {
        if (s.member) insert_clean(grown, size - 1, s.hash, s.member);
      }
      table = std::move(grown);
      mask = size - 1;
    }
  }
  std::vector<std::uint32_t> order;
  order.reserve(members.size());
  for (const Slot& s : table) {
    if (s.member) order.push_back(s.member - 1);
  }
  return order;
}

std::vector<Value> set_iteration_order(const Set& s, std::uint32_t seed) {
  std::vector<Value> members;
  members.reserve(s.size());
  for (Value v : s) members.push_back(v);
  auto order = cpython_set_order(members, seed);
  if (!order) return members;
  std::vector<Value> ordered;
  ordered.reserve(members.size());
  for (std::uint32_t i : *order) ordered.push_back(members[i]);
  return ordered;
}

}  // namespace pickle::detail
