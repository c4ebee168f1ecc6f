// A model of CPython's set table, replaying insertions to find its iteration order.
#include "cpython_set.h"

#include "pyobject.h"

namespace pickle::detail {

std::optional<std::vector<std::uint32_t>> cpython_set_order(std::span<const Value> members, CPythonHashes& known) {
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
    auto h = cpython_hash(members[i], known);
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

std::vector<Value> set_iteration_order(const Set& s, CPythonHashes& hashes) {
  std::vector<Value> members;
  members.reserve(s.size());
  for (Value v : s) members.push_back(v);
  auto order = cpython_set_order(members, hashes);
  if (!order) return members;
  std::vector<Value> ordered;
  ordered.reserve(members.size());
  for (std::uint32_t i : *order) ordered.push_back(members[i]);
  return ordered;
}

}  // namespace pickle::detail
