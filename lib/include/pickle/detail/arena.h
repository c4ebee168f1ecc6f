// pickle/detail/arena.h: the bump allocator every Graph owns.
//
// All nodes of a graph live in one Arena and are freed together when the Graph dies:
// nothing is reference counted, so cycles cannot leak and destroying a graph nested a
// million deep is a loop over chunks, not a recursion. Nodes hold only trivially
// destructible data (growable arrays are ArenaVec, which also allocates here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

#if defined(__SANITIZE_ADDRESS__)
#define PICKLE_CPP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PICKLE_CPP_ASAN 1
#endif
#endif
#ifndef PICKLE_CPP_ASAN
#define PICKLE_CPP_ASAN 0
#endif
#if PICKLE_CPP_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace pickle::detail {

/// Throws pickle::Error(MemoryError).
[[noreturn]] void throw_out_of_memory();

/// Storage for large arrays, from the system: blocks from kMappedBlock bytes up are
/// pages mapped for them alone, which come zero-filled, are backed by 2 MiB pages where
/// the system offers them on request (a page fault per 2 MiB instead of per 4 KiB; the
/// faults, not the copies, set the pace of filling a block of many megabytes), and grow by
/// remapping (neither copied nor touched). Smaller blocks come from malloc. A block is
/// resized and freed with the size it was allocated with. The threshold is glibc's
/// largest mmap threshold: below it, malloc reuses memory freed by an earlier load,
/// already faulted in, where a fresh mapping would fault on every load again (mapping
/// from 256 KiB up made repeated loads of a million ints 2-3x slower).
inline constexpr std::size_t kMappedBlock = std::size_t{32} << 20;
/// `size` bytes aligned for any type, zero-filled if `zeroed`; nullptr when the system
/// refuses.
void* allocate_block(std::size_t size, bool zeroed) noexcept;
/// The block resized to `new_size` bytes, its contents kept up to that size and any new
/// bytes zero-filled if `zero_new`; it may move. nullptr when the system refuses, the old
/// block still there.
void* resize_block(void* block, std::size_t old_size, std::size_t new_size, bool zero_new) noexcept;
/// Gives a block back to the system (nullptr: nothing to do).
void free_block(void* block, std::size_t size) noexcept;

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&& other) noexcept;
  Arena& operator=(Arena&& other) noexcept;
  ~Arena();

  /// Takes back every block, keeping the chunk being filled (the others go back to the
  /// system): the next allocations reuse its memory.
  void clear() noexcept;

  /// Aligned storage for `size` bytes. Throws pickle::Error(MemoryError) when the
  /// total would pass the limit.
  [[gnu::always_inline]] void* allocate(std::size_t size, std::size_t align = alignof(std::max_align_t)) {
    std::uintptr_t p = (reinterpret_cast<std::uintptr_t>(cur_) + (align - 1)) & ~(align - 1);
    if (p + size <= reinterpret_cast<std::uintptr_t>(end_) && size <= budget_left()) {
      cur_ = reinterpret_cast<char*>(p + size);
      allocated_ += size;
      unpoison(reinterpret_cast<void*>(p), size);
      return reinterpret_cast<void*>(p);
    }
    return allocate_slow(size, align);
  }

  template <class T, class... Args>
  T* make(Args&&... args) {
    static_assert(std::is_trivially_destructible_v<T>, "arena nodes are never destroyed");
    return new (allocate(sizeof(T), alignof(T))) T(static_cast<Args&&>(args)...);
  }

  /// Arrays from this size up live in a chunk of their own and grow by realloc.
  static constexpr std::size_t kLargeBlock = std::size_t{128} << 10;
  /// Storage for an array of `size` bytes (at least kLargeBlock) that may grow with
  /// reallocate_large; aligned for any type. `zeroed`: filled with zeros, as calloc does
  /// (pages the system gives zeroed are not touched, so unwritten ones take no memory).
  void* allocate_large(std::size_t size, bool zeroed = false);
  /// Resizes a block from allocate_large (or reallocate_large) to `new_size` bytes,
  /// keeping its contents up to that size; the block may move, as with std::realloc.
  void* reallocate_large(void* block, std::size_t old_size, std::size_t new_size);
  /// Gives a block from allocate_large (or reallocate_large) of `size` bytes back to the
  /// system at once, for an array that nothing refers to any more.
  void free_large(void* block, std::size_t size) noexcept;
  /// Storage for an array of `size` bytes: a large block (see above) from kLargeBlock up,
  /// else a bump allocation.
  void* allocate_array(std::size_t size, std::size_t align) {
    return size >= kLargeBlock ? allocate_large(size) : allocate(size, align);
  }

  /// Takes back the block of `size` bytes at `p` if it is the last one handed out (and
  /// nothing refers to it any more); false, and nothing done, otherwise.
  bool release_last(void* p, std::size_t size) noexcept {
    if (static_cast<char*>(p) + size != cur_) return false;
    poison(p, size);
    cur_ = static_cast<char*>(p);
    allocated_ -= size;
    ++epoch_;
    return true;
  }

  /// A point in the arena's history that rewind() can go back to.
  struct Mark {
    char* cur;
    const void* head;
    std::uint64_t epoch;
    std::size_t allocated;
  };
  Mark mark() const noexcept { return {cur_, head_, epoch_, allocated_}; }
  /// Takes back every block handed out since `m`, for a caller that knows nothing refers
  /// to any of them. Only small blocks from the chunk being filled at `m` can be taken
  /// back: false, and nothing done, when a chunk was started, a large block allocated,
  /// moved or freed, a block released, or pin() called since.
  bool rewind(const Mark& m) noexcept {
    if (m.head != head_ || m.epoch != epoch_ || m.cur > cur_) return false;
    poison(m.cur, static_cast<std::size_t>(cur_ - m.cur));
    cur_ = m.cur;
    allocated_ = m.allocated;
    return true;
  }
  /// Blocks handed out so far are referred to from outside (a graph's caches): no
  /// rewind() goes back past this point.
  void pin() noexcept { ++epoch_; }

  /// Whether p points into a block of this arena (a walk over its chunks).
  bool holds(const void* p) const noexcept {
    const char* c = static_cast<const char*>(p);
    for (const Chunk* k = head_; k; k = k->prev) {
      const char* base = reinterpret_cast<const char*>(k);
      if (c >= base && c < base + k->size) return true;
    }
    return false;
  }

  /// Bytes handed out so far (what the limit is checked against).
  std::size_t bytes_allocated() const noexcept { return allocated_; }
  /// Bytes reserved from the system, chunk overhead included.
  std::size_t bytes_reserved() const noexcept { return reserved_; }
  /// The most bytes_reserved() has been (blocks given back lower the current figure).
  std::size_t bytes_reserved_peak() const noexcept { return peak_reserved_; }
  void set_limit(std::size_t limit) noexcept { limit_ = limit; }
  std::size_t limit() const noexcept { return limit_; }

 private:
  // Chunks form a list from the newest (head_, the one being filled) to the oldest,
  // linked both ways so that a large block can move.
  struct Chunk {
    Chunk* prev;  // older
    Chunk* next;  // newer
    std::size_t size;
  };
  static constexpr std::size_t kLargeHeader =
      (sizeof(Chunk) + alignof(std::max_align_t) - 1) & ~(alignof(std::max_align_t) - 1);
  std::size_t budget_left() const noexcept { return allocated_ >= limit_ ? 0 : limit_ - allocated_; }
  void check_budget(std::size_t size) const;
  Chunk* new_chunk(std::size_t size, bool zeroed = false);
  void link_behind_head(Chunk* c) noexcept;
  void* allocate_slow(std::size_t size, std::size_t align);
  void release() noexcept;

  // Under AddressSanitizer, blocks taken back stay poisoned until handed out again, so
  // that a use of one after rewind() or release_last() is reported.
