// The Python codecs pickles use, reproduced with CPython 3.11.7's results and error
// messages. A Python str is held as WTF-8 (UTF-8 in which surrogates are encoded like any
// other code point; see pickle::Str). Errors are pickle::Error with CPython's class and
// message, e.g. UnicodeDecodeError "'utf-8' codec can't decode byte 0xff in position 0:
// invalid start byte".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pickle::detail {

/// Python's codec error handlers.
enum class ErrorHandler : std::uint8_t {
  Strict,
  Ignore,
  Replace,
  SurrogateEscape,
  SurrogatePass,
  BackslashReplace,
};
/// The handler for a Python errors= name ("strict", "ignore", ...; case-sensitive). Throws
/// LookupError "unknown error handler name '%.400s'" for other names, and NotImplementedError
/// for CPython's other built-in handlers ("xmlcharrefreplace", "namereplace").
///
/// Laziness matters: CPython looks the name up only when the codec meets its first error,
/// so b"abc".decode("ascii", "bogus") and any latin-1 decode succeed with a bogus name.
/// Callers holding a name should use the decode/encode overloads taking the name, or
/// decode with Strict first and call error_handler() only when that throws.
ErrorHandler error_handler(std::string_view name);

/// Codecs the library implements; anything else is Unsupported.
enum class Codec : std::uint8_t { Utf8, Ascii, Latin1, Unsupported };
/// Normalises a Python encoding name as codecs.lookup does ("UTF-8", "utf8", "latin1",
/// "ISO-8859-1", "ascii", "US-ASCII", ...).
Codec find_codec(std::string_view encoding) noexcept;

/// bytes.decode(codec, errors), appending WTF-8 to out.
void decode(Codec codec, ErrorHandler errors, std::string_view in, std::string& out);
/// str.encode(codec, errors) from WTF-8, appending bytes to out. UnicodeEncodeError
/// "'latin-1' codec can't encode character '\u20ac' in position 0: ordinal not in range(256)".
void encode(Codec codec, ErrorHandler errors, std::string_view wtf8, std::string& out);
/// The same with errors given by name, looked up lazily as CPython does (see error_handler).
/// As with the other overloads, out may hold part of the result when an error is thrown.
void decode(Codec codec, std::string_view errors, std::string_view in, std::string& out);
void encode(Codec codec, std::string_view errors, std::string_view wtf8, std::string& out);

/// True when `in` is valid UTF-8 with surrogates allowed, i.e. decode(Utf8, SurrogatePass)
/// would succeed and give back the same bytes. The fast path of the unpickler.
bool is_wtf8(std::string_view in) noexcept;

/// codecs.raw_unicode_escape_decode(in) (strict), appending WTF-8. Errors as CPython:
/// UnicodeDecodeError "'rawunicodeescape' codec can't decode bytes in position 0-1:
/// truncated \uXXXX escape".
void decode_raw_unicode_escape(std::string_view in, std::string& out);
/// str.encode('raw-unicode-escape').
void encode_raw_unicode_escape(std::string_view wtf8, std::string& out);

/// codecs.escape_decode(in)[0]: Python 2 string-escape decoding of bytes (\\, \', \",
/// \a \b \f \n \r \t \v, \ooo octal, \xhh, backslash-newline; other escapes kept).
/// Errors: ValueError "Trailing \\ in string", ValueError "invalid \\x escape at position %zd".
std::string escape_decode(std::string_view in);

}  // namespace pickle::detail
