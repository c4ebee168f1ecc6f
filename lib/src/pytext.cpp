// CPython 3.11's text formats for reprs and numbers. The rules were taken from CPython's
// documentation and sources (unicode_repr and PyBytes_Repr, PyOS_double_to_string's 'r'
// mode, PyLong_FromString, _PyLong_FromBytes, PyOS_string_to_double, _Py_dg_strtod,
// PyFloat_FromString) and checked against the interpreter by
// lib/test/golden/gen_text_cases.py.
#include "pytext.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "bigint.h"
#include "codecs.h"
#include "pickle/error.h"
#include "wtf8.h"

namespace pickle::detail {

namespace {

#include "unicode_tables.inc"

const unsigned char* bytes_of(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

// Py_ISSPACE: the ASCII whitespace characters, locale independent.
inline bool py_isspace(unsigned char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }
inline bool is_digit(unsigned char c) noexcept { return c >= '0' && c <= '9'; }

// An optional sign at s[i]: moves i past it; true for '-'.
inline bool skip_sign(std::string_view s, std::size_t& i) noexcept {
  if (i >= s.size() || (s[i] != '-' && s[i] != '+')) return false;
  return s[i++] == '-';
}

// _PyLong_DigitValue: 0-9, then letters of either case as 10..35; 37 for anything else.
inline unsigned digit_value(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 37;
}

std::string_view cut_at_nul(std::string_view s) noexcept {
  const std::size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

// A C string as PyUnicode_FromFormat's %.<precision>s shows it: cut at the first NUL and
// after `precision` bytes, decoded as UTF-8 with the "replace" handler.
std::string format_cstring(std::string_view s, std::size_t precision) {
  s = cut_at_nul(s);
  if (s.size() > precision) s = s.substr(0, precision);
  std::string out;
  decode(Codec::Utf8, ErrorHandler::Replace, s, out);
  return out;
}

// The quote repr() uses: ' unless the text has ' and no ".
char choose_quote(std::string_view s) noexcept {
  const bool squote = s.find('\'') != std::string_view::npos;
  const bool dquote = squote && s.find('"') != std::string_view::npos;
  return squote && !dquote ? '"' : '\'';
}

// How repr() writes an ASCII character of a str, or any byte of bytes, between quotes:
// itself, a two-character escape or \xNN. `escape_quote` says whether ' is escaped
// (between ' quotes, and in every bytearray); text between " quotes has no " to escape.
struct ByteEscape {
  std::uint8_t size;
  char text[4];
};
constexpr std::array<ByteEscape, 256> byte_escapes(bool escape_quote) {
  std::array<ByteEscape, 256> table{};
  constexpr char kHex[] = "0123456789abcdef";
  for (int c = 0; c < 256; ++c) {
    ByteEscape& e = table[c];
    const auto two = [&e](char second) { e = {2, {'\\', second, 0, 0}}; };
    if (c == '\\' || (c == '\'' && escape_quote)) {
      two(static_cast<char>(c));
    } else if (c == '\t') {
      two('t');
    } else if (c == '\n') {
      two('n');
    } else if (c == '\r') {
      two('r');
    } else if (c < ' ' || c >= 0x7F) {
      e = {4, {'\\', 'x', kHex[c >> 4], kHex[c & 15]}};
    } else {
      e = {1, {static_cast<char>(c), 0, 0, 0}};
    }
  }
  return table;
}
constexpr std::array<ByteEscape, 256> kEscapeQuote = byte_escapes(true);
constexpr std::array<ByteEscape, 256> kKeepQuote = byte_escapes(false);

// The escapes for text between `quote`s.
const std::array<ByteEscape, 256>& escapes_within(char quote) { return quote == '\'' ? kEscapeQuote : kKeepQuote; }

void append_str_repr(std::string& out, std::string_view s, bool ascii_only, PythonVersion python) {
  const char quote = choose_quote(s);
  const std::array<ByteEscape, 256>& escapes = escapes_within(quote);
  const unsigned char* p = bytes_of(s);
  const std::size_t n = s.size();
  out.reserve(out.size() + n + 2);
  out.push_back(quote);
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      out.append(escapes[c].text, escapes[c].size);
      ++i;
      continue;
    }
    const std::size_t at = i;
    const char32_t cp = wtf8::next(s, i);
    if (ascii_only || !is_printable(cp, python)) {
      wtf8::append_backslash_escape(out, cp);
    } else if (cp == wtf8::kReplacement && i - at != 3) {
      wtf8::append(out, cp);  // a malformed byte
    } else {
      out.append(s.data() + at, i - at);
    }
  }
  out.push_back(quote);
}

// ---- int parsing --------------------------------------------------------------------

[[noreturn]] void throw_digit_limit(std::size_t digits, PythonVersion python) {
  throw Error(ErrorType::ValueError, digit_limit_text(kMaxStrDigits, python) + ": value has " + std::to_string(digits) +
                                         " digits; use sys.set_int_max_str_digits() to increase the limit");
}

struct LongLiteral {
  bool ok;           // false: a syntax error ("invalid literal")
  int message_base;  // the base CPython names in that error
  bool negative = false;
  int base = 10;
  std::size_t first = 0;  // the digits and underscores are s[first, last)
  std::size_t last = 0;
  bool zero_only = false;  // set when all digits are zero
};

// The parsing half of PyLong_FromString on the C string s (no NUL inside). Throws the
// errors that CPython raises directly (base range, digit limit); syntax errors are
// reported in the result because the message depends on the caller.
LongLiteral scan_long(std::string_view s, int base, PythonVersion python = {}) {
  if ((base != 0 && base < 2) || base > 36) {
    throw Error(ErrorType::ValueError, "int() arg 2 must be >= 2 and <= 36");
  }
  const std::size_t n = s.size();
  auto at = [&](std::size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(s[k]) : 0; };
  std::size_t i = 0;
  while (i < n && py_isspace(at(i))) ++i;
  LongLiteral r{};
  r.negative = skip_sign(s, i);
  bool error_if_nonzero = false;  // "0" followed by more digits: old octal, invalid unless 0
  if (base == 0) {
    const unsigned char c1 = at(i + 1);
    if (at(i) != '0') {
      base = 10;
    } else if (c1 == 'x' || c1 == 'X') {
      base = 16;
    } else if (c1 == 'o' || c1 == 'O') {
      base = 8;
    } else if (c1 == 'b' || c1 == 'B') {
      base = 2;
    } else {
      error_if_nonzero = true;
      base = 10;
    }
  }
  auto syntax_error = [&](int b) {
    LongLiteral e{};
    e.ok = false;
    e.message_base = b;
    return e;
  };
  if (at(i) == '0') {
    const unsigned char c1 = at(i + 1) | 0x20;
    if ((base == 16 && c1 == 'x') || (base == 8 && c1 == 'o') || (base == 2 && c1 == 'b')) {
      i += 2;
      if (at(i) == '_') ++i;  // one underscore may follow the prefix
    }
  }
  if (at(i) == '_') return syntax_error(base);
  const std::size_t start = i;
  std::size_t digits = 0;
  bool nonzero = false;
  unsigned char prev = 0;
  for (;; ++i) {
    const unsigned char c = at(i);
    if (c == '_') {
      if (prev == '_') return syntax_error(base);
    } else if (digit_value(c) < static_cast<unsigned>(base)) {
      ++digits;
      nonzero |= c != '0';
    } else {
      break;
    }
    prev = c;
  }
  if (prev == '_') return syntax_error(base);
  const bool power_of_two = (base & (base - 1)) == 0;
  if (!power_of_two && digits > kMaxStrDigits) throw_digit_limit(digits, python);
  const std::size_t stop = i;
  if (error_if_nonzero) {
    base = 0;  // CPython names base 0 in the messages from here on
    if (nonzero) return syntax_error(0);
  }
  if (stop == start) return syntax_error(base);
  while (i < n && py_isspace(at(i))) ++i;
  if (i != n) return syntax_error(base);
  r.ok = true;
  r.message_base = base;
  r.base = base == 0 ? 10 : base;
  r.first = start;
  r.last = stop;
  r.zero_only = !nonzero;
  return r;
}

Value build_long(Graph& g, std::string_view s, const LongLiteral& lit) {
  if (lit.zero_only) return Value::integer(0);
  const unsigned base = static_cast<unsigned>(lit.base);
  std::uint64_t acc = 0;
  bool big = false;
  for (std::size_t i = lit.first; i < lit.last; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '_') continue;
    if (__builtin_mul_overflow(acc, std::uint64_t{base}, &acc) ||
        __builtin_add_overflow(acc, std::uint64_t{digit_value(c)}, &acc)) {
      big = true;
      break;
    }
  }
  if (!big) {
    constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!lit.negative && acc <= kMax) return Value::integer(static_cast<std::int64_t>(acc));
    if (lit.negative && acc <= kMax + 1) return Value::integer(static_cast<std::int64_t>(0 - acc));
    const std::uint32_t limbs[2] = {static_cast<std::uint32_t>(acc), static_cast<std::uint32_t>(acc >> 32)};
    return make_int(g, lit.negative, std::span<const std::uint32_t>(limbs, 2));
  }
  std::vector<std::uint8_t> digits;
  digits.reserve(lit.last - lit.first);
  for (std::size_t i = lit.first; i < lit.last; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c != '_') digits.push_back(static_cast<std::uint8_t>(digit_value(c)));
  }
  const Limbs magnitude = limbs_from_digits(digits, base);
  return make_int(g, lit.negative, magnitude);
}

