// The Python codecs pickles use, reproduced with CPython 3.11.7's results and error
// messages. A Python str is held as WTF-8 (UTF-8 in which surrogates are encoded like any
// other code point; see pickle::Str). Errors are pickle::Error with CPython's class and
// message, e.g. UnicodeDecodeError "'utf-8' codec can't decode byte 0xff in position 0:
// invalid start byte".
#pragma once

#include <cstddef>
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

/// Codecs the library implements: UTF-8, ASCII, Latin-1, and from FirstCharmap on the
/// single-byte charmap codecs of CPython's encodings package (cp1252, koi8-r, cp437,
/// iso8859-15, mac-roman, ...; charmap_count() of them, Codec(FirstCharmap + i) for the
/// i-th). Unsupported stands for every other codec, and also for names CPython does not know
/// (see codec_exists and lookup_codec to tell them apart). A Codec is one byte; values other
/// than the enumerators and the charmap codecs are never produced.
enum class Codec : std::uint8_t { Utf8, Ascii, Latin1, Unsupported, FirstCharmap };

/// The codec codecs.lookup(encoding) finds, normalising the name as CPython does ("UTF-8",
/// "utf8", "latin1", "ISO-8859-1", "US-ASCII", "cp1252", "windows-1252", "KOI8-R", ...).
/// Unsupported when the library does not implement that codec (utf-16, shift_jis, base64,
/// ...) and when codec_exists(encoding) is false.
Codec find_codec(std::string_view encoding) noexcept;
/// True when codecs.lookup(encoding) would succeed in CPython 3.11.7 on Linux: the name
/// (WTF-8) normalises to an alias of encodings.aliases or to a module of the encodings
/// package that is a codec (mbcs and oem are not, outside Windows). False for names with a
/// NUL or a surrogate, for which codecs.lookup raises ValueError or UnicodeEncodeError.
bool codec_exists(std::string_view encoding) noexcept;
/// find_codec, raising what codecs.lookup(encoding), bytes.decode(encoding) and
/// str.encode(encoding) raise when there is no such codec: LookupError "unknown encoding:
/// <name as given>"; for a name with a surrogate UnicodeEncodeError "'utf-8' codec can't
/// encode character '\ud800' in position 0: surrogates not allowed"; for a name with a NUL
/// ValueError "embedded null character". Returns Unsupported for codecs CPython has and the
/// library does not implement. Note that bytes.decode returns "" for empty bytes before
/// looking the encoding up (PyUnicode_Decode), so CPython loads an empty Python 2 string
/// with any encoding name; str.encode and codecs.encode look the name up first.
Codec lookup_codec(std::string_view encoding);
/// The number of charmap codecs, and whether a Codec is one of them.
std::size_t charmap_count() noexcept;
bool is_charmap(Codec codec) noexcept;
/// A name for the codec: "utf-8", "ascii", "latin-1" (the names in their error messages),
/// the CodecInfo.name of a charmap codec ("cp1252", "mac-roman", "iso8859-15"; its error
/// messages say 'charmap'), "" for Unsupported.
std::string_view codec_name(Codec codec) noexcept;

/// bytes.decode(codec, errors), appending WTF-8 to out.
void decode(Codec codec, ErrorHandler errors, std::string_view in, std::string& out);
/// str.encode(codec, errors) from WTF-8, appending bytes to out. UnicodeEncodeError
/// "'latin-1' codec can't encode character '\u20ac' in position 0: ordinal not in range(256)",
/// "'charmap' codec can't encode character '\u20ac' in position 3: character maps to
/// <undefined>". Both throw NotImplementedError for Unsupported. For the charmap codecs,
/// surrogatepass fails with the original error, as in CPython.
void encode(Codec codec, ErrorHandler errors, std::string_view wtf8, std::string& out);
/// The same with errors given by name, looked up lazily as CPython does (see error_handler).
/// As with the other overloads, out may hold part of the result when an error is thrown.
/// An unknown handler name's LookupError is not wrapped: this is CPython's behaviour for
/// the shortcut names only ("utf-8", "latin-1", ...); decode_text and encode_text give it
/// for any name.
void decode(Codec codec, std::string_view errors, std::string_view in, std::string& out);
void encode(Codec codec, std::string_view errors, std::string_view wtf8, std::string& out);

/// bytes.decode(encoding, errors) exactly as CPython does it (PyUnicode_Decode, which the
/// unpickler's Python 2 strings also go through), appending WTF-8 to out:
///  * encoding and errors are checked as str arguments (UnicodeEncodeError for a
///    surrogate, ValueError "embedded null character");
///  * empty input gives "" without looking the encoding up;
///  * a few spellings of UTF-8, ASCII and Latin-1 ("utf-8", "UTF8", "ascii", "us-ascii",
///    "latin-1", "iso-8859-1", ...) are decoded directly; every other name goes through the
///    registry: LookupError "unknown encoding: <name>", LookupError "'rot13' is not a text
///    encoding; use codecs.decode() to handle arbitrary codecs", and an unknown error
///    handler's LookupError wrapped as "decoding with 'cp1252' codec failed (LookupError:
///    unknown error handler name 'bogus')" (<name> as given);
///  * NotImplementedError for codecs the library does not implement (utf-16, ...).
void decode_text(std::string_view encoding, std::string_view errors, std::string_view in, std::string& out);
/// str.encode(encoding, errors), bytes(str, encoding, errors), bytearray(...) from WTF-8
/// (PyUnicode_AsEncodedString): as decode_text, but empty text is encoded like any other
/// ("".encode("bogus") raises), and messages say "encoding with" and "codecs.encode()".
void encode_text(std::string_view encoding, std::string_view errors, std::string_view wtf8, std::string& out);
/// codecs.encode(str, encoding, errors): always through the registry (so every LookupError
/// of an error handler is wrapped, even for "utf-8"), non-text codecs included (all of them
/// are NotImplementedError here).
void codecs_encode(std::string_view encoding, std::string_view errors, std::string_view wtf8, std::string& out);
/// codecs.encode(obj, encoding) for an obj that is not a str, of Python type `type`: the
/// lookup's error, else the TypeError of the codec's encoder, wrapped as CPython wraps it.
[[noreturn]] void codecs_encode_non_str(std::string_view encoding, std::string_view type);
/// The conversion of a str argument to a C string (argument clinic's `str`):
/// UnicodeEncodeError for a surrogate, then ValueError for a NUL.
void check_str_argument(std::string_view s);

/// True when `in` is valid UTF-8 with surrogates allowed, i.e. decode(Utf8, SurrogatePass)
/// would succeed and give back the same bytes. The fast path of the unpickler.
bool is_wtf8(std::string_view in) noexcept;

/// Bulk Latin-1 conversions, for protocol 0-2 bytes (`_codecs.encode(str, 'latin1')`),
/// which can be gigabytes.
/// The size of bytes decoded as Latin-1 and written as UTF-8.
std::size_t utf8_size_of_latin1(std::string_view latin1) noexcept;
/// Writes bytes decoded as Latin-1 to `out` as UTF-8 (utf8_size_of_latin1 bytes).
void decode_latin1_to(std::string_view latin1, char* out) noexcept;
/// Writes valid WTF-8 to `out` (room for wtf8.size() bytes) as Latin-1; the number of
/// bytes written (one per code point), or kNotLatin1, with `out` partly written, when a
/// code point is above U+00FF.
inline constexpr std::size_t kNotLatin1 = static_cast<std::size_t>(-1);
std::size_t encode_latin1_to(std::string_view wtf8, std::uint8_t* out) noexcept;

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
