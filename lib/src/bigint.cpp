#include "bigint.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "pickle/error.h"

namespace pickle::detail {

IntRef::IntRef(Value v) noexcept : negative_(false), small_{0, 0} {
  if (v.is_int() && !v.is_small_int()) {
    const BigInt& b = v.as_bigint();
    negative_ = b.negative();
    mag_ = b.magnitude();
    return;
  }
  std::int64_t i = v.as_int();  // small int or bool
  negative_ = i < 0;
  std::uint64_t m = negative_ ? 0 - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
  small_[0] = static_cast<std::uint32_t>(m);
  small_[1] = static_cast<std::uint32_t>(m >> 32);
  mag_ = std::span<const std::uint32_t>(small_, small_[1] ? 2 : small_[0] ? 1 : 0);
}

Value make_int(Graph& g, bool negative, std::span<const std::uint32_t> magnitude) {
  return g.new_bigint(negative, magnitude);  // which normalizes
}

std::size_t bit_length(std::span<const std::uint32_t> mag) noexcept {
  if (mag.empty()) return 0;
  return (mag.size() - 1) * 32 + (32 - std::countl_zero(mag.back()));
}

int compare_magnitude(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b) noexcept {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (std::size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

namespace {

// mag = mag * mul + add, in place.
void mul_add(Limbs& mag, std::uint32_t mul, std::uint32_t add) {
  std::uint64_t carry = add;
  for (auto& limb : mag) {
    std::uint64_t t = std::uint64_t{limb} * mul + carry;
    limb = static_cast<std::uint32_t>(t);
    carry = t >> 32;
  }
  if (carry) mag.push_back(static_cast<std::uint32_t>(carry));
}

// mag /= div, returning the remainder; trims leading zero limbs.
std::uint32_t div_small(Limbs& mag, std::uint32_t div) {
  std::uint64_t rem = 0;
  for (std::size_t i = mag.size(); i-- > 0;) {
    std::uint64_t cur = (rem << 32) | mag[i];
    mag[i] = static_cast<std::uint32_t>(cur / div);
    rem = cur % div;
  }
  while (!mag.empty() && mag.back() == 0) mag.pop_back();
  return static_cast<std::uint32_t>(rem);
}

[[noreturn]] void throw_too_many_digits(std::size_t limit, PythonVersion python) {
  throw Error(ErrorType::ValueError,
              digit_limit_text(limit, python) + "; use sys.set_int_max_str_digits() to increase the limit");
}

}  // namespace

std::string digit_limit_text(std::size_t limit, PythonVersion python) {
  return "Exceeds the limit (" + std::to_string(limit) + (python < PythonVersion{3, 11} ? "" : " digits") +
         ") for integer string conversion";
}

void append_decimal(std::string& out, const IntRef& value, std::size_t max_digits, PythonVersion python) {
  auto mag = value.magnitude();
  if (mag.empty()) {
    out += '0';
    return;
  }
  if (mag.size() <= 2) {
    std::uint64_t m = mag.size() == 1 ? mag[0] : (std::uint64_t{mag[1]} << 32) | mag[0];
    if (value.negative()) out += '-';
    out += std::to_string(m);
    return;
  }
  // A number of b bits has at least floor((b-1) * log10(2)) + 1 digits: refuse the hopeless
  // cases before doing quadratic work, then check the exact count as CPython does.
  if (max_digits && (bit_length(mag) - 1) * 0.30102999566398114 > max_digits + 1)
    throw_too_many_digits(max_digits, python);
  Limbs work(mag.begin(), mag.end());
  std::vector<std::uint32_t> chunks;  // base 10^9, least significant first
  while (!work.empty()) chunks.push_back(div_small(work, 1000000000u));
  std::string digits = std::to_string(chunks.back());
  for (std::size_t i = chunks.size() - 1; i-- > 0;) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%09u", chunks[i]);
    digits += buf;
  }
  if (max_digits && digits.size() > max_digits) throw_too_many_digits(max_digits, python);
  if (value.negative()) out += '-';
  out += digits;
}

std::string to_decimal(Value int_value) {
  std::string s;
  append_decimal(s, IntRef(int_value));
  return s;
}

void append_twos_complement(std::string& out, const IntRef& value) {
  auto mag = value.magnitude();
  if (mag.empty()) return;
  // One byte more than the magnitude needs leaves room for the sign bit.
  std::size_t nbytes = (bit_length(mag) >> 3) + 1;
  std::size_t start = out.size();
  out.resize(start + nbytes);
  auto* p = reinterpret_cast<std::uint8_t*>(out.data() + start);
  for (std::size_t i = 0; i < nbytes; ++i) {
    std::size_t limb = i / 4;
    p[i] = limb < mag.size() ? static_cast<std::uint8_t>(mag[limb] >> (8 * (i % 4))) : 0;
  }
  if (value.negative()) {
    // Two's complement: invert and add one.
    unsigned carry = 1;
    for (std::size_t i = 0; i < nbytes; ++i) {
      unsigned t = static_cast<std::uint8_t>(~p[i]) + carry;
      p[i] = static_cast<std::uint8_t>(t);
      carry = t >> 8;
    }
    // -(2**(8*j-1)) fits one byte shorter: drop a redundant sign byte.
    if (nbytes > 1 && p[nbytes - 1] == 0xff && (p[nbytes - 2] & 0x80)) out.pop_back();
  }
}

Limbs limbs_from_digits(std::span<const std::uint8_t> digits, unsigned base) {
  Limbs mag;
  if (std::has_single_bit(base)) {
    // Power-of-two bases pack bits directly: linear in the number of digits.
    const unsigned bits = static_cast<unsigned>(std::countr_zero(base));
    std::uint64_t acc = 0;
    unsigned acc_bits = 0;
    for (std::size_t i = digits.size(); i-- > 0;) {
      acc |= std::uint64_t{digits[i]} << acc_bits;
      acc_bits += bits;
      if (acc_bits >= 32) {
        mag.push_back(static_cast<std::uint32_t>(acc));
        acc >>= 32;
        acc_bits -= 32;
      }
    }
    if (acc_bits) mag.push_back(static_cast<std::uint32_t>(acc));
  } else {
    // Other bases: accumulate as many digits as fit in 32 bits, then multiply in.
    std::uint32_t chunk_mul_max = 0xffffffffu / base;
    std::uint32_t chunk = 0, chunk_mul = 1;
    for (std::uint8_t d : digits) {
      chunk = chunk * base + d;
      chunk_mul *= base;
      if (chunk_mul > chunk_mul_max) {
        mul_add(mag, chunk_mul, chunk);
        chunk = 0;
        chunk_mul = 1;
      }
    }
    if (chunk_mul > 1) mul_add(mag, chunk_mul, chunk);
  }
  while (!mag.empty() && mag.back() == 0) mag.pop_back();
  return mag;
}

bool int_equals_double(const IntRef& i, double d) noexcept {
  if (!std::isfinite(d) || d != std::floor(d)) return false;
  if ((d < 0) != i.negative() && !(d == 0 && i.is_zero())) return false;
  double a = std::fabs(d);
  auto mag = i.magnitude();
  if (a == 0) return mag.empty();
  int exp;
  std::frexp(a, &exp);  // a = m * 2^exp, 0.5 <= m < 1: bit length is exp
  if (static_cast<std::size_t>(exp) != bit_length(mag)) return false;
  // Compare limb by limb from the top.
  for (std::size_t k = mag.size(); k-- > 0;) {
    double scale = std::ldexp(1.0, static_cast<int>(32 * k));
    double limb = std::floor(a / scale);
    if (limb != static_cast<double>(mag[k])) return false;
    a -= limb * scale;
  }
  return a == 0;
}

namespace {
constexpr unsigned kHashBits = 61;
constexpr std::uint64_t kHashModulus = (std::uint64_t{1} << kHashBits) - 1;

std::uint64_t finish_hash(std::uint64_t x, bool negative) {
  if (negative) x = 0 - x;
  if (x == static_cast<std::uint64_t>(-1)) x = static_cast<std::uint64_t>(-2);
  return x;
}
}  // namespace

std::uint64_t hash_int(const IntRef& i) noexcept {
  std::uint64_t x = 0;
  auto mag = i.magnitude();
  for (std::size_t k = mag.size(); k-- > 0;) {
    unsigned __int128 t = (static_cast<unsigned __int128>(x) << 32) | mag[k];
    x = static_cast<std::uint64_t>(t % kHashModulus);
  }
  return finish_hash(x, i.negative());
}

std::uint64_t hash_double(double v) noexcept {
  if (std::isinf(v)) return v > 0 ? 314159 : static_cast<std::uint64_t>(-314159);
  if (std::isnan(v)) return 0;  // CPython hashes NaN by identity; any value is consistent
  int e;
  double m = std::frexp(v, &e);
  bool negative = m < 0;
  if (negative) m = -m;
  // Consume the mantissa 28 bits at a time, reducing modulo 2^61 - 1 as a rotation.
  std::uint64_t x = 0;
  while (m) {
    x = ((x << 28) & kHashModulus) | x >> (kHashBits - 28);
    m *= 268435456.0;
    e -= 28;
    auto y = static_cast<std::uint64_t>(m);
    m -= static_cast<double>(y);
    x += y;
    if (x >= kHashModulus) x -= kHashModulus;
  }
  e = e >= 0 ? e % static_cast<int>(kHashBits)
             : static_cast<int>(kHashBits) - 1 - ((-1 - e) % static_cast<int>(kHashBits));
  x = ((x << e) & kHashModulus) | x >> (kHashBits - e);
  return finish_hash(x, negative);
}

double int_to_double(const IntRef& i, bool& overflow) noexcept {
  overflow = false;
  auto mag = i.magnitude();
  std::size_t bits = bit_length(mag);
  double r;
  if (bits <= 64) {
    std::uint64_t m = mag.empty() ? 0 : mag.size() == 1 ? mag[0] : (std::uint64_t{mag[1]} << 32) | mag[0];
    r = static_cast<double>(m);
  } else {
    if (bits > 1024) {
      overflow = true;
      return 0;
    }
    // Top 64 bits, with every lower bit folded into the last one so that rounding to 53
    // bits is still correct (round half to even).
    std::size_t shift = bits - 64;
    std::uint64_t top = 0;
    bool sticky = false;
    for (std::size_t b = 0; b < shift; ++b) {
      if (mag[b / 32] >> (b % 32) & 1) {
        sticky = true;
        break;
      }
    }
    for (int b = 63; b >= 0; --b) {
      std::size_t pos = shift + static_cast<std::size_t>(b);
      top = (top << 1) | ((mag[pos / 32] >> (pos % 32)) & 1);
    }
    r = std::ldexp(static_cast<double>(top | (sticky ? 1 : 0)), static_cast<int>(shift));
    if (std::isinf(r)) {
      overflow = true;
      return 0;
    }
  }
  return i.negative() ? -r : r;
}

}  // namespace pickle::detail