// ---- float parsing ------------------------------------------------------------------

struct DoubleParse {
  double value = 0.0;
  std::size_t end = 0;  // 0: nothing parsed
  bool overflow = false;
};

bool match_word(std::string_view s, std::size_t i, std::string_view word) noexcept {
  if (s.size() - i < word.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    unsigned char c = static_cast<unsigned char>(s[i + k]);
    if (c >= 'A' && c <= 'Z') c += 32;
    if (c != static_cast<unsigned char>(word[k])) return false;
  }
  return true;
}

// _PyOS_ascii_strtod on the C string s (no NUL inside): _Py_dg_strtod's grammar (sign,
// digits with an optional '.', optional exponent; no whitespace, no hex), correctly
// rounded; else "inf", "infinity" or "nan" in any case, with an optional sign.
DoubleParse parse_double(std::string_view s) {
  const std::size_t n = s.size();
  auto at = [&](std::size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(s[k]) : 0; };
  DoubleParse r;
  std::size_t i = 0;
  const bool negative = skip_sign(s, i);
  const std::size_t mantissa = i;
  std::size_t z = i;
  while (at(i) == '0') ++i;
  bool leading_zeros = i != z;
  const std::size_t int_first = i;
  while (is_digit(at(i))) ++i;
  const std::size_t int_digits = i - int_first;  // significant integer digits
  std::size_t digits = int_digits;
  std::size_t frac_zeros = 0;  // zeros after the point before the first significant digit
  std::size_t frac_len = 0;
  if (at(i) == '.') {
    ++i;
    if (digits == 0) {
      z = i;
      while (at(i) == '0') ++i;
      leading_zeros = leading_zeros || i != z;
      frac_zeros = i - z;
      frac_len += frac_zeros;
    }
    z = i;
    while (is_digit(at(i))) ++i;
    digits += i - z;
    frac_len += i - z;
  }
  constexpr std::size_t kMaxDigits = 1000000000;  // _Py_dg_strtod gives up beyond this
  if ((digits == 0 && !leading_zeros) || digits > kMaxDigits || frac_len > kMaxDigits) {
    // Not a number: maybe an infinity or a NaN.
    std::size_t k = 0;
    const bool neg = skip_sign(s, k);
    if (match_word(s, k, "inf")) {
      k += 3;
      if (match_word(s, k, "inity")) k += 5;
      r.value = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      r.end = k;
    } else if (match_word(s, k, "nan")) {
      r.value = std::copysign(std::numeric_limits<double>::quiet_NaN(), neg ? -1.0 : 1.0);
      r.end = k + 3;
    }
    return r;
  }
  constexpr std::int64_t kMaxAbsExp = 1100000000;  // saturation of huge exponents
  std::int64_t exponent = 0;
  if (at(i) == 'e' || at(i) == 'E') {
    const std::size_t e_pos = i;
    ++i;
    const bool eneg = skip_sign(s, i);
    z = i;
    while (at(i) == '0') ++i;
    const bool exp_zeros = i != z;
    const std::size_t d = i;
    std::int64_t value = 0;
    while (is_digit(at(i))) {
      if (value <= kMaxAbsExp) value = value * 10 + (at(i) - '0');
      ++i;
    }
    exponent = std::min(value, kMaxAbsExp);
    if (eneg) exponent = -exponent;
    if (i == d && !exp_zeros) {  // "e" without digits is not part of the number
      i = e_pos;
      exponent = 0;
    }
  }
  r.end = i;
  if (digits == 0) {
    r.value = negative ? -0.0 : 0.0;
    return r;
  }
  double magnitude = 0.0;
  const auto res = std::from_chars(s.data() + mantissa, s.data() + i, magnitude, std::chars_format::general);
  if (res.ec == std::errc::result_out_of_range) {
    // The decimal exponent of the leading digit tells overflow from underflow.
    const std::int64_t lead = int_digits > 0 ? static_cast<std::int64_t>(int_digits) - 1 + exponent
                                             : exponent - static_cast<std::int64_t>(frac_zeros) - 1;
    if (lead > 0) {
      magnitude = std::numeric_limits<double>::infinity();
      r.overflow = true;
    } else {
      magnitude = 0.0;
    }
  }
  r.value = negative ? -magnitude : magnitude;
  return r;
}

}  // namespace

