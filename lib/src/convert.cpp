// The compiled cores of pickle/convert.h: checks and messages shared by every instantiation.
#include "pickle/convert.h"

#include <cstring>

#include "bigint.h"
#include "codecs.h"
#include "pytext.h"
#include "value_internal.h"

namespace pickle {

std::string int_to_string(Value v, std::size_t max_digits) {
  if (!v.is_int() && !v.is_bool()) detail::throw_wrong_kind(v, "int");
  std::string out;
  detail::append_decimal(out, detail::IntRef(v), max_digits);
  return out;
}

Value int_from_string(Graph& g, std::string_view text) { return detail::py_int_from_str(g, text, 10); }

namespace detail {

void throw_conversion_error(ErrorType type, std::string message) { throw Error(type, std::move(message)); }

void rethrow_conversion_failure() { rethrow_allocation_failure(); }

void throw_int_range(bool negative, const char* target) {
  throw Error(ErrorType::OverflowError,
              std::string("Python int too ") + (negative ? "small" : "large") + " to convert to " + target);
}

void throw_not_int64(Value v, const char* target) {
  if (!v.is_int()) throw_wrong_kind(v, "int");
  throw_int_range(v.as_bigint().negative(), target);
}

IntParts int_parts(Value v, const char* target) {
  if (!v.is_int() && !v.is_bool()) throw_wrong_kind(v, "int");
  IntRef ref(v);
  std::span<const std::uint32_t> m = ref.magnitude();
  if (m.size() > 4) throw_int_range(ref.negative(), target);
  std::uint32_t limbs[4] = {0, 0, 0, 0};
  std::memcpy(limbs, m.data(), m.size() * sizeof(std::uint32_t));
  return {ref.negative(), limbs[0] | (std::uint64_t{limbs[1]} << 32), limbs[2] | (std::uint64_t{limbs[3]} << 32)};
}

std::uint64_t to_uint64(Value v, const char* target) {
  IntParts p = int_parts(v, target);
  if (p.negative && (p.low || p.high)) throw_int_range(true, target);
  if (p.high) throw_int_range(false, target);
  return p.low;
}

Value int_from_parts(Graph& g, const IntParts& p) {
  const std::uint32_t limbs[4] = {static_cast<std::uint32_t>(p.low), static_cast<std::uint32_t>(p.low >> 32),
                                  static_cast<std::uint32_t>(p.high), static_cast<std::uint32_t>(p.high >> 32)};
  return g.new_bigint(p.negative, limbs);  // normalizes, and is an immediate when it fits
}

Value int_from_uint64(Graph& g, std::uint64_t x) { return int_from_parts(g, {false, x, 0}); }

double to_double(Value v) {
  switch (v.kind()) {
    case Kind::Float: return v.as_float();
    case Kind::Bool:
    case Kind::Int: {
      if (std::optional<std::int64_t> i = v.try_as_int()) return static_cast<double>(*i);
      bool overflow = false;
      double d = int_to_double(IntRef(v), overflow);
      if (overflow) throw Error(ErrorType::OverflowError, "int too large to convert to float");
      return d;
    }
    default: throw_wrong_kind(v, "float");
  }
}

std::string_view to_utf8(Value v) {
  std::string_view s = v.as_str().utf8();
  // Surrogates, the only code points UTF-8 cannot carry, are encoded as ED A0..BF xx.
  for (std::size_t i = s.find('\xED'); i != std::string_view::npos; i = s.find('\xED', i + 1)) {
    if (i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0xA0) {
      std::string unused;
      encode(Codec::Utf8, ErrorHandler::Strict, s, unused);  // throws CPython's UnicodeEncodeError
    }
  }
  return s;
}

Value str_from_utf8(Graph& g, std::string_view utf8) {
  std::string decoded;
  decode(Codec::Utf8, ErrorHandler::Strict, utf8, decoded);  // CPython's UnicodeDecodeError
  return g.new_str(decoded);
}

std::span<const std::uint8_t> to_byte_span(Value v) { return v.as_bytes().view(); }

std::span<const Value> sequence_items(Value v, const char* expected) {
  if (const List* l = v.try_as_list()) return l->items();
  if (const Tuple* t = v.try_as_tuple()) return t->items();
  throw_wrong_kind(v, expected);
}

void check_length(std::span<const Value> items, std::size_t n) {
  if (items.size() != n) {
    throw Error(ErrorType::ValueError,
                "expected a sequence of " + std::to_string(n) + " items, got " + std::to_string(items.size()));
  }
}

Value tuple_from(Graph& g, std::span<const Value> items) { return g.new_tuple(items); }

}  // namespace detail
}  // namespace pickle