#if PICKLE_CPP_ASAN
  static void poison(const void* p, std::size_t size) noexcept { __asan_poison_memory_region(p, size); }
  static void unpoison(const void* p, std::size_t size) noexcept { __asan_unpoison_memory_region(p, size); }
#else
  static void poison(const void*, std::size_t) noexcept {}
  static void unpoison(const void*, std::size_t) noexcept {}
#endif

  char* cur_ = nullptr;
  char* end_ = nullptr;
  Chunk* head_ = nullptr;
  std::uint64_t epoch_ = 0;  // counts what rewind() cannot go back across
  std::size_t next_chunk_ = 4096;
  std::size_t allocated_ = 0;
  std::size_t reserved_ = 0;
  std::size_t peak_reserved_ = 0;
  std::size_t limit_ = std::numeric_limits<std::size_t>::max();
};

/// A growable array in an arena, for trivially copyable T. A small array grows by
/// copying into a new block and abandoning the old one (reclaimed with the arena); a
/// large one (Arena::kLargeBlock) owns a chunk and grows by realloc. Either way, growth
/// invalidates pointers into the items, as with std::vector.
template <class T>
struct ArenaVec {
  static_assert(std::is_trivially_copyable_v<T>);
  T* data = nullptr;
  std::size_t size = 0;
  std::size_t capacity = 0;

  /// Room for at least n items. Growing an array already in use at least doubles it:
  /// callers reserve batch by batch (APPENDS), and the arena never reclaims the old one.
  void reserve(Arena& arena, std::size_t n) {
    if (n <= capacity) return;
    if (capacity && n < capacity * 2) n = capacity * 2;
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw_out_of_memory();
    static_assert(alignof(T) <= alignof(std::max_align_t));
    const std::size_t bytes = n * sizeof(T), old_bytes = capacity * sizeof(T);
    if (old_bytes >= Arena::kLargeBlock) {
      data = static_cast<T*>(arena.reallocate_large(data, old_bytes, bytes));
    } else {
      T* fresh = static_cast<T*>(arena.allocate_array(bytes, alignof(T)));
      if (size) std::memcpy(static_cast<void*>(fresh), data, size * sizeof(T));
      data = fresh;
    }
    capacity = n;
  }
  /// For an array nothing refers to any more: a large block goes back to the system at
  /// once, and the array is left empty (a small one stays with the arena).
  void give_back(Arena& arena) noexcept {
    if (capacity * sizeof(T) < Arena::kLargeBlock) return;
    arena.free_large(data, capacity * sizeof(T));
    *this = {};
  }
  /// By value: growth may free the block an argument referring into it would read.
  void push_back(Arena& arena, T value) { append_slot(arena) = value; }
  /// A new last item for the caller to fill in field by field: cheaper than building a
  /// T and copying it, which reloads in wide chunks what was just stored in narrow ones.
  T& append_slot(Arena& arena) {
    if (size == capacity) reserve(arena, capacity < 4 ? 4 : capacity * 2);
    return data[size++];
  }
  T* begin() const noexcept { return data; }
  T* end() const noexcept { return data + size; }
};

}  // namespace pickle::detail