// ---- repr ---------------------------------------------------------------------------

void append_repr_str(std::string& out, std::string_view wtf8_text, PythonVersion python) {
  append_str_repr(out, wtf8_text, false, python);
}

void append_ascii_str(std::string& out, std::string_view wtf8_text) { append_str_repr(out, wtf8_text, true, {}); }

// Writes the escapes of data from p (room for 4 bytes a byte); returns the end.
char* escape_bytes(char* p, std::span<const std::uint8_t> data, const std::array<ByteEscape, 256>& esc) {
  for (std::uint8_t c : data) {
    const ByteEscape& e = esc[c];
    std::memcpy(p, e.text, 4);  // the end moves by the escape's size
    p += e.size;
  }
  return p;
}

// The escaped bytes, sized exactly first: a 100 MB payload's repr is one allocation.
void append_escaped_bytes(std::string& out, std::span<const std::uint8_t> data,
                          const std::array<ByteEscape, 256>& esc) {
  std::size_t total = 0;
  for (std::uint8_t c : data) total += esc[c].size;
  const std::size_t at = out.size();
  out.resize(at + total + 3);  // the last escape is copied as 4 bytes too
  escape_bytes(out.data() + at, data, esc);
  out.resize(at + total);
}

// How repr() writes bytes or a bytearray around the escaped data.
struct BytesReprForm {
  std::string_view prefix, suffix;
  const std::array<ByteEscape, 256>* escapes;
};
BytesReprForm bytes_repr_form(std::span<const std::uint8_t> data, bool bytearray) {
  const std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  const bool double_quotes = choose_quote(s) == '"';
  // Unlike bytes, bytearray escapes ' even between double quotes: bytearray(b"\'").
  if (bytearray) return {double_quotes ? "bytearray(b\"" : "bytearray(b'", double_quotes ? "\")" : "')", &kEscapeQuote};
  return {double_quotes ? "b\"" : "b'", double_quotes ? "\"" : "'", &escapes_within(double_quotes ? '"' : '\'')};
}

