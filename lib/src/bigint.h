// Arbitrary-precision integer helpers behind pickle::BigInt. Magnitudes are little-endian
// base-2^32 limbs without leading zero limbs; zero has no limbs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/value.h"

namespace pickle::detail {

using Limbs = std::vector<std::uint32_t>;

/// Sign and magnitude of any int Value (small or big), without allocating.
class IntRef {
 public:
  explicit IntRef(Value v) noexcept;
  IntRef(const IntRef&) = delete;
  IntRef& operator=(const IntRef&) = delete;
  bool negative() const noexcept { return negative_; }
  std::span<const std::uint32_t> magnitude() const noexcept { return mag_; }
  bool is_zero() const noexcept { return mag_.empty(); }

 private:
  bool negative_;
  std::uint32_t small_[2];
  std::span<const std::uint32_t> mag_;
};

/// The int (immediate when it fits int64) with this sign and magnitude.
Value make_int(Graph& g, bool negative, std::span<const std::uint32_t> magnitude);

/// CPython's limit on int <-> decimal string conversion (sys.int_info.default_max_str_digits).
inline constexpr std::size_t kMaxStrDigits = 4300;

/// "Exceeds the limit (4300 digits) for integer string conversion", the start of the
/// digit-limit errors; before 3.11 the limit is written "(4300)".
std::string digit_limit_text(std::size_t limit, PythonVersion python);

/// Decimal text of an int, as repr(int). Throws ValueError ("Exceeds the limit (4300 digits)
/// for integer string conversion; ...") like CPython when it has more than max_digits
/// digits (0: no limit).
void append_decimal(std::string& out, const IntRef& value, std::size_t max_digits = kMaxStrDigits,
                    PythonVersion python = {});
std::string to_decimal(Value int_value);

/// Minimal little-endian two's complement encoding, as pickle's LONG1/LONG4 (and Python's
/// encode_long): zero encodes as no bytes.
void append_twos_complement(std::string& out, const IntRef& value);

/// Magnitude from digits in `base` (2..36); digits are values 0..base-1.
Limbs limbs_from_digits(std::span<const std::uint8_t> digits, unsigned base);

int compare_magnitude(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b) noexcept;
/// Python int == float.
bool int_equals_double(const IntRef& i, double d) noexcept;
/// Python's hash of an int (modulo 2^61 - 1, -1 mapped to -2).
std::uint64_t hash_int(const IntRef& i) noexcept;
/// Python's hash of a float.
std::uint64_t hash_double(double d) noexcept;
/// Nearest double, as float(int); sets overflow when the int is too large.
double int_to_double(const IntRef& i, bool& overflow) noexcept;
/// Number of bits in the magnitude (int.bit_length()).
std::size_t bit_length(std::span<const std::uint32_t> magnitude) noexcept;

}  // namespace pickle::detail
