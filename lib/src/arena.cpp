#include "pickle/arena.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "pickle/error.h"

namespace pickle::detail {

namespace {
// Chunks start small so that loading a tiny pickle stays cheap, and double up to 1 MiB so
// that large graphs need few system allocations. Bigger requests get a chunk of their own.
constexpr std::size_t kMaxChunk = std::size_t{1} << 20;
}  // namespace

Arena::Arena(Arena&& other) noexcept { *this = std::move(other); }

Arena& Arena::operator=(Arena&& other) noexcept {
  if (this != &other) {
    release();
    cur_ = std::exchange(other.cur_, nullptr);
    end_ = std::exchange(other.end_, nullptr);
    head_ = std::exchange(other.head_, nullptr);
    next_chunk_ = std::exchange(other.next_chunk_, 4096);
    allocated_ = std::exchange(other.allocated_, 0);
    reserved_ = std::exchange(other.reserved_, 0);
    limit_ = std::exchange(other.limit_, std::numeric_limits<std::size_t>::max());
  }
  return *this;
}

Arena::~Arena() { release(); }

void Arena::release() noexcept {
  while (head_) {
    Chunk* prev = head_->prev;
    std::free(head_);
    head_ = prev;
  }
  cur_ = end_ = nullptr;
}

void* Arena::allocate_slow(std::size_t size, std::size_t align) {
  if (size > budget_left()) {
    throw Error(ErrorType::MemoryError,
                "allocation of " + std::to_string(size) + " bytes exceeds the memory limit of " +
                    std::to_string(limit_) + " bytes");
  }
  const std::size_t header = (sizeof(Chunk) + align - 1) & ~(align - 1);
  std::size_t chunk = next_chunk_;
  if (size + header > chunk / 4 * 3) {
    chunk = size + header;  // a dedicated chunk; the current one stays open
  } else if (next_chunk_ < kMaxChunk) {
    next_chunk_ *= 2;
  }
  if (chunk < size) throw std::bad_alloc();  // overflow of size + header
  auto* c = static_cast<Chunk*>(std::malloc(chunk));
  if (!c) throw std::bad_alloc();
  reserved_ += chunk;
  char* base = reinterpret_cast<char*>(c) + header;
  if (chunk == size + header && cur_ != nullptr) {
    // Dedicated chunk: link it behind the head so the open chunk keeps serving.
    c->prev = head_->prev;
    c->size = chunk;
    head_->prev = c;
    allocated_ += size;
    return base;
  }
  c->prev = head_;
  c->size = chunk;
  head_ = c;
  cur_ = base + size;
  end_ = reinterpret_cast<char*>(c) + chunk;
  allocated_ += size;
  return base;
}

}  // namespace pickle::detail