void append_repr_bytes(std::string& out, std::span<const std::uint8_t> data) {
  const BytesReprForm form = bytes_repr_form(data, false);
  out += form.prefix;
  append_escaped_bytes(out, data, *form.escapes);
  out += form.suffix;
}

void append_repr_bytearray(std::string& out, std::span<const std::uint8_t> data) {
  const BytesReprForm form = bytes_repr_form(data, true);
  out += form.prefix;
  append_escaped_bytes(out, data, *form.escapes);
  out += form.suffix;
}

std::size_t write_repr_bytes(std::span<const std::uint8_t> data, bool bytearray,
                             const std::function<void(std::string_view)>& write) {
  constexpr std::size_t kPiece = 16 * 1024;  // input bytes escaped per write
  const BytesReprForm form = bytes_repr_form(data, bytearray);
  write(form.prefix);
  std::size_t written = form.prefix.size();
  std::string piece(4 * kPiece, '\0');
  for (std::size_t at = 0; at < data.size(); at += kPiece) {
    const char* end = escape_bytes(piece.data(), data.subspan(at, std::min(kPiece, data.size() - at)), *form.escapes);
    const std::string_view escaped(piece.data(), static_cast<std::size_t>(end - piece.data()));
    write(escaped);
    written += escaped.size();
  }
  write(form.suffix);
  return written + form.suffix.size();
}

