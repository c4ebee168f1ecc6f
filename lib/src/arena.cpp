#include "pickle/detail/arena.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

#include "pickle/error.h"

namespace pickle::detail {

namespace {
// Chunks start small so that loading a tiny pickle stays cheap, and double up to 1 MiB so
// that large graphs need few system allocations. Bigger requests get a chunk of their own.
constexpr std::size_t kMaxChunk = std::size_t{1} << 20;

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t page_rounded(std::size_t size) noexcept {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (size + page - 1) & ~(page - 1);
}

// Where transparent huge pages are in "madvise" mode, a mapping gets them only on request
// (and only its whole 2 MiB pages can be huge). The advice covers the whole mapping: on a
// part of it, it would split the mapping in pieces, which mremap cannot take together.
void advise_huge_pages(void* mapping, std::size_t size) noexcept {
#ifdef MADV_HUGEPAGE
  if (size >= 2 * kHugePage) ::madvise(mapping, page_rounded(size), MADV_HUGEPAGE);
#else
  (void)mapping;
  (void)size;
#endif
}

// Zero-filled pages for `size` bytes. A mapping of several huge pages starts on a huge
// page boundary (mapped 2 MiB longer, then trimmed), so that all of it can be huge.
void* map_pages(std::size_t size) noexcept {
  const std::size_t length = page_rounded(size);
  if (length < size) return nullptr;
  const std::size_t slack = length >= 2 * kHugePage ? kHugePage : 0;
  if (length + slack < length) return nullptr;
  void* p = ::mmap(nullptr, length + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  if (slack) {
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = (start + kHugePage - 1) & ~std::uintptr_t{kHugePage - 1};
    if (aligned > start) ::munmap(p, aligned - start);
    if (start + slack > aligned) ::munmap(reinterpret_cast<void*>(aligned + length), start + slack - aligned);
    p = reinterpret_cast<void*>(aligned);
  }
  advise_huge_pages(p, length);
  return p;
}

void* remap_pages(void* block, std::size_t old_size, std::size_t new_size) noexcept {
#ifdef MREMAP_MAYMOVE
  void* p = ::mremap(block, page_rounded(old_size), page_rounded(new_size), MREMAP_MAYMOVE);
  if (p == MAP_FAILED) return nullptr;
  advise_huge_pages(p, new_size);
  return p;
#else
  void* p = map_pages(new_size);
  if (!p) return nullptr;
  std::memcpy(p, block, std::min(old_size, new_size));
  ::munmap(block, page_rounded(old_size));
  return p;
#endif
}

}  // namespace

void throw_out_of_memory() { throw Error(ErrorType::MemoryError, "out of memory"); }

void* allocate_block(std::size_t size, bool zeroed) noexcept {
  if (size >= kMappedBlock) return map_pages(size);
  return zeroed ? std::calloc(1, size) : std::malloc(size);
}

void* resize_block(void* block, std::size_t old_size, std::size_t new_size, bool zero_new) noexcept {
  if (!block) return allocate_block(new_size, zero_new);
  const bool was_mapped = old_size >= kMappedBlock;
  const bool mapped = new_size >= kMappedBlock;
  if (was_mapped && mapped) return remap_pages(block, old_size, new_size);
  if (!was_mapped && !mapped) {
    void* p = std::realloc(block, new_size);
    if (p && zero_new && new_size > old_size) std::memset(static_cast<char*>(p) + old_size, 0, new_size - old_size);
    return p;
  }
  // Across the threshold: a new block of the other kind, the contents copied over.
  void* p = allocate_block(new_size, zero_new);
  if (!p) return nullptr;
  std::memcpy(p, block, std::min(old_size, new_size));
  free_block(block, old_size);
  return p;
}

void free_block(void* block, std::size_t size) noexcept {
  if (!block) return;
  if (size >= kMappedBlock) {
    ::munmap(block, page_rounded(size));
  } else {
    std::free(block);
  }
}

Arena::Arena(Arena&& other) noexcept { *this = std::move(other); }

Arena& Arena::operator=(Arena&& other) noexcept {
  if (this != &other) {
    release();
    cur_ = std::exchange(other.cur_, nullptr);
    end_ = std::exchange(other.end_, nullptr);
    head_ = std::exchange(other.head_, nullptr);
    epoch_ = std::exchange(other.epoch_, 0) + 1;
    next_chunk_ = std::exchange(other.next_chunk_, 4096);
    allocated_ = std::exchange(other.allocated_, 0);
    reserved_ = std::exchange(other.reserved_, 0);
    peak_reserved_ = std::exchange(other.peak_reserved_, 0);
    limit_ = std::exchange(other.limit_, std::numeric_limits<std::size_t>::max());
  }
  return *this;
}

Arena::~Arena() { release(); }

void Arena::release() noexcept {
  while (head_) {
    Chunk* prev = head_->prev;
    free_block(head_, head_->size);
    head_ = prev;
  }
  cur_ = end_ = nullptr;
}

void Arena::clear() noexcept {
  const bool filling =
      head_ && cur_ >= reinterpret_cast<char*>(head_) && cur_ <= reinterpret_cast<char*>(head_) + head_->size;
  Chunk* keep = filling ? head_ : nullptr;
  for (Chunk* c = head_; c;) {
    Chunk* prev = c->prev;
    if (c != keep) {
      reserved_ -= c->size;
      free_block(c, c->size);
    }
    c = prev;
  }
  head_ = keep;
  if (keep) {
    keep->prev = keep->next = nullptr;
    cur_ = reinterpret_cast<char*>(keep) + sizeof(Chunk);
    end_ = reinterpret_cast<char*>(keep) + keep->size;
    poison(cur_, static_cast<std::size_t>(end_ - cur_));
  } else {
    cur_ = end_ = nullptr;
  }
  allocated_ = 0;
  ++epoch_;  // no rewind() to a mark from before
}

void Arena::check_budget(std::size_t size) const {
  if (size > budget_left()) {
    throw Error(ErrorType::MemoryError, "allocation of " + std::to_string(size) +
                                            " bytes exceeds the memory limit of " + std::to_string(limit_) + " bytes");
  }
}

Arena::Chunk* Arena::new_chunk(std::size_t size, bool zeroed) {
  auto* c = static_cast<Chunk*>(allocate_block(size, zeroed));
  if (!c) throw_out_of_memory();
  c->prev = c->next = nullptr;
  c->size = size;
  reserved_ += size;
  peak_reserved_ = std::max(peak_reserved_, reserved_);
  return c;
}

// A chunk holding one block goes behind the head, so that the head keeps serving small
// allocations (or becomes the head when there is none; the bump pointer stays unset).
void Arena::link_behind_head(Chunk* c) noexcept {
  if (!head_) {
    head_ = c;
    return;
  }
  c->prev = head_->prev;
  c->next = head_;
  if (head_->prev) head_->prev->next = c;
  head_->prev = c;
}

void* Arena::allocate_slow(std::size_t size, std::size_t align) {
  ++epoch_;  // outside the bump pointer: no rewind() across this
  check_budget(size);
  const std::size_t header = (sizeof(Chunk) + align - 1) & ~(align - 1);
  if (size + header < size) throw_out_of_memory();
  if (size + header > next_chunk_ / 4 * 3) {
    // A dedicated chunk; the current one stays open.
    Chunk* c = new_chunk(size + header);
    link_behind_head(c);
    allocated_ += size;
    return reinterpret_cast<char*>(c) + header;
  }
  Chunk* c = new_chunk(next_chunk_);
  if (next_chunk_ < kMaxChunk) next_chunk_ *= 2;
  c->prev = head_;
  if (head_) head_->next = c;
  head_ = c;
  char* base = reinterpret_cast<char*>(c) + header;
  cur_ = base + size;
  end_ = reinterpret_cast<char*>(c) + c->size;
  allocated_ += size;
  return base;
}

void* Arena::allocate_large(std::size_t size, bool zeroed) {
  ++epoch_;  // outside the bump pointer: no rewind() across this
  check_budget(size);
  if (size + kLargeHeader < size) throw_out_of_memory();
  Chunk* c = new_chunk(size + kLargeHeader, zeroed);
  link_behind_head(c);
  allocated_ += size;
  return reinterpret_cast<char*>(c) + kLargeHeader;
}

void* Arena::reallocate_large(void* block, std::size_t old_size, std::size_t new_size) {
  ++epoch_;  // outside the bump pointer: no rewind() across this
  if (new_size > old_size) check_budget(new_size - old_size);
  if (new_size + kLargeHeader < new_size) throw_out_of_memory();
  auto* c = reinterpret_cast<Chunk*>(static_cast<char*>(block) - kLargeHeader);
  Chunk* prev = c->prev;
  Chunk* next = c->next;
  auto* moved = static_cast<Chunk*>(resize_block(c, c->size, new_size + kLargeHeader, false));
  if (!moved) throw_out_of_memory();  // the old block is still there, still linked
  moved->size = new_size + kLargeHeader;
  if (prev) prev->next = moved;
  if (next) {
    next->prev = moved;
  } else {
    head_ = moved;
  }
  reserved_ = reserved_ - old_size + new_size;
  peak_reserved_ = std::max(peak_reserved_, reserved_);
  allocated_ = allocated_ - old_size + new_size;
  return reinterpret_cast<char*>(moved) + kLargeHeader;
}

void Arena::free_large(void* block, std::size_t size) noexcept {
  ++epoch_;  // outside the bump pointer: no rewind() across this
  auto* c = reinterpret_cast<Chunk*>(static_cast<char*>(block) - kLargeHeader);
  if (c->prev) c->prev->next = c->next;
  if (c->next) {
    c->next->prev = c->prev;
  } else {
    head_ = c->prev;  // a large block at the head: the bump pointer was not in it
  }
  reserved_ -= c->size;
  allocated_ -= size;
  free_block(c, c->size);
}

}  // namespace pickle::detail
