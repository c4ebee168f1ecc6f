// The pickler: CPython 3.11's C pickler (Modules/_pickle.c, save_*) reproduced opcode by
// opcode. The recursion of CPython's save() is replaced by an explicit task stack, so a
// graph nested a million deep pickles without touching the C++ stack: each task is one
// step CPython takes (save a value, write bytes, check the memo after the children of a
// tuple, ...), pushed in reverse so that they run in CPython's order.
#include "pickle/pickler.h"

#include <cmath>
#include <cstring>
#include <algorithm>
#include <charconv>
#include <bit>
#include <cstdlib>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bigint.h"
#include "codecs.h"
#include "cpython_set.h"
#include "pickle/copyreg.h"
#include "pickle/error.h"
#include "pickle/opcodes.h"
#include "pytext.h"
#include "reduce.h"
#include "access.h"
#include "globals.h"
#include "value_internal.h"
#include "wtf8.h"

namespace pickle {

namespace {

constexpr std::size_t kBatchSize = 1000;
constexpr std::size_t kFrameSizeTarget = 64 * 1024;
constexpr std::size_t kFrameSizeMin = 4;
constexpr std::size_t kFrameHeaderSize = 9;
constexpr int kFastNestingLimit = 50;

constexpr char op(Op o) { return static_cast<char>(o); }

[[noreturn]] void pickling_error(std::string message) { throw Error(ErrorType::PicklingError, std::move(message)); }

inline void put_le(char* out, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
using detail::put_be64;
using detail::put_le32;

// The output under construction. A pickle is mostly writes of 1 to 9 bytes, so the
// buffer is a std::string used as raw storage (its size is the capacity, `len_` what has
// been written): a write is a bounds check and a copy, and dumps() returns the string
// without copying it.
class OutBuffer {
 public:
  std::size_t size() const noexcept { return len_; }
  bool empty() const noexcept { return len_ == 0; }
  void clear() noexcept { len_ = 0; }
  const char* data() const noexcept { return buf_.data(); }
  char& operator[](std::size_t i) noexcept { return buf_[i]; }
  // Inlined, so that the fixed-size copies of opcodes and their arguments compile to
  // plain moves instead of calls to memcpy.
  [[gnu::always_inline]] void append(const char* s, std::size_t n) {
    if (buf_.size() - len_ < n) grow(n);
    std::memcpy(buf_.data() + len_, s, n);
    len_ += n;
  }
  /// Room for n more bytes, to be filled by the caller.
  [[gnu::always_inline]] char* extend(std::size_t n) {
    if (buf_.size() - len_ < n) grow(n);
    char* p = buf_.data() + len_;
    len_ += n;
    return p;
  }
  void append(std::size_t n, char c) {
    if (buf_.size() - len_ < n) grow(n);
    std::memset(buf_.data() + len_, c, n);
    len_ += n;
  }
  /// Gives back the last n bytes of an extend().
  void shrink(std::size_t n) noexcept { len_ -= n; }
  void erase(std::size_t pos, std::size_t n) noexcept {
    std::memmove(buf_.data() + pos, buf_.data() + pos + n, len_ - pos - n);
    len_ -= n;
  }
  std::string take() {
    buf_.resize(len_);
    len_ = 0;
    return std::exchange(buf_, std::string());
  }

 private:
  [[gnu::noinline]] void grow(std::size_t n) {
    if (n > buf_.max_size() - len_) throw Error(ErrorType::MemoryError, "pickle output too large");
    buf_.resize(std::max(len_ + n, std::max<std::size_t>(buf_.size() * 2, 256)));
  }
  std::string buf_;
  std::size_t len_ = 0;
};

// Memo keys: a node's address, or for an identity that is no node (see memo_key) the
// address of a stand-in, shifted and made odd so that it can never be taken for a node.
const void* stand_in_key(const void* p) noexcept {
  return reinterpret_cast<const void*>((reinterpret_cast<std::uintptr_t>(p) << 1) | 1);
}
bool is_node_key(const void* key) noexcept { return (reinterpret_cast<std::uintptr_t>(key) & 1) == 0; }

// A memo table of more slots than this is given back by clear() when the last dump used
// little of it: a run of small dumps after a large one does not clear the large one's
// table each time.
constexpr std::size_t kKeptMemoSlots = 4096;

// Identity -> memo index, as an open-addressing table.
class AddressTable {
 public:
  std::size_t size() const noexcept { return size_; }
  const std::uint64_t* find(const void* key) const noexcept {
    if (slots_.empty()) return nullptr;
    const Slot& s = slots_[probe(key)];
    return s.key ? &s.value : nullptr;
  }
  /// key -> value, replacing an existing entry. True if the key is new.
  bool insert(const void* key, std::uint64_t value) {
    if ((size_ + 1) * 2 > slots_.size()) rehash();
    Slot& s = slots_[probe(key)];
    const bool added = s.key == nullptr;
    size_ += added;
    s = {key, value};
    return added;
  }
  /// Empty again; the table is kept for the next dump, unless large and little used.
  void clear() noexcept {
    if (slots_.size() > kKeptMemoSlots && size_ * 8 < slots_.size()) {
      slots_ = {};
      mask_ = 0;
    } else {
      std::fill(slots_.begin(), slots_.end(), Slot{});
    }
    size_ = 0;
  }

 private:
  struct Slot {
    const void* key = nullptr;
    std::uint64_t value = 0;
  };
  // The slot holding key, or the empty slot where it would go. As in CPython's memo
  // table, the first probe is by address: nodes allocated one after the other fall in
  // nearby slots; collisions continue with CPython's dict probe sequence, which does
  // not build clusters.
  std::size_t probe(const void* key) const noexcept {
    std::size_t hash = reinterpret_cast<std::uintptr_t>(key) >> 4;
    std::size_t i = hash & mask_;
    for (std::size_t perturb = hash; slots_[i].key && slots_[i].key != key;) {
      perturb >>= 5;
      i = (i * 5 + perturb + 1) & mask_;
    }
    return i;
  }
  void rehash() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.key) slots_[probe(s.key)] = s;
    }
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

// The memo: object identity -> memo index. A node's entry goes in the slot of a dense
// array its serial (creation order in its graph) picks: a graph dumped in about the order
// it was built, as a loaded one is, fills the array front to back, with no hashing and a
// quarter of a hash table's memory. The slot keeps the key, so a node whose slot another
// graph's node holds, a stand-in key, and a serial far past the entries so far (which
// would make the array sparse) go to an AddressTable instead.
class IdentityMap {
 public:
  IdentityMap() = default;
  IdentityMap(const IdentityMap&) = delete;
  IdentityMap& operator=(const IdentityMap&) = delete;
  ~IdentityMap() { detail::free_block(dense_, dense_capacity_ * sizeof(Slot)); }

  std::size_t size() const noexcept { return size_; }

  const std::uint64_t* find(const void* key) const noexcept {
    const std::size_t i = dense_index(key);
    if (i < dense_capacity_ && dense_[i].key == key) return &dense_[i].value;
    return others_.size() ? others_.find(key) : nullptr;
  }

  /// key -> value, replacing an existing entry (as CPython's PyMemoTable_Set).
  [[gnu::always_inline]] void insert(const void* key, std::uint64_t value) {
    const std::size_t i = dense_index(key);
    if (i < dense_capacity_ && !dense_[i].key && !nodes_elsewhere_) [[likely]] {
      fill(i, key, value);
      return;
    }
    insert_slow(i, key, value);
  }

  /// Empty again; the array is kept for the next dump, unless large and little used.
  void clear() noexcept {
    if (dense_capacity_ > kKeptMemoSlots && size_ * 8 < dense_capacity_) {
      detail::free_block(std::exchange(dense_, nullptr), dense_capacity_ * sizeof(Slot));
      dense_capacity_ = 0;
    } else if (dense_used_) {
      std::memset(static_cast<void*>(dense_), 0, dense_used_ * sizeof(Slot));
    }
    dense_used_ = 0;
    nodes_elsewhere_ = false;
    beyond_min_ = kNoIndex;
    others_.clear();
    size_ = 0;
  }

 private:
  static constexpr std::size_t kNoIndex = std::numeric_limits<std::size_t>::max();
  // The array may reach this many slots before any entry is made, then eight per entry.
  static constexpr std::size_t kFreeSlots = std::size_t{1} << 16;
  struct Slot {
    const void* key;
    std::uint64_t value;
  };