void append_repr_float(std::string& out, double x) {
  if (std::isnan(x)) {
    out += "nan";
    return;
  }
  if (std::isinf(x)) {
    out += x < 0 ? "-inf" : "inf";
    return;
  }
  // Shortest round-trip digits in scientific form, "d.ddde+XX", then laid out as repr
  // does: fixed notation when -4 <= exponent < 16, else d.ddde+XX with 2+ digit exponent.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  const char* p = buf;
  const char* end = res.ptr;
  if (*p == '-') {
    out.push_back('-');
    ++p;
  }
  char digits[32];
  int ndigits = 0;
  while (p < end && *p != 'e') {
    if (*p != '.') digits[ndigits++] = *p;
    ++p;
  }
  int exponent = 0;
  std::from_chars(p + 1 + (p[1] == '+'), end, exponent);
  if (exponent < -4 || exponent >= 16) {
    out.push_back(digits[0]);
    if (ndigits > 1) {
      out.push_back('.');
      out.append(digits + 1, ndigits - 1);
    }
    out.push_back('e');
    out.push_back(exponent < 0 ? '-' : '+');
    const int a = exponent < 0 ? -exponent : exponent;
    if (a < 10) out.push_back('0');
    out += std::to_string(a);
    return;
  }
  const int point = exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out.append(digits, ndigits);
  } else if (point >= ndigits) {
    out.append(digits, ndigits);
    out.append(static_cast<std::size_t>(point - ndigits), '0');
    out += ".0";
  } else {
    out.append(digits, point);
    out.push_back('.');
    out.append(digits + point, ndigits - point);
  }
}

bool is_printable(char32_t cp, PythonVersion python) noexcept {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7F;
  // The last range starting at or below cp.
  std::size_t lo = 0, hi = kPrintableRangeCount;
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (kPrintableRanges[mid][0] <= cp) lo = mid + 1;
    else hi = mid;
  }
  bool printable = lo > 0 && cp <= kPrintableRanges[lo - 1][1];
  // Another release's Unicode database (the table is 3.11's): the code points it
  // classifies otherwise.
  if (python == PythonVersion{3, 11}) return printable;
  for (const auto& d : kPrintableDifferences) {
    if (python.major == 3 && static_cast<int>(d[0]) == python.minor && d[1] <= cp && cp <= d[2]) {
      printable = !printable;
      break;
    }
  }
  return printable;
}

// ---- parsing numbers ----------------------------------------------------------------

