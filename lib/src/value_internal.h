// Private helpers of the value model shared by the library's sources.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pickle/error.h"
#include "pickle/value.h"

namespace pickle::detail {

/// pickle.UnpicklingError with `message`: a malformed pickle, or a refused global.
[[noreturn]] inline void unpickling_error(std::string message) { fail(ErrorType::UnpicklingError, std::move(message)); }

/// Called in a catch (...) of a public function: rethrows the exception being handled,
/// except that the standard library's std::bad_alloc and std::length_error become
/// pickle::Error MemoryError, so that every failure of the library is a pickle::Error.
/// Other exceptions (a user's hook may throw anything) pass unchanged.
[[noreturn]] void rethrow_allocation_failure();

/// True for the builtin types whose instances the library holds as Values (complex, set,
/// frozenset, bytes, bytearray). An Object recording a call of one (complex(x) for an x the
/// library could not convert) is an instance whose value is unknown.
inline bool is_value_type(Global::Builtin b) noexcept {
  using B = Global::Builtin;
  return b == B::Complex || b == B::Set || b == B::FrozenSet || b == B::Bytes || b == B::ByteArray;
}

/// 4 and 8 bytes in a fixed byte order, each as one load or store.
inline std::uint32_t load_le32(const unsigned char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}
inline void put_le32(char* out, std::uint32_t v) noexcept {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  std::memcpy(out, &v, 4);
}
inline void put_be64(char* out, std::uint64_t v) noexcept {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(out, &v, 8);
}

/// memcpy for the short strings that dominate pickles, without a library call: two
/// overlapping fixed-size copies cover any length from 4 to 16.
inline void copy_chars(char* dst, const char* src, std::size_t n) noexcept {
  if (n >= 8 && n <= 16) {
    std::memcpy(dst, src, 8);
    std::memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(dst, src, 4);
    std::memcpy(dst + n - 4, src + n - 4, 4);
  } else if (n) {
    std::memcpy(dst, src, n);
  }
}

}  // namespace pickle::detail