  static std::size_t dense_index(const void* key) noexcept {
    if (!is_node_key(key)) return kNoIndex;
    const std::uint32_t serial = static_cast<const detail::Node*>(key)->serial;
    return serial ? serial : kNoIndex;
  }
  void fill(std::size_t i, const void* key, std::uint64_t value) noexcept {
    dense_[i] = {key, value};
    ++size_;
    dense_used_ = std::max(dense_used_, i + 1);
  }

  [[gnu::noinline]] void insert_slow(std::size_t i, const void* key, std::uint64_t value) {
    if (i != kNoIndex) {
      if (i >= dense_capacity_) grow_dense(i);
      if (i < dense_capacity_) {
        Slot& s = dense_[i];
        if (s.key == key) {
          s.value = value;
          return;
        }
        // A node put in the AddressTable before the array reached its slot stays there.
        if (!s.key && !(nodes_elsewhere_ && others_.find(key))) {
          fill(i, key, value);
          return;
        }
        // Its slot is another graph's node's, and stays so until clear(): the inserts
        // of this key keep coming here, and find it in the AddressTable.
      } else {
        beyond_min_ = std::min(beyond_min_, i);
      }
    }
    size_ += others_.insert(key, value);
  }

  // Room for slot i, if the array stays within kFreeSlots or 8 slots an entry.
  void grow_dense(std::size_t i) {
    const std::size_t capacity = std::bit_ceil(i + 1);
    if (capacity > std::max(kFreeSlots, 8 * (size_ + 1))) return;
    auto* grown = static_cast<Slot*>(
        detail::resize_block(dense_, dense_capacity_ * sizeof(Slot), capacity * sizeof(Slot), /*zero_new=*/true));
    if (!grown) return;  // the AddressTable takes the entry
    dense_ = grown;
    dense_capacity_ = capacity;
    // A node the AddressTable took for want of its slot now has one, empty: from now on
    // an insert into an empty slot checks the AddressTable first.
    if (beyond_min_ < dense_capacity_) nodes_elsewhere_ = true;
  }

  Slot* dense_ = nullptr;  // a large one is remapped rather than copied (detail::resize_block)
  std::size_t dense_capacity_ = 0;
  std::size_t dense_used_ = 0;         // slots up to the last one filled
  bool nodes_elsewhere_ = false;       // a node key is in others_ while its slot is empty
  std::size_t beyond_min_ = kNoIndex;  // the lowest slot of a node key put in others_ beyond the array
  AddressTable others_;
  std::size_t size_ = 0;
};

// Identity keys for objects that CPython shares but the graph may not: every empty or
// one-character Latin-1 str is one object in CPython, as are b'' and the one-byte bytes
// made by bytes constructors. Their memo keys are these addresses, by value.
const char kSmallStrKeys[257] = {};
const char kSmallBytesKeys[257] = {};

}  // namespace

struct Pickler::Impl {
  PicklerOptions opts;
  int proto = 4;
  bool bin = true;
  Sink* sink = nullptr;

  // ---- output, with CPython's framing --------------------------------------------------
  OutBuffer out;
  bool framing = false;
  std::ptrdiff_t frame_start = -1;