StrtolResult c_strtol(std::string_view s) noexcept {
  const std::size_t n = s.size();
  auto at = [&](std::size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(s[k]) : 0; };
  std::size_t i = 0;
  while (i < n && py_isspace(at(i))) ++i;  // isspace() in the "C" locale
  const bool negative = skip_sign(s, i);
  unsigned base = 10;
  if (at(i) == '0') {
    if ((at(i + 1) | 0x20) == 'x') {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  const std::size_t first = i;
  const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
  std::uint64_t acc = 0;
  bool overflow = false;
  for (;; ++i) {
    const unsigned d = digit_value(at(i));
    if (d >= base) break;
    if (!overflow) {
      if (acc > (limit - d) / base) overflow = true;
      else acc = acc * base + d;
    }
  }
  if (i == first) {
    // No digits. After "0x", glibc consumes the "0" and points at the 'x'.
    return {0, base == 16 ? first - 1 : 0, false};
  }
  if (overflow) {
    return {negative ? std::numeric_limits<long long>::min() : std::numeric_limits<long long>::max(), i, true};
  }
  return {negative ? static_cast<long long>(0 - acc) : static_cast<long long>(acc), i, false};
}

Value py_long_from_cstring(Graph& g, std::string_view s, int base, PythonVersion python) {
  s = cut_at_nul(s);
  const LongLiteral lit = scan_long(s, base, python);
  if (lit.ok) return build_long(g, s, lit);
  // The message shows the first 200 bytes decoded as UTF-8 (which may fail), in a repr cut
  // at 200 characters.
  std::string text;
  decode(Codec::Utf8, ErrorHandler::Strict, s.substr(0, std::min<std::size_t>(s.size(), 200)), text);
  std::string msg = "invalid literal for int() with base " + std::to_string(lit.message_base) + ": ";
  const std::size_t mark = msg.size();
  append_repr_str(msg, text);
  wtf8::truncate_code_points(msg, mark, 200);
  throw Error(ErrorType::ValueError, std::move(msg));
}

namespace {
int unicode_decimal(char32_t cp) noexcept {
  const std::uint32_t* after = std::upper_bound(std::begin(kDecimalZeros), std::end(kDecimalZeros), cp);
  if (after == std::begin(kDecimalZeros)) return -1;
  const std::uint32_t zero = after[-1];
  return cp - zero < 10 ? static_cast<int>(cp - zero) : -1;
}

bool unicode_space(char32_t cp) noexcept {
  return std::find(std::begin(kNonAsciiSpaces), std::end(kNonAsciiSpaces), cp) != std::end(kNonAsciiSpaces);
}
}  // namespace

Value py_int_from_str(Graph& g, std::string_view wtf8, int base) {
  // PyLong_FromUnicodeObject: Unicode spaces become ' ' and decimal digits ASCII digits; the
  // first other code point from U+007F up ends the text with '?', which no literal takes.
  std::string ascii;
  for (std::size_t i = 0; i < wtf8.size();) {
    const char32_t cp = wtf8::next(wtf8, i);
    if (cp < 0x7F) {
      ascii.push_back(static_cast<char>(cp));
    } else if (unicode_space(cp)) {
      ascii.push_back(' ');
    } else if (int d = unicode_decimal(cp); d >= 0) {
      ascii.push_back(static_cast<char>('0' + d));
    } else {
      ascii.push_back('?');
      break;
    }
  }
  if (ascii.find('\0') == std::string::npos) {
    try {
      return py_long_from_cstring(g, ascii, base);
    } catch (const Error& e) {
      if (!e.message().starts_with("invalid literal")) throw;  // the digit limit, the base
    }
  }
  // The message shows the str as given, in a repr cut at 200 characters.
  std::string msg = "invalid literal for int() with base " + std::to_string(base) + ": ";
  const std::size_t mark = msg.size();
  append_repr_str(msg, wtf8);
  wtf8::truncate_code_points(msg, mark, 200);
  throw Error(ErrorType::ValueError, std::move(msg));
}

Value py_int_from_bytes(Graph& g, std::string_view b, int base, PythonVersion python) {
  // int() checks its base argument before parsing, with a message of its own.
  if ((base != 0 && base < 2) || base > 36) {
    throw Error(ErrorType::ValueError, "int() base must be >= 2 and <= 36, or 0");
  }
  const std::string_view s = cut_at_nul(b);
  const LongLiteral lit = scan_long(s, base, python);
  if (lit.ok && s.size() == b.size()) return build_long(g, s, lit);
  std::string msg = "invalid literal for int() with base " + std::to_string(base) + ": ";
  const std::size_t mark = msg.size();
  append_repr_bytes(msg, b.substr(0, std::min<std::size_t>(b.size(), 200)));
  wtf8::truncate_code_points(msg, mark, 200);
  throw Error(ErrorType::ValueError, std::move(msg));
}

StrtodResult py_string_to_double(std::string_view s) {
  s = cut_at_nul(s);
  const DoubleParse r = parse_double(s);
  if (r.end == 0) {
    throw Error(ErrorType::ValueError, "could not convert string to float: '" + format_cstring(s, 200) + "'");
  }
  if (r.overflow) {
    throw Error(ErrorType::OverflowError, "value too large to convert to float: '" + format_cstring(s, 200) + "'");
  }
  return {r.value, r.end};
}

double py_float_from_bytes(std::string_view b) {
  auto fail = [&]() -> double {
    std::string msg = "could not convert string to float: ";
    append_repr_bytes(msg, b);
    throw Error(ErrorType::ValueError, std::move(msg));
  };
  // Underscores (looked for in the C string only) may only sit between digits; they are
  // dropped before parsing, and then an embedded NUL is an error of its own.
  std::string dup;
  std::string_view s = b;
  const std::string_view cstr = cut_at_nul(b);
  if (cstr.find('_') != std::string_view::npos) {
    dup.reserve(cstr.size());
    unsigned char prev = 0;
    for (unsigned char c : cstr) {
      if (c == '_') {
        if (!is_digit(prev)) return fail();
      } else {
        dup.push_back(static_cast<char>(c));
        if (prev == '_' && !is_digit(c)) return fail();
      }
      prev = c;
    }
    if (prev == '_' || cstr.size() != b.size()) return fail();
    s = dup;
  }
  std::size_t first = 0, last = s.size();
  while (first < last && py_isspace(static_cast<unsigned char>(s[first]))) ++first;
  if (first == last) return fail();
  while (first < last - 1 && py_isspace(static_cast<unsigned char>(s[last - 1]))) --last;
  const DoubleParse r = parse_double(cut_at_nul(s.substr(first)));
  if (r.end == 0 || first + r.end != last) return fail();
  return r.value;  // overflow gives an infinity here, as float() does
}

}  // namespace pickle::detail
