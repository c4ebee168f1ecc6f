// CPython's text formats for numbers and reprs, reproduced exactly (CPython 3.11.7 is the
// specification). Used by the unpickler (text opcodes), the disassembler (argument reprs)
// and repr(). Every error is a pickle::Error with CPython's exception class and message.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "pickle/python_version.h"
#include "pickle/value.h"

namespace pickle::detail {

// ---- repr ---------------------------------------------------------------------------

/// repr(s) for a str held as WTF-8 (see pickle::Str): quote choice, escapes, and
/// str.isprintable() per the Unicode database of CPython `python`.
void append_repr_str(std::string& out, std::string_view wtf8, PythonVersion python = {});
/// ascii(s): like repr but every non-ASCII code point escaped.
void append_ascii_str(std::string& out, std::string_view wtf8);
/// repr(b) for bytes: b'...' (also the body of bytearray(b'...')).
void append_repr_bytes(std::string& out, std::span<const std::uint8_t> data);
inline void append_repr_bytes(std::string& out, std::string_view data) {
  append_repr_bytes(out, std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}
/// repr(b) for a bytearray: bytearray(b'...'). Unlike bytes' repr, CPython escapes every
/// single quote, even inside double quotes: repr(bytearray(b"'")) is bytearray(b"\'").
void append_repr_bytearray(std::string& out, std::span<const std::uint8_t> data);
/// repr(b) of bytes (or of a bytearray), handed to `write` in pieces of some 64 KiB, for
/// a payload too large to hold its repr whole. Returns the repr's length.
std::size_t write_repr_bytes(std::span<const std::uint8_t> data, bool bytearray,
                             const std::function<void(std::string_view)>& write);
/// repr(x) for a float: shortest round-trip digits, Python's choice of fixed or
/// exponent notation ('1e+16', '1e-05', '0.0001', '-0.0', 'inf', 'nan').
void append_repr_float(std::string& out, double x);
/// str.isprintable() for one code point, per the Unicode database of CPython `python`
/// (3.11: Unicode 14.0; 3.8: 12.1; 3.9 and 3.10: 13.0; 3.12: 15.0; 3.13: 15.1).
bool is_printable(char32_t code_point, PythonVersion python = {}) noexcept;

// ---- parsing numbers ----------------------------------------------------------------
// Inputs are views that end where the C string would hit its NUL terminator; the callers
// cut at the first NUL themselves when CPython reads a C string.

struct StrtolResult {
  long long value;  ///< clamped to LLONG_MIN/LLONG_MAX on overflow, as strtol
  std::size_t end;  ///< index of the first unparsed char (0 when nothing was parsed)
  bool overflow;    ///< strtol set errno = ERANGE
};
/// C strtol(s, &end, 0) for a 64-bit long, in the "C" locale.
StrtolResult c_strtol(std::string_view s) noexcept;

/// CPython's PyLong_FromString(s, NULL, base) on the C string s: the whole string must be
/// an int literal (leading/trailing whitespace, sign, base prefixes for base 0/2/8/16,
/// underscores between digits). Errors as CPython: ValueError "invalid literal for int()
/// with base %d: %.200R" (repr of the str decoded from s; a UnicodeDecodeError when s is
/// not UTF-8), ValueError "Exceeds the limit (4300 digits) for integer string conversion:
/// value has %zd digits; ..." for more than 4300 digits in a non-power-of-2 base,
/// ValueError "int() arg 2 must be >= 2 and <= 36".
/// `python` picks the digit-limit message of that release.
Value py_long_from_cstring(Graph& g, std::string_view s, int base, PythonVersion python = {});

/// int(s, base) for a str s (WTF-8), as PyLong_FromUnicodeObject: Unicode whitespace and
/// decimal digits count as their ASCII forms; errors as py_long_from_cstring but with the
/// repr of s itself, cut at 200 characters. `base` is 0 or 2..36.
Value py_int_from_str(Graph& g, std::string_view wtf8, int base);

/// int(b, base) for a bytes object b (what pickletools does with int(bytes)): like
/// py_long_from_cstring but the whole of b (embedded NULs included) must parse, and the
/// error message shows repr(b): "invalid literal for int() with base 10: b'12x'". A base
/// outside 0, 2..36 fails as int() checks it: "int() base must be >= 2 and <= 36, or 0".
Value py_int_from_bytes(Graph& g, std::string_view b, int base, PythonVersion python = {});

struct StrtodResult {
  double value;
  std::size_t end;  ///< index of the first unparsed char; 0 when nothing was parsed
};
/// CPython's PyOS_string_to_double(s, &end, PyExc_OverflowError) on the C string s: no
/// leading whitespace, optional sign, decimal digits with optional fraction and exponent,
/// or inf / infinity / nan (any case). Throws ValueError "could not convert string to
/// float: '%.200s'" when nothing parses, OverflowError "value too large to convert to
/// float: '%.200s'" when the magnitude overflows (the message shows s as CPython does).
StrtodResult py_string_to_double(std::string_view s);

/// float(b) for a bytes object b (pickletools' float(bytes)): whitespace around, underscores
/// between digits, inf/nan words; ValueError "could not convert string to float: b'...'".
double py_float_from_bytes(std::string_view b);

}  // namespace pickle::detail