  [[gnu::always_inline]] void write(const char* s, std::size_t n) {
    char* p = write_ptr(n);
    if (n) std::memcpy(p, s, n);  // s may be null when n is 0 (an empty bytearray)
  }
  /// Where the next n bytes of output go (the caller writes them).
  [[gnu::always_inline]] char* write_ptr(std::size_t n) {
    if (framing && frame_start < 0) [[unlikely]] {
      frame_start = static_cast<std::ptrdiff_t>(out.size());
      out.append(kFrameHeaderSize, '\xfe');
    }
    return out.extend(n);
  }
  void write(std::string_view s) { write(s.data(), s.size()); }
  [[gnu::always_inline]] void write_op(Op o) { *write_ptr(1) = op(o); }
  void commit_frame() {
    if (!framing || frame_start < 0) return;
    std::size_t start = static_cast<std::size_t>(frame_start);
    std::size_t len = out.size() - start - kFrameHeaderSize;
    if (len >= kFrameSizeMin) {
      out[start] = op(Op::FRAME);
      put_le(&out[start + 1], len, 8);
    } else {
      out.erase(start, kFrameHeaderSize);  // tiny frames are dropped
    }
    frame_start = -1;
  }
  void flush_to_sink() {
    commit_frame();
    if (!out.empty()) sink->write(std::span(reinterpret_cast<const std::uint8_t*>(out.data()), out.size()));
    out.clear();
  }
  // Runs at the start of every save(): a frame closes at the first save boundary after
  // its payload reaches 64 KiB.
  [[gnu::always_inline]] void opcode_boundary() {
    if (framing && frame_start >= 0 &&
        out.size() - static_cast<std::size_t>(frame_start) - kFrameHeaderSize >= kFrameSizeTarget) [[unlikely]] {
      end_frame();
    }
  }
  [[gnu::noinline]] void end_frame() {
    commit_frame();
    if (sink) flush_to_sink();
  }
  // Payloads of 64 KiB and more are written outside frames (and straight to a sink).
  void write_bytes(std::string_view header, std::string_view data) {
    bool bypass = data.size() >= kFrameSizeTarget;
    bool saved_framing = framing;
    if (bypass) {
      commit_frame();
      framing = false;
    }
    write(header);
    if (bypass && sink) {
      flush_to_sink();
      const std::span payload(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
      // A temporary of this Pickler's (a latin1 str standing for bytes, a reducer's
      // result) does not outlive it: only the dumped value's own data is a lasting payload.
      if (detail::Access::arena(scratch).holds(data.data())) {
        sink->write(payload);
      } else {
        sink->write_payload(payload);
      }
    } else {
      write(data);
    }
    framing = saved_framing;
  }

  // ---- memo -----------------------------------------------------------------------------
  IdentityMap memo;

  // CPython shares some objects that graphs may hold several of, and creates others
  // afresh while reducing. Memo keys follow CPython's identities:
  //  * a class or function is one object per module.qualname (key: its name);
  //  * the empty str, the one-character Latin-1 strs decoders return, b'' and the
  //    one-byte bytes the bytes constructors share are one object each (key: the value);
  //  * the instance-dict keys BUILD interned are one object per value (a one-character
  //    one is the shared str, except in 3.11);
  //  * the strs naming a global's module and qualified name are one object per name
  //    (scratch nodes created once; a one-character one is CPython's shared str);
  //  * temporaries (argument tuples, latin1 strs of bytes) are fresh scratch nodes.
  std::unordered_map<std::string, char> global_keys;
  std::unordered_map<std::string, Value> name_strs;
  Graph scratch;

  // One string per (module, qualname) pair: length-prefixed, as names may hold any
  // character (NUL included: b.'\0x' and 'b\0'.x are two globals).
  static std::string pair_key(std::string_view module, std::string_view qualname) {
    std::string k = std::to_string(module.size());
    k += ':';
    k += module;
    k += qualname;
    return k;
  }
  const void* global_key(std::string_view module, std::string_view qualname) {
    return stand_in_key(&global_keys[pair_key(module, qualname)]);
  }

  const void* memo_key(Value v) {
    switch (v.kind()) {
      case Kind::Str: {
        // The empty str is one object; so is each one-character Latin-1 str that a decoder
        // or str operation made (Graph::shared_or_new_str). Interned and literal ones are others.
        std::string_view s = v.as_str().utf8();
        const auto* u = reinterpret_cast<const unsigned char*>(s.data());
        if (s.empty()) return stand_in_key(&kSmallStrKeys[256]);
        if (!(v.node()->flags & detail::kSharedSingleton)) return v.node();
        if (s.size() == 1) return stand_in_key(&kSmallStrKeys[u[0]]);
        return stand_in_key(&kSmallStrKeys[((u[0] & 0x1f) << 6) | (u[1] & 0x3f)]);
      }
      case Kind::Bytes: {
        const Bytes& b = v.as_bytes();
        if (b.size() == 0) return stand_in_key(&kSmallBytesKeys[256]);
        if (b.size() == 1 && (v.node()->flags & detail::kSharedSingleton)) {
          return stand_in_key(&kSmallBytesKeys[b.view()[0]]);
        }
        return v.node();
      }
      case Kind::Global: return global_key(v.as_global().module(), v.as_global().qualname());
      default: return v.node();
    }
  }

  /// The one str object with `content` CPython uses in role `role` under `key`.
  Value name_str(std::string_view role, std::string_view key, std::string_view content) {
    std::string k(role);
    k += '\0';
    k += key;
    auto it = name_strs.find(k);
    if (it == name_strs.end()) {
      // A module or class name of one Latin-1 character is the str CPython shares
      // (checked against CPython: pickle.dumps((m.K, 'K')) memoizes 'K' once). So is an
      // interned one, except in 3.11, whose shared one-character strs are not the ones
      // interned.
      bool shared = role == "module" || role == "module-of-C-function" || role == "qualname" ||
                    (role == "interned" && opts.python != PythonVersion{3, 11});
      it = name_strs.emplace(k, shared ? scratch.shared_or_new_str(content) : scratch.new_str(content)).first;
    }
    return it->second;
  }

  // memo_get_write, the binary GETs inline.
  [[gnu::always_inline]] void write_get(std::uint64_t idx) {
    if (bin && idx < 256) {
      char* p = write_ptr(2);
      p[0] = op(Op::BINGET);
      p[1] = static_cast<char>(idx);
    } else if (bin && idx <= 0xffffffffULL) {
      char* p = write_ptr(5);
      p[0] = op(Op::LONG_BINGET);
      put_le32(p + 1, static_cast<std::uint32_t>(idx));
    } else {
      memo_get_write(idx);
    }
  }
  [[gnu::noinline]] void memo_get_write(std::uint64_t idx) {
    char buf[5];
    if (!bin) {
      write_decimal_line(Op::GET, idx);
    } else if (idx < 256) {
      buf[0] = op(Op::BINGET);
      buf[1] = static_cast<char>(idx);
      write(buf, 2);
    } else if (idx <= 0xffffffffULL) {
      buf[0] = op(Op::LONG_BINGET);
      put_le(buf + 1, idx, 4);
      write(buf, 5);
    } else {
      pickling_error("memo id too large for LONG_BINGET");
    }
  }

  // A text opcode whose argument is a decimal integer: "I42\n", "p7\n", "g7\n".
  template <class Int>
  void write_decimal_line(Op opcode, Int x) {
    char buf[24];  // opcode, 20 digits or a sign and 19, newline
    buf[0] = op(opcode);
    char* end = std::to_chars(buf + 1, buf + sizeof buf - 1, x).ptr;
    *end++ = '\n';
    write(buf, static_cast<std::size_t>(end - buf));
  }

  // Whether saving the object of `key` memoizes it.
  bool memoizes(const void* key) const { return key && !opts.fast; }
  void memo_put(const void* key) {
    if (!memoizes(key)) return;
    std::uint64_t idx = memo.size();
    memo.insert(key, idx);
    if (proto >= 4) {
      write_op(Op::MEMOIZE);
    } else {
      write_put(idx);
    }
  }
  // BINPUT or LONG_BINPUT of a memo index below 2**32: its size, and its bytes at p.
  static std::size_t binput_size(std::uint64_t idx) { return idx < 256 ? 2 : 5; }
  static void encode_binput(char* p, std::uint64_t idx) {
    if (idx < 256) {
      p[0] = op(Op::BINPUT);
      p[1] = static_cast<char>(idx);
    } else {
      p[0] = op(Op::LONG_BINPUT);
      put_le32(p + 1, static_cast<std::uint32_t>(idx));
    }
  }
  // PUT, BINPUT or LONG_BINPUT: below protocol 4, apart from the MEMOIZE path.
  [[gnu::noinline]] void write_put(std::uint64_t idx) {
    if (!bin) {
      write_decimal_line(Op::PUT, idx);
    } else if (idx <= 0xffffffffULL) {
      encode_binput(write_ptr(binput_size(idx)), idx);
    } else {
      pickling_error("memo id too large for LONG_BINPUT");
    }
  }
  const std::uint64_t* memo_find(const void* key) const { return memo.find(key); }

  // ---- the task stack ---------------------------------------------------------------------
  enum class T : std::uint8_t {
    Save,          // save(v)
    SavePersId,    // save(pid) without consulting persistent_id again
    Write,         // literal bytes (inline)
    WriteOp,       // one opcode
    MemoPut,       // memo_put(key)
    TupleEnd,      // after a tuple's items: recursion check, TUPLEn, memo
    FrozenSetEnd,  // after a frozenset's items at protocol 4+
    ReduceEnd,     // after callable and args: recursion check, memo, items, state
    ListExact,     // batch_list_exact from index a
    DictExact,     // batch_dict_exact from index a
    SetBatch,      // save_set batches over the iteration order
    Items,         // batch_list over a span of values
    Pairs,         // batch_dict over a span of entries
    NotPairs,      // batch_dict reached an item that is not a 2-tuple
    FastLeave,     // fast mode: leave a container
  };
  struct Task {
    T kind;
    std::uint8_t len = 0;  // Write: number of inline bytes
    char bytes[6] = {};
    Value v;
    const void* key = nullptr;
    std::size_t a = 0, b = 0;
  };
  std::vector<Task> tasks;
  std::vector<Task> pending;  // a sequence in reading order, pushed reversed by flush()

  // Tasks are built in place: copying a Task just built field by field would reload in
  // wide chunks what was just stored in narrow ones, which stalls the store buffer.
  [[gnu::always_inline]] Task& later(T kind, Value v = Value(), const void* key = nullptr, std::size_t a = 0,
                                     std::size_t b = 0) {
    Task& t = pending.emplace_back();
    t.kind = kind;
    t.v = v;
    t.key = key;
    t.a = a;
    t.b = b;
    return t;
  }
  void later_save(Value v) { later(T::Save, v); }
  void later_op(Op o) { later(T::WriteOp).bytes[0] = op(o); }
  void later_write(std::string_view s) {
    Task& t = later(T::Write);
    t.len = static_cast<std::uint8_t>(s.size());
    std::memcpy(t.bytes, s.data(), s.size());
  }
  // emit_*: as later_*, but done at once while nothing is pending (so the order is the
  // same), which keeps the values that need no task -- numbers, str, bytes -- off the
  // task stack. Only for functions that write nothing themselves after emitting.
  void emit_op(Op o) {
    if (pending.empty()) {
      write_op(o);
    } else {
      later_op(o);
    }
  }
  // A container among them is saved at once too, its own tasks run before returning
  // (save_nested), down to kNestedSaves levels: nearly every real graph pickles without
  // queuing a task per item, and a deeper one still without recursion below that.
  // kNest = false is for items read through a pointer that saving a container (which may
  // call back into user code, which may grow the items' owner) could move.
  template <bool kNest = true>
  [[gnu::always_inline]] void emit_save(Value v) {
    if (pending.empty()) {
      if (save_number(v) || save_leaf(v)) return;
      if (kNest && nested_saves < kNestedSaves) {
        save_nested(v);
        return;
      }
    }
    later_save(v);
  }
  static constexpr int kNestedSaves = 48;
  int nested_saves = 0;
  [[gnu::noinline]] void save_nested(Value v) {
    const std::size_t mark = tasks.size();
    ++nested_saves;
    save(v, false);
    run_to(mark);
    --nested_saves;
  }
  // BININT1/BININT2/BININT for an int in int32 range (x as uint32), stored straight into
  // the output (byte stores the compiler merges).
  [[gnu::always_inline]] void write_binint(std::uint32_t u) {
    if (u > 0xffff) {
      char* p = write_ptr(5);
      p[0] = op(Op::BININT);
      put_le32(p + 1, u);
    } else if (u > 0xff) {
      char* p = write_ptr(3);
      p[0] = op(Op::BININT2);
      put_le(p + 1, u, 2);
    } else {
      char* p = write_ptr(2);
      p[0] = op(Op::BININT1);
      p[1] = static_cast<char>(u);
    }
  }
  static std::size_t binint_size(std::uint32_t u) { return u > 0xffff ? 5 : u > 0xff ? 3 : 2; }
  // Stores BINFLOAT at p and returns the end.
  [[gnu::always_inline]] static char* put_binfloat(char* p, double x) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, 8);
    p[0] = op(Op::BINFLOAT);
    put_be64(p + 1, bits);
    return p + 9;
  }
  // What emit_save does for the ints in int32 range and floats at the start of
  // items[i, end), without its checks per item: the output room and the frame's end are
  // checked once per run. Returns the index of the first item not saved (or end). Only
  // while nothing is pending, in binary protocols without persistent_id.
  [[gnu::noinline]] std::size_t save_numbers(const Value* items, std::size_t i, std::size_t end) {
    constexpr std::size_t kMaxNumberSize = 9;
    while (i < end) {
      opcode_boundary();
      std::size_t in_frame = 0;
      if (framing && frame_start >= 0) in_frame = out.size() - static_cast<std::size_t>(frame_start) - kFrameHeaderSize;
      // A frame ends before an opcode that would start at or past its target size; only the
      // first number was checked, so the run is short enough for the others to start before.
      std::size_t n = std::max<std::size_t>(1, (kFrameSizeTarget - in_frame) / kMaxNumberSize);
      n = std::min(n, end - i);
      char* const start = write_ptr(n * kMaxNumberSize);
      char* p = start;
      const std::size_t run_end = i + n;
      for (; i < run_end; ++i) {
        const Value v = items[i];
        if (v.is_small_int()) {
          const std::int64_t x = v.as_int();
          if (x < INT32_MIN || x > INT32_MAX) break;
          // Without branches: the 4 bytes are stored whatever the opcode's size (the room
          // reserved allows it); only the opcode's own are kept.
          const auto u = static_cast<std::uint32_t>(x);
          const std::size_t size = binint_size(u);
          p[0] = size == 5 ? op(Op::BININT) : size == 3 ? op(Op::BININT2) : op(Op::BININT1);
          put_le32(p + 1, u);
          p += size;
        } else if (v.is_float()) {
          p = put_binfloat(p, v.as_float());
        } else {
          break;
        }
      }
      out.shrink(n * kMaxNumberSize - static_cast<std::size_t>(p - start));
      if (i < run_end) break;
    }
    return i;
  }
  // The common numbers, inline: what save() does for them, without its dispatch.
  [[gnu::always_inline]] bool save_number(Value v) {
    if (!bin || opts.persistent_id) return false;
    if (v.is_small_int()) {
      std::int64_t x = v.as_int();
      if (x < INT32_MIN || x > INT32_MAX) return false;
      opcode_boundary();
      write_binint(static_cast<std::uint32_t>(x));
      return true;
    }
    if (v.is_float()) {
      opcode_boundary();
      save_float(v.as_float());
      return true;
    }
    return false;
  }
  [[gnu::always_inline]] void flush() {
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) tasks.push_back(*it);
    pending.clear();
  }

  // Reduce frames: what remains to do after a REDUCE/NEWOBJ once its recursion check is
  // done. Indexed from ReduceEnd tasks; popped in stack order.
  struct ReduceFrame {
    detail::ReduceValue rv;
    Value obj;
    const void* obj_key;
  };
  std::vector<ReduceFrame> frames;

  // Set iteration orders, kept alive while their batches run.
  std::deque<std::vector<Value>> set_orders;
  // CPython's hashes of the members of the sets ordered in this dump (cleared after it:
  // nodes may change or go between dumps).
  std::optional<detail::CPythonHashes> set_hashes;

  int fast_nesting = 0;
  std::unordered_map<const void*, char> fast_memo;

  // ---- entry -------------------------------------------------------------------------------

  detail::CPythonHashes& hashes_for_set_order() {
    if (!set_hashes) set_hashes.emplace(opts.hash_seed, opts.python);
    return *set_hashes;
  }

  void dump(Value v) {
    out.clear();
    set_hashes.reset();
    frame_start = -1;
    if (proto >= 2) {
      char header[2] = {op(Op::PROTO), static_cast<char>(proto)};
      write(header, 2);
      if (proto >= 4) framing = true;
    }
    try {
      Task& first = tasks.emplace_back();
      first.kind = T::Save;
      first.v = v;
      run_to(0);
      write_op(Op::STOP);
      commit_frame();
    } catch (...) {
      framing = false;
      tasks.clear();
      pending.clear();
      frames.clear();
      reducing.clear();
      set_orders.clear();
      fast_nesting = 0;
      nested_saves = 0;
      throw;
    }
    framing = false;
    if (sink) {
      if (!out.empty()) sink->write(std::span(reinterpret_cast<const std::uint8_t*>(out.data()), out.size()));
      out.clear();
    }
  }

  /// Runs tasks until the stack is back to `mark` entries.
  void run_to(std::size_t mark) {
    while (tasks.size() > mark) {
      Task t = tasks.back();
      tasks.pop_back();
      switch (t.kind) {
        case T::Save: save(t.v, false); break;
        case T::SavePersId: save(t.v, true); break;
        case T::Write: write(t.bytes, t.len); break;
        case T::WriteOp: write(t.bytes, 1); break;
        case T::MemoPut: memo_put(t.key); break;
        case T::TupleEnd: tuple_end(t); break;
        case T::FrozenSetEnd: frozenset_end(t); break;
        case T::ReduceEnd: reduce_end(); break;
        case T::ListExact: list_exact(t); break;
        case T::DictExact: dict_exact(t); break;
        case T::SetBatch: set_batch(t); break;
        case T::Items: items_batch(t); break;
        case T::Pairs: pairs_batch(t); break;
        case T::NotPairs: throw Error(ErrorType::TypeError, "dict items iterator must return 2-tuples");
        case T::FastLeave: fast_leave(t.key); break;
      }
    }
  }

  // ---- save --------------------------------------------------------------------------------

  /// save(v) for the values whose saving needs no further task (numbers, str, and bytes
  /// at protocol 3+); false, having done nothing, for the others.
  bool save_leaf(Value v) {
    if (opts.persistent_id) return false;
    // What save() does for the common kinds, without its dispatch.
    switch (v.kind()) {
      case Kind::None:
        opcode_boundary();
        write_op(Op::NONE);
        return true;
      case Kind::Bool:
        opcode_boundary();
        save_bool(v.as_bool());
        return true;
      case Kind::Int:
      case Kind::Float: break;
      case Kind::Str: {
        opcode_boundary();
        const void* key = memo_key(v);
        if (const std::uint64_t* idx = memo_find(key)) {
          write_get(*idx);
        } else {
          save_str(v.as_str().utf8(), key);
        }
        return true;
      }
      case Kind::Bytes:
        if (proto < 3) return false;
        break;
      case Kind::PersistentId: return false;
      default:
        // An object already in the memo is saved as one GET (what save() would do).
        if (const std::uint64_t* idx = memo_find(v.kind() == Kind::Global ? memo_key(v) : v.node())) {
          opcode_boundary();
          write_get(*idx);
          return true;
        }
        return false;
    }
    save(v, false);
    return true;
  }

  void save(Value v, bool pers_save) {
    opcode_boundary();
    if (!pers_save) {
      if (opts.persistent_id) {
        if (std::optional<Value> pid = opts.persistent_id(v)) {
          save_pers(*pid);
          return;
        }
      }
      if (v.kind() == Kind::PersistentId) {
        save_pers(v.as_persistent_id().pid());
        return;
      }
    }
    switch (v.kind()) {
      case Kind::None: write_op(Op::NONE); return;
      case Kind::Bool: save_bool(v.as_bool()); return;
      case Kind::Int: save_int(v); return;
      case Kind::Float: save_float(v.as_float()); return;
      default: break;
    }
    const void* key = memo_key(v);
    if (const std::uint64_t* idx = memo_find(key)) {
      write_get(*idx);
      return;
    }
    switch (v.kind()) {
      case Kind::Str: save_str(v.as_str().utf8(), key); return;
      case Kind::Bytes: save_bytes(v, key); return;
      case Kind::Dict: save_dict(v, key); return;
      case Kind::Set: save_set(v, key); return;
      case Kind::FrozenSet: save_frozenset(v, key); return;
      case Kind::List: save_list(v, key); return;
      case Kind::Tuple: save_tuple(v, key); return;
      case Kind::ByteArray: save_bytearray(v, key); return;
      case Kind::Buffer:
        if (v.as_buffer().is_memoryview()) break;  // reduced below, as any object
        save_buffer(v, key);
        return;
      default: break;
    }
    // Everything else may be reduced by reducer_override, then (classes and functions
    // aside) by a dispatch table, then by the object's own __reduce_ex__.
    if (opts.reducer_override) {
      if (std::optional<Value> rv = opts.reducer_override(scratch, v)) {
        save_reduce_value(*rv, v, key);
        return;
      }
    }
    if (v.is_global()) {
      save_global_value(v, key);
      return;
    }
    const DispatchTable& table = opts.dispatch_table ? *opts.dispatch_table : dispatch_table();
    if (std::shared_ptr<const Reducer> reducer = table.find(v)) {
      save_reduce_value((*reducer)(scratch, v), v, key);
      return;
    }
    switch (v.kind()) {
      case Kind::Object: {
        const bool again = key && reducing.count(key);  // reached from its own arguments
        save_reduce(detail::reduce_object(v, proto, scratch, again), v, key);
        return;
      }
      case Kind::Native: save_reduce(detail::reduce_native(v, proto, scratch), v, key); return;
      case Kind::Iterator: save_reduce(detail::reduce_iterator(v, scratch), v, key); return;
      case Kind::Complex: save_reduce(detail::reduce_complex(v, proto, scratch), v, key); return;
      case Kind::Buffer: detail::refuse_to_reduce_buffer(v, proto);
      default: break;
    }
    pickling_error("can't pickle '" + type_name(v) + "' object: " + repr(v));
  }

  /// The "reduce:" step of CPython's save(): a str names a global, a tuple is reduced,
  /// anything else is an error.
  void save_reduce_value(Value rv, Value obj, const void* key) {
    if (rv.is_str()) {
      std::optional<std::pair<std::string, std::string>> cls = class_name_of(obj);
      std::string module = cls ? cls->first : std::string("__main__");
      // save_global(obj, name): memoized as obj.
      Value g = scratch.global(module, rv.as_str().utf8());
      save_global(g.as_global(), key);
      return;
    }
    if (!rv.is_tuple()) pickling_error("__reduce__ must return a string or tuple");
    save_reduce(detail::reduce_value_from_tuple(rv, scratch), obj, key, /*by_reducer=*/true);
  }

  void save_pers(Value pid) {
    if (bin) {
      later(T::SavePersId, pid);
      later_op(Op::BINPERSID);
      flush();
      return;
    }
    std::string text = pid.is_str() ? std::string(pid.as_str().utf8()) : repr(pid);
    for (unsigned char c : text) {
      if (c >= 0x80) pickling_error("persistent IDs in protocol 0 must be ASCII strings");
    }
    write_op(Op::PERSID);
    write(text);
    write("\n", 1);
  }

  void save_bool(bool b) {
    if (proto >= 2) {
      write_op(b ? Op::NEWTRUE : Op::NEWFALSE);
    } else {
      write(b ? "I01\n" : "I00\n", 4);
    }
  }

  void save_int(Value v) {
    if (v.is_small_int() && v.as_int() >= INT32_MIN && v.as_int() <= INT32_MAX) {
      std::int64_t x = v.as_int();
      if (bin) {
        write_binint(static_cast<std::uint32_t>(x));
      } else {
        write_decimal_line(Op::INT, x);
      }
      return;
    }
    detail::IntRef ref(v);
    if (proto >= 2) {
      std::string data;
      detail::append_twos_complement(data, ref);
      if (data.size() > 0x7fffffff) throw Error(ErrorType::OverflowError, "int too large to pickle");
      char header[5];
      if (data.size() < 256) {
        header[0] = op(Op::LONG1);
        header[1] = static_cast<char>(data.size());
        write(header, 2);
      } else {
        header[0] = op(Op::LONG4);
        put_le(header + 1, data.size(), 4);
        write(header, 5);
      }
      write(data);
    } else {
      std::string text = "L";
      detail::append_decimal(text, ref);  // ValueError past 4300 digits, like repr()
      text += "L\n";
      write(text);
    }
  }

  [[gnu::always_inline]] void save_float(double x) {
    if (bin) {
      put_binfloat(write_ptr(9), x);
    } else {
      save_float_text(x);
    }
  }
  [[gnu::noinline]] void save_float_text(double x) {
    std::string text = "F";
    detail::append_repr_float(text, x);
    text += '\n';
    write(text);
  }

  void save_str(std::string_view wtf8, const void* key) {
    if (bin && proto >= 4 && wtf8.size() <= 0xff) {
      // A str of up to 255 bytes, most of a pickle's, written in one piece with its
      // MEMOIZE (memo_put inline).
      const bool memoize = memoizes(key);
      if (memoize) memo.insert(key, memo.size());
      char* p = write_ptr(2 + wtf8.size() + memoize);
      p[0] = op(Op::SHORT_BINUNICODE);
      p[1] = static_cast<char>(wtf8.size());
      detail::copy_chars(p + 2, wtf8.data(), wtf8.size());
      if (memoize) p[2 + wtf8.size()] = op(Op::MEMOIZE);
      return;
    }
    if (bin && proto < 4 && wtf8.size() <= 0xff && memo.size() <= 0xffffffffULL) {
      // Below protocol 4: BINUNICODE, then BINPUT or LONG_BINPUT, in one piece.
      const std::uint64_t idx = memo.size();
      const std::size_t put = memoizes(key) ? binput_size(idx) : 0;
      if (put) memo.insert(key, idx);
      char* p = write_ptr(5 + wtf8.size() + put);
      p[0] = op(Op::BINUNICODE);
      put_le32(p + 1, static_cast<std::uint32_t>(wtf8.size()));
      detail::copy_chars(p + 5, wtf8.data(), wtf8.size());
      if (put) encode_binput(p + 5 + wtf8.size(), idx);
      return;
    }
    if (bin) {
      write_counted(wtf8, proto >= 4, Op::SHORT_BINUNICODE, Op::BINUNICODE, Op::BINUNICODE8, "a string");
    } else {
      std::string text = "V";
      raw_unicode_escape(wtf8, text);
      text += '\n';
      write(text);
    }
    memo_put(key);
  }

  // The C pickler's variant of raw-unicode-escape: also escapes \, NUL, \n, \r and \x1a.
  static void raw_unicode_escape(std::string_view wtf8, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < wtf8.size();) {
      const char32_t cp = detail::wtf8::next(wtf8, i);
      if (cp >= 0x10000) {
        out += "\\U";
        for (int s = 28; s >= 0; s -= 4) out += kHex[(cp >> s) & 0xf];
      } else if (cp >= 256 || cp == '\\' || cp == 0 || cp == '\n' || cp == '\r' || cp == 0x1a) {
        out += "\\u";
        for (int s = 12; s >= 0; s -= 4) out += kHex[(cp >> s) & 0xf];
      } else {
        out += static_cast<char>(cp);
      }
    }
  }

  [[noreturn, gnu::noinline, gnu::cold]] static void throw_too_large_for_protocol(const char* what) {
    throw Error(ErrorType::OverflowError,
                std::string("serializing ") + what + " larger than 4 GiB requires pickle protocol 4 or higher");
  }

  // A payload after its size: `short_op` and one byte when `short_allowed` and it fits,
  // else `op4` and four bytes, else (protocol 4+) `op8` and eight; larger than 4 GiB
  // below protocol 4 is CPython's OverflowError naming `what`.
  [[gnu::always_inline]] void write_counted(std::string_view payload, bool short_allowed, Op short_op, Op op4, Op op8,
                                            const char* what) {
    const std::size_t size = payload.size();
    char header[9];
    std::size_t hlen;
    if (size <= 0xff && short_allowed) {
      header[0] = op(short_op);
      header[1] = static_cast<char>(size);
      hlen = 2;
    } else if (size <= 0xffffffffULL) {
      header[0] = op(op4);
      put_le(header + 1, size, 4);
      hlen = 5;
    } else if (proto >= 4) {
      header[0] = op(op8);
      put_le(header + 1, size, 8);
      hlen = 9;
    } else {
      throw_too_large_for_protocol(what);
    }
    write_bytes(std::string_view(header, hlen), payload);
  }

  void save_bytes_data(std::string_view data, const void* key) {
    write_counted(data, true, Op::SHORT_BINBYTES, Op::BINBYTES, Op::BINBYTES8, "a bytes object");
    memo_put(key);
  }

  void save_bytes(Value v, const void* key) {
    std::string_view data = v.as_bytes().chars();
    if (proto >= 3) {
      save_bytes_data(data, key);
      return;
    }
    // Before protocol 3: bytes() for b'', else _codecs.encode(data.decode('latin1'), 'latin1').
    if (data.empty()) {
      save_reduce(detail::ReduceValue::call(builtin("bytes"), scratch.empty_tuple()), v, key);
      return;
    }
    Value items[] = {latin1_str(data), latin1_name()};
    save_reduce(detail::ReduceValue::call(global("_codecs", "encode"), fresh_tuple(items)), v, key);
  }

  void save_bytearray(Value v, const void* key) {
    std::string_view data = v.as_bytes().chars();
    if (proto >= 5) {
      char header[9];
      header[0] = op(Op::BYTEARRAY8);
      put_le(header + 1, data.size(), 8);
      write_bytes(std::string_view(header, 9), data);
      memo_put(key);
      return;
    }
    if (data.empty()) {
      save_reduce(detail::ReduceValue::call(builtin("bytearray"), scratch.empty_tuple()), v, key);
      return;
    }
    // bytearray(bytes(data)): the bytes object is new, even for one byte.
    Value items[] = {scratch.new_bytes(data)};
    save_reduce(detail::ReduceValue::call(builtin("bytearray"), fresh_tuple(items)), v, key);
  }

  void save_buffer(Value v, const void* key) {
    if (proto < 5) pickling_error("PickleBuffer can only pickled with protocol >= 5");
    const Buffer& b = v.as_buffer();
    bool in_band = !opts.buffer_callback || opts.buffer_callback(v);
    std::string_view data(reinterpret_cast<const char*>(b.view().data()), b.view().size());
    if (in_band) {
      if (b.readonly()) {
        save_bytes_data(data, key);
      } else {
        char header[9];
        header[0] = op(Op::BYTEARRAY8);
        put_le(header + 1, data.size(), 8);
        write_bytes(std::string_view(header, 9), data);
        memo_put(key);
      }
      return;
    }
    write_op(Op::NEXT_BUFFER);
    if (b.readonly()) write_op(Op::READONLY_BUFFER);
  }

  // ---- containers -----------------------------------------------------------------------------

  void fast_enter(const void* key, Value v) {
    if (++fast_nesting >= kFastNestingLimit) {
      if (!fast_memo.emplace(key, 0).second) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%p", key);
        throw Error(ErrorType::ValueError,
                    "fast mode: can't pickle cyclic objects including object type " + type_name(v) + " at " + buf);
      }
    }
  }
  void fast_leave(const void* key) {
    if (fast_nesting-- >= kFastNestingLimit) fast_memo.erase(key);
  }

  // The container empty (written with `empty`, or with "(l"/"(d" in protocol 0), memoized
  // so that its items can refer to it, then its items: in batches by the `batched` task, or
  // one at a time by `one_by_one` in protocol 0.
  template <class Container>
  void save_empty_then_items(Value v, const void* key, const Container& c, Op empty, const char* proto0_op, T batched,
                             T one_by_one) {
    if (opts.fast) fast_enter(key, v);
    if (bin) {
      write_op(empty);
    } else {
      write(proto0_op, 2);
    }
    memo_put(key);
    if (c.size() != 0) {
      if (proto > 0) {
        later(batched, v, nullptr, 0);
      } else {
        later(one_by_one, Value(), c.begin(), 0, c.size());
      }
    }
    if (opts.fast) later(T::FastLeave, Value(), key);
    flush();
  }
  void save_list(Value v, const void* key) {
    save_empty_then_items(v, key, v.as_list(), Op::EMPTY_LIST, "(l", T::ListExact, T::Items);
  }
  void save_dict(Value v, const void* key) {
    save_empty_then_items(v, key, v.as_dict(), Op::EMPTY_DICT, "(d", T::DictExact, T::Pairs);
  }

  // batch_list_exact: one item is APPEND; otherwise batches of up to 1000 in MARK ... APPENDS,
  // the last batch included even if it holds a single item.
  void list_exact(const Task& t) {
    const List& l = t.v.as_list();
    std::size_t total = t.a;
    if (total == 0 && l.size() == 1) {
      emit_save(l[0]);
      emit_op(Op::APPEND);
      flush();
      return;
    }
    if (total >= l.size()) return;
    std::size_t end = std::min(l.size(), total + kBatchSize);
    emit_op(Op::MARK);
    const bool number_runs = bin && !opts.persistent_id;
    for (std::size_t i = total; i < end; ++i) {
      // Checked: a reducer saved among the items may have shrunk the list.
      const Value item = l[i];
      // A run pays for itself from a few numbers on.
      if ((item.is_small_int() || item.is_float()) && number_runs && end - i >= 4 && pending.empty()) {
        const std::size_t next = save_numbers(l.begin(), i, std::min(end, l.size()));
        if (next > i) {
          i = next - 1;
          continue;
        }
      }
      emit_save(item);
    }
    emit_op(Op::APPENDS);
    if (end < l.size()) later(T::ListExact, t.v, nullptr, end);
    flush();
  }

  // batch_list and batch_dict over an iterator (protocol 0 lists and dicts, and the list
  // and dict items of reductions): in protocol 0 each element then `one` (APPEND or
  // SETITEM); later, a lone element with `one`, otherwise batches of up to 1000 in
  // MARK ... `many`, continued by the task `self` while a batch is full.
  template <class Element, class Emit>
  void iterator_batch(const Task& t, T self, Op one, Op many, Emit emit_element) {
    const auto* elements = static_cast<const Element*>(t.key);
    std::size_t pos = t.a, size = t.b;
    if (proto == 0) {
      for (std::size_t i = pos; i < size; ++i) {
        emit_element(elements[i]);
        emit_op(one);
      }
      flush();
      return;
    }
    std::size_t remaining = size - pos;
    if (remaining == 0) return;
    if (remaining == 1) {
      emit_element(elements[pos]);
      emit_op(one);
      flush();
      return;
    }
    std::size_t n = std::min(remaining, kBatchSize);
    emit_op(Op::MARK);
    for (std::size_t i = pos; i < pos + n; ++i) emit_element(elements[i]);
    emit_op(many);
    if (n == kBatchSize) later(self, Value(), elements, pos + n, size);
    flush();
  }
  void items_batch(const Task& t) {
    iterator_batch<Value>(t, T::Items, Op::APPEND, Op::APPENDS, [this](Value item) { emit_save<false>(item); });
  }
  void pairs_batch(const Task& t) {
    iterator_batch<Dict::Entry>(t, T::Pairs, Op::SETITEM, Op::SETITEMS, [this](const Dict::Entry& e) {
      emit_save<false>(e.key);
      emit_save<false>(e.value);
    });
  }

  // batch_dict_exact: one pair is SETITEM; otherwise batches of 1000 pairs, repeated while
  // a batch is full (so a multiple of 1000 ends with an empty MARK SETITEMS).
  void dict_exact(const Task& t) {
    const Dict& d = t.v.as_dict();
    std::size_t pos = t.a;
    if (pos == 0 && d.size() == 1) {
      emit_save(d.begin()->key);
      emit_save(d.begin()->value);
      emit_op(Op::SETITEM);
      flush();
      return;
    }
    std::size_t n = std::min(d.size() - pos, kBatchSize);
    emit_op(Op::MARK);
    for (std::size_t i = pos; i < pos + n; ++i) {
      emit_save(d.begin()[i].key);
      emit_save(d.begin()[i].value);
    }
    emit_op(Op::SETITEMS);
    if (n == kBatchSize) later(T::DictExact, t.v, nullptr, pos + n);
    flush();
  }

  void save_set(Value v, const void* key) {
    std::vector<Value> order = detail::set_iteration_order(v.as_set(), hashes_for_set_order());
    if (proto < 4) {
      // (set, (list(s),)): the list is a new object.
      Value list = scratch.new_list();
      list.as_list().reserve(scratch, order.size());
      for (Value item : order) list.as_list().append(scratch, item);
      Value args[] = {list};
      save_reduce(detail::ReduceValue::call(builtin("set"), fresh_tuple(args)), v, key);
      return;
    }
    write_op(Op::EMPTY_SET);
    memo_put(key);
    if (order.empty()) return;
    set_orders.push_back(std::move(order));
    later(T::SetBatch, Value(), &set_orders.back(), 0);
    flush();
  }

  void set_batch(const Task& t) {
    const auto& order = *static_cast<const std::vector<Value>*>(t.key);
    std::size_t pos = t.a;
    std::size_t n = std::min(order.size() - pos, kBatchSize);
    emit_op(Op::MARK);
    for (std::size_t i = pos; i < pos + n; ++i) emit_save(order[i]);
    emit_op(Op::ADDITEMS);
    if (n == kBatchSize) later(T::SetBatch, Value(), t.key, pos + n);
    flush();
  }

  void save_frozenset(Value v, const void* key) {
    if (opts.fast) fast_enter(key, v);
    std::vector<Value> order = detail::set_iteration_order(v.as_set(), hashes_for_set_order());
    if (proto < 4) {
      Value list = scratch.new_list();
      list.as_list().reserve(scratch, order.size());
      for (Value item : order) list.as_list().append(scratch, item);
      Value args[] = {list};
      save_reduce(detail::ReduceValue::call(builtin("frozenset"), fresh_tuple(args)), v, key);
      return;
    }
    emit_op(Op::MARK);
    for (Value item : order) emit_save(item);
    later(T::FrozenSetEnd, v, key);
    flush();
  }

  void frozenset_end(const Task& t) {
    if (const std::uint64_t* idx = memo_find(t.key)) {
      // Reached recursively through a reduction: drop the items, fetch the memo.
      write_op(Op::POP_MARK);
      memo_get_write(*idx);
      return;
    }
    write_op(Op::FROZENSET);
    memo_put(t.key);
  }

  void save_tuple(Value v, const void* key) {
    const Tuple& t = v.as_tuple();
    std::size_t n = t.size();
    if (n == 0) {
      if (proto) {
        write_op(Op::EMPTY_TUPLE);
      } else {
        write("(t", 2);
      }
      return;
    }
    if (n <= 3 && proto >= 2) {
      for (Value item : t) emit_save(item);
    } else {
      emit_op(Op::MARK);
      for (Value item : t) emit_save(item);
    }
    later(T::TupleEnd, v, key, n);
    flush();
  }

  void tuple_end(const Task& t) {
    std::size_t n = t.a;
    bool short_form = n <= 3 && proto >= 2;
    if (const std::uint64_t* idx = memo_find(t.key)) {
      // The tuple was reached through its own items: pop them and fetch it.
      if (short_form) {
        for (std::size_t i = 0; i < n; ++i) write_op(Op::POP);
      } else if (bin) {
        write_op(Op::POP_MARK);
      } else {
        for (std::size_t i = 0; i <= n; ++i) write_op(Op::POP);
      }
      memo_get_write(*idx);
      return;
    }
    if (short_form) {
      static constexpr Op kTupleOps[] = {Op::EMPTY_TUPLE, Op::TUPLE1, Op::TUPLE2, Op::TUPLE3};
      write_op(kTupleOps[n]);
    } else {
      write_op(Op::TUPLE);
    }
    memo_put(t.key);
  }

  // ---- globals ---------------------------------------------------------------------------------

  Value global(std::string_view module, std::string_view qualname) { return scratch.global(module, qualname); }
  Value builtin(std::string_view name) { return scratch.global("builtins", name); }
  Value fresh_str(std::string_view wtf8) { return scratch.shared_or_new_str(wtf8); }
  // data.decode('latin1'), written straight into the scratch graph (bytes can be large).
  Value latin1_str(std::string_view data) {
    const std::size_t size = detail::utf8_size_of_latin1(data);
    char* chars = static_cast<char*>(detail::Access::arena(scratch).allocate(size, 1));
    detail::decode_latin1_to(data, chars);
    // One character: the str CPython's decoder shares.
    if (data.size() == 1) return fresh_str(std::string_view(chars, size));
    return scratch.new_str_view(std::string_view(chars, size));
  }
  Value fresh_tuple(std::span<const Value> items) {
    return items.empty() ? scratch.empty_tuple() : scratch.new_tuple(items);
  }
  // The interned 'latin1' str CPython passes to codecs.encode: one object.
  Value latin1_name() { return name_str("const", "latin1", "latin1"); }

  // The str naming a global's module: one object per module for classes and Python
  // functions; functions written in C carry their module's __name__, another object.
  Value module_name_str(const Global& g) {
    bool c_function = detail::global_type_name(g) == "builtin_function_or_method";
    return name_str(c_function ? "module-of-C-function" : "module", g.module(), g.module());
  }
  // A global's __qualname__: one object per global (numpy.dtype: the interned 'dtype').
  Value qualname_str(const Global& g) {
    if (detail::is_numpy_dtype_class(g)) return name_str("interned", g.qualname(), g.qualname());
    return name_str("qualname", pair_key(g.module(), g.qualname()), g.qualname());
  }

  void save_global_value(Value v, const void* key) {
    const Global& g = v.as_global();
    using B = Global::Builtin;
    Value singleton;
    switch (g.builtin()) {
      case B::NoneType: singleton = Value(); break;
      case B::EllipsisType: singleton = builtin("Ellipsis"); break;
      case B::NotImplementedType: singleton = builtin("NotImplemented"); break;
      default: save_global(g, key); return;
    }
    // save_type: (type, (singleton,))
    Value args[] = {singleton};
    save_reduce(detail::ReduceValue::call(builtin("type"), fresh_tuple(args)), v, key);
  }

  void save_global(const Global& g, const void* key) {
    std::string_view qualname = g.qualname();
    for (std::size_t start = 0;;) {
      std::size_t dot = qualname.find('.', start);
      if (qualname.substr(start, dot - start) == "<locals>") {
        std::string r;
        detail::append_repr_str(r, qualname);
        throw Error(ErrorType::AttributeError, "Can't pickle local object " + r);
      }
      // CPython finds the object by getattr for each component: an empty one never
      // resolves (and below protocol 4 would write a GLOBAL no unpickler reads).
      if (dot == start || (dot == std::string_view::npos && start == qualname.size())) {
        std::string name = std::string(g.module()) + "." + std::string(qualname);
        pickling_error("Can't pickle " + name + ": attribute lookup " + std::string(qualname) + " on " +
                       std::string(g.module()) + " failed");
      }
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    std::size_t dot = qualname.rfind('.');
    bool nested = dot != std::string_view::npos;
    if (nested && g.is_attribute()) {
      // A method: CPython reduces it to getattr(owner, name) at every protocol.
      Value owner = scratch.global(g.module(), qualname.substr(0, dot));
      Value args[] = {owner, fresh_str(qualname.substr(dot + 1))};
      save_reduce(detail::ReduceValue::call(builtin("getattr"), fresh_tuple(args)), Value(), key);
      return;
    }
    const ExtensionRegistry& registry = opts.extensions ? *opts.extensions : default_extensions();
    if (proto >= 2) {
      if (std::optional<std::int64_t> code = registry.lookup_key(g.module(), qualname)) {
        char buf[5];
        if (*code <= 0xff) {
          buf[0] = op(Op::EXT1);
          buf[1] = static_cast<char>(*code);
          write(buf, 2);
        } else if (*code <= 0xffff) {
          buf[0] = op(Op::EXT2);
          put_le(buf + 1, static_cast<std::uint64_t>(*code), 2);
          write(buf, 3);
        } else {
          buf[0] = op(Op::EXT4);
          put_le(buf + 1, static_cast<std::uint64_t>(*code), 4);
          write(buf, 5);
        }
        return;
      }
    }
    if (proto >= 4) {
      later_save(module_name_str(g));
      later_save(qualname_str(g));
      later_op(Op::STACK_GLOBAL);
      later(T::MemoPut, Value(), key);
      flush();
      return;
    }
    if (nested && opts.python >= PythonVersion{3, 13}) {
      save_getattr_chain(g.module(), qualname, key);
      return;
    }
    if (nested) {
      // Below protocol 4 a nested name is getattr(parent, lastname), memoized as itself.
      Value parent = scratch.global(g.module(), qualname.substr(0, dot));
      Value args[] = {parent, fresh_str(qualname.substr(dot + 1))};
      later(T::MemoPut, Value(), key);  // runs after the reduction queued next
      flush();
      save_reduce(detail::ReduceValue::call(builtin("getattr"), fresh_tuple(args)), Value(), nullptr);
      return;
    }
    write_global_line(g.module(), qualname);
    memo_put(key);
  }

  // From 3.13, below protocol 4, a nested name a.b.c of module m is written as
  // getattr(getattr(m.a, 'b'), 'c'): getattr saved once per level, m.a as a GLOBAL line of
  // its own (neither looked up in nor added to the memo), each further name as a new str,
  // and only the whole result memoized.
  void save_getattr_chain(std::string_view module, std::string_view qualname, const void* key) {
    std::vector<std::string_view> names;
    for (std::size_t start = 0;;) {
      std::size_t dot = qualname.find('.', start);
      names.push_back(qualname.substr(start, dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    const Value getattr = builtin("getattr");
    for (std::size_t i = 1; i < names.size(); ++i) {
      save(getattr, false);
      if (proto < 2) write_op(Op::MARK);
    }
    write_global_line(module, names[0]);
    for (std::size_t i = 1; i < names.size(); ++i) {
      save(fresh_str(names[i]), false);
      write_op(proto < 2 ? Op::TUPLE : Op::TUPLE2);
      write_op(Op::REDUCE);
    }
    memo_put(key);
  }

  void write_global_line(std::string_view module, std::string_view name) {
    if (proto < 3 && opts.fix_imports) {
      detail::QualifiedName mapped = detail::map_3to2(module, name);
      module = mapped.module;
      name = mapped.name;
    }
    std::string line = "c";
    append_identifier(line, module, "module");
    append_identifier(line, name, "global");
    write(line);
  }

  // GLOBAL names are ASCII before protocol 3 and UTF-8 at protocol 3, and end at a newline:
  // a name holding one (no importable module has it; a pickle can) cannot be written.
  void append_identifier(std::string& line, std::string_view name, const char* what) {
    bool ok = name.find('\n') == std::string_view::npos;
    for (std::size_t i = 0; i < name.size(); ++i) {
      auto c = static_cast<unsigned char>(name[i]);
      if (proto != 3 && c >= 0x80) ok = false;
      // Surrogates have no UTF-8 encoding.
      if (c == 0xed && i + 1 < name.size() && (static_cast<unsigned char>(name[i + 1]) & 0xe0) == 0xa0) ok = false;
    }
    if (!ok) {
      std::string text(name);
      pickling_error(std::string("can't pickle ") + what + " identifier '" + text + "' using pickle protocol " +
                     std::to_string(proto));
    }
    line += name;
    line += '\n';
  }

  // ---- reduce --------------------------------------------------------------------------------

  [[noreturn]] static void reduce_error(std::string message) { pickling_error(std::move(message)); }

  /// save_reduce: CPython's checks in its order, then REDUCE, NEWOBJ or NEWOBJ_EX; the
  /// memo, items and state follow in reduce_end() once the arguments are written.
  /// `by_reducer`: rv comes from a reducer function (dispatch table, reducer_override),
  /// which stands for a Python function.
  void save_reduce(detail::ReduceValue rv, Value obj, const void* obj_key, bool by_reducer = false) {
    std::string_view name = proto >= 2 ? detail::callable_name(rv.callable) : std::string_view();
    const Tuple& argtup = rv.args.as_tuple();
    if (name == "__newobj_ex__") {
      if (argtup.size() != 3) {
        reduce_error("length of the NEWOBJ_EX argument tuple must be exactly 3, not " + std::to_string(argtup.size()));
      }
      Value cls = argtup[0], args = argtup[1], kwargs = argtup[2];
      if (!detail::is_class_value(cls)) {
        reduce_error("first item from NEWOBJ_EX argument tuple must be a class, not " + type_name(cls));
      }
      if (!args.is_tuple()) {
        reduce_error("second item from NEWOBJ_EX argument tuple must be a tuple, not " + type_name(args));
      }
      if (!kwargs.is_dict()) {
        reduce_error("third item from NEWOBJ_EX argument tuple must be a dict, not " + type_name(kwargs));
      }
      // Keyword names are interned str objects (they come from __getnewargs_ex__'s code).
      if (obj.is_object()) kwargs = instance_dict(kwargs);
      if (proto >= 4) {
        later_save(cls);
        later_save(args);
        later_save(kwargs);
        later_op(Op::NEWOBJ_EX);
      } else {
        // functools.partial(cls.__new__, cls, *args, **kwargs)()
        later_save(detail::partial_for_newobj_ex(cls, args, kwargs, scratch));
        later_save(scratch.empty_tuple());
        later_op(Op::REDUCE);
      }
    } else if (name == "__newobj__") {
      if (argtup.size() < 1) reduce_error("__newobj__ arglist is empty");
      Value cls = argtup[0];
      if (!detail::is_class_value(cls)) reduce_error("args[0] from __newobj__ args is not a type");
      if (!obj.is_none()) {
        Value obj_class = detail::class_of(obj, scratch);
        if (!obj_class.is_none() && !py_equal(obj_class, cls)) {
          reduce_error("args[0] from __newobj__ args has the wrong class");
        }
      }
      later_save(cls);
      later_save(fresh_tuple(std::span(argtup.begin() + 1, argtup.size() - 1)));
      later_op(Op::NEWOBJ);
    } else {
      later_save(rv.callable);
      later_save(rv.args);
      later_op(Op::REDUCE);
    }
    if (rv.state_is_instance_dict) rv.state = instance_state(rv.state);
    if (obj_key && ++reducing[obj_key] > kMaxReentry) {
      // A reduction whose arguments contain the object itself through new objects only
      // (e.g. a list subclass containing itself, below protocol 2) never terminates.
      // CPython's limit strikes inside the reducer when that is a Python function.
      throw Error(ErrorType::RecursionError, by_reducer ? "maximum recursion depth exceeded"
                                                        : "maximum recursion depth exceeded while pickling an object");
    }
    frames.push_back({std::move(rv), obj, obj_key});
    later(T::ReduceEnd);
    flush();
  }

  // How many times an object may be re-entered while its own reduction is under way.
  static constexpr int kMaxReentry = 100;
  std::unordered_map<const void*, int> reducing;

  // object.__getstate__ returns the instance's own __dict__ (a new dict relative to the
  // state that built it), whose str keys were interned by BUILD; and slots in a new dict.
  Value instance_state(Value state) {
    if (state.is_dict()) return instance_dict(state);
    const Tuple& t = state.as_tuple();
    Value items[] = {t[0].is_dict() ? instance_dict(t[0]) : t[0], instance_dict(t[1])};
    return scratch.new_tuple(items);
  }
  Value instance_dict(Value d) {
    Value fresh = scratch.new_dict();
    for (const Dict::Entry& e : d.as_dict()) {
      Value key = e.key;
      if (key.is_str()) key = name_str("interned", key.as_str().utf8(), key.as_str().utf8());
      fresh.as_dict().set(scratch, key, e.value);
    }
    return fresh;
  }

  void reduce_end() {
    ReduceFrame f = std::move(frames.back());
    frames.pop_back();
    if (f.obj_key && --reducing[f.obj_key] == 0) reducing.erase(f.obj_key);
    if (f.obj_key) {
      if (const std::uint64_t* idx = memo_find(f.obj_key)) {
        // Reached recursively while saving its own arguments.
        write_op(Op::POP);
        memo_get_write(*idx);
        return;
      }
      memo_put(f.obj_key);
    }
    const detail::ReduceValue& rv = f.rv;
    if (rv.has_listitems) later(T::Items, Value(), rv.listitems.data(), 0, rv.listitems.size());
    if (rv.has_dictitems) later(T::Pairs, Value(), rv.dictitems.data(), 0, rv.dictitems.size());
    if (rv.dictitems_not_pairs) later(T::NotPairs);
    if (!rv.state.is_none()) {
      if (rv.state_setter.is_none()) {
        later_save(rv.state);
        later_op(Op::BUILD);
      } else {
        later_save(rv.state_setter);
        later_save(f.obj);
        later_save(rv.state);
        later_op(Op::TUPLE2);
        later_op(Op::REDUCE);
        later_op(Op::POP);
      }
    }
    flush();
  }
};

// ---- public API -------------------------------------------------------------------------------

namespace {
int resolve_protocol(int protocol) {
  if (protocol < 0) return 5;
  if (protocol > 5) throw Error(ErrorType::ValueError, "pickle protocol must be <= 5");
  return protocol;
}
}  // namespace

Pickler::Pickler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Pickler::Pickler(Sink& sink, PicklerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->proto = resolve_protocol(options.protocol);
  impl_->bin = impl_->proto > 0;
  if (options.buffer_callback && impl_->proto < 5) {
    throw Error(ErrorType::ValueError, "buffer_callback needs protocol >= 5");
  }
  impl_->opts = std::move(options);
  impl_->sink = &sink;
}

Pickler::~Pickler() = default;
Pickler::Pickler(Pickler&&) noexcept = default;
Pickler& Pickler::operator=(Pickler&&) noexcept = default;

void Pickler::dump(Value v) try { impl_->dump(v); } catch (...) {
  detail::rethrow_allocation_failure();
}

void Pickler::clear_memo() {
  impl_->memo.clear();
  impl_->name_strs.clear();
  impl_->global_keys.clear();
  // Cleared only when this dump made nodes (small messages make none); the graph keeps
  // its chunk for the next dump.
  if (impl_->scratch.bytes_allocated() != 0) impl_->scratch.clear();
}

std::string dumps(Value v, const PicklerOptions& options) try {
  auto impl = std::make_unique<Pickler::Impl>();
  impl->proto = resolve_protocol(options.protocol);
  impl->bin = impl->proto > 0;
  if (options.buffer_callback && impl->proto < 5) {
    throw Error(ErrorType::ValueError, "buffer_callback needs protocol >= 5");
  }
  impl->opts = options;
  impl->dump(v);
  return impl->out.take();
} catch (...) {
  detail::rethrow_allocation_failure();
}

}  // namespace pickle
