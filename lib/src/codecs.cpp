// The codecs pickles need (UTF-8, ASCII, Latin-1, raw-unicode-escape, the bytes escape
// decoder) with CPython 3.11's results, error ranges and error messages. The behaviour
// was taken from CPython's documentation and sources (Objects/unicodeobject.c,
// Objects/stringlib/codecs.h, Python/codecs.c, Objects/bytesobject.c, Objects/exceptions.c)
// and checked against the interpreter by lib/test/golden/gen_text_cases.py.
#include "codecs.h"

#include <cstring>
#include <string>

#include "pickle/error.h"
#include "wtf8.h"

namespace pickle::detail {

namespace {

using wtf8::append_hex;
using wtf8::is_continuation;

constexpr std::string_view kUtf8Name = "utf-8";
constexpr std::string_view kAsciiName = "ascii";
constexpr std::string_view kLatin1Name = "latin-1";

const unsigned char* bytes_of(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// UnicodeDecodeError.__str__: one byte is shown by value, a longer range by positions.
[[noreturn]] void throw_decode_error(std::string_view encoding, std::string_view in,
                                     std::size_t start, std::size_t end, std::string_view reason) {
  std::string msg = "'";
  msg += encoding;
  if (end == start + 1 && start < in.size()) {
    msg += "' codec can't decode byte 0x";
    append_hex(msg, static_cast<unsigned char>(in[start]), 2);
    msg += " in position ";
    msg += std::to_string(start);
  } else {
    msg += "' codec can't decode bytes in position ";
    msg += std::to_string(start);
    msg += '-';
    msg += std::to_string(end - 1);
  }
  msg += ": ";
  msg += reason;
  throw Error(ErrorType::UnicodeDecodeError, std::move(msg));
}

// UnicodeEncodeError.__str__; `first` is the code point at `start`.
[[noreturn]] void throw_encode_error(std::string_view encoding, char32_t first, std::size_t start,
                                     std::size_t end, std::string_view reason) {
  std::string msg = "'";
  msg += encoding;
  if (end == start + 1) {
    msg += "' codec can't encode character '";
    wtf8::append_backslash_escape(msg, first);
    msg += "' in position ";
    msg += std::to_string(start);
  } else {
    msg += "' codec can't encode characters in position ";
    msg += std::to_string(start);
    msg += '-';
    msg += std::to_string(end - 1);
  }
  msg += ": ";
  msg += reason;
  throw Error(ErrorType::UnicodeEncodeError, std::move(msg));
}

// Index of the first byte at or after i that contains a non-ASCII byte (or n).
inline std::size_t skip_ascii(const unsigned char* p, std::size_t n, std::size_t i) noexcept {
  while (i + 8 <= n) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ULL) break;
    i += 8;
  }
  while (i < n && p[i] < 0x80) ++i;
  return i;
}

// Index of the first byte at or after i that does not start a well-formed UTF-8 sequence
// (n when all of p[i..n) is well formed). With `surrogates`, ED A0..BF xx is well formed.
std::size_t valid_utf8_prefix(const unsigned char* p, std::size_t n, std::size_t i,
                              bool surrogates) noexcept {
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) {
      i = skip_ascii(p, n, i + 1);
      continue;
    }
    if (c < 0xC2) return i;
    if (c < 0xE0) {
      if (i + 1 >= n || !is_continuation(p[i + 1])) return i;
      i += 2;
      continue;
    }
    if (c < 0xF0) {
      if (i + 2 >= n) return i;
      unsigned c2 = p[i + 1];
      if (!is_continuation(c2)) return i;
      if (c == 0xE0 && c2 < 0xA0) return i;
      if (!surrogates && c == 0xED && c2 >= 0xA0) return i;
      if (!is_continuation(p[i + 2])) return i;
      i += 3;
      continue;
    }
    if (c < 0xF5) {
      if (i + 3 >= n) return i;
      unsigned c2 = p[i + 1];
      if (!is_continuation(c2)) return i;
      if (c == 0xF0 && c2 < 0x90) return i;
      if (c == 0xF4 && c2 >= 0x90) return i;
      if (!is_continuation(p[i + 2]) || !is_continuation(p[i + 3])) return i;
      i += 4;
      continue;
    }
    return i;
  }
  return n;
}

struct Utf8Error {
  std::size_t end;  // one past the last byte of the error range
  const char* reason;
};

// The error CPython's UTF-8 decoder reports for the ill-formed sequence starting at j
// (surrogates are ill-formed). The range is the maximal prefix of a valid sequence, or
// the rest of the input when the input ends inside a sequence that could still be valid.
Utf8Error classify_utf8_error(const unsigned char* p, std::size_t n, std::size_t j) noexcept {
  static constexpr const char* kStart = "invalid start byte";
  static constexpr const char* kCont = "invalid continuation byte";
  static constexpr const char* kEnd = "unexpected end of data";
  const unsigned c = p[j];
  const std::size_t rem = n - j;
  if (c < 0xC2) return {j + 1, kStart};
  if (c < 0xE0) {
    if (rem < 2) return {n, kEnd};
    return {j + 1, kCont};
  }
  if (c < 0xF0) {
    if (rem < 2) return {n, kEnd};
    const unsigned c2 = p[j + 1];
    if (!is_continuation(c2) || (c == 0xE0 && c2 < 0xA0) || (c == 0xED && c2 >= 0xA0))
      return {j + 1, kCont};
    if (rem < 3) return {n, kEnd};
    return {j + 2, kCont};
  }
  if (c < 0xF5) {
    if (rem < 2) return {n, kEnd};
    const unsigned c2 = p[j + 1];
    if (!is_continuation(c2) || (c == 0xF0 && c2 < 0x90) || (c == 0xF4 && c2 >= 0x90))
      return {j + 1, kCont};
    if (rem < 3) return {n, kEnd};
    if (!is_continuation(p[j + 2])) return {j + 2, kCont};
    if (rem < 4) return {n, kEnd};
    return {j + 3, kCont};
  }
  return {j + 1, kStart};
}

inline void append_surrogate_escape(std::string& out, unsigned char byte) {
  wtf8::append(out, 0xDC00 + byte);
}

inline void append_backslash_byte(std::string& out, unsigned char byte) {
  out += "\\x";
  append_hex(out, byte, 2);
}

void decode_utf8(ErrorHandler errors, std::string_view in, std::string& out) {
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  // surrogatepass accepts exactly the encoded surrogates the strict decoder rejects
  // (ED A0..BF 80..BF), one at a time, and copies them: so it is the WTF-8 validator.
  const bool surrogates = errors == ErrorHandler::SurrogatePass;
  std::size_t i = 0;
  for (;;) {
    const std::size_t j = valid_utf8_prefix(p, n, i, surrogates);
    out.append(in.data() + i, j - i);
    if (j == n) return;
    const Utf8Error e = classify_utf8_error(p, n, j);
    switch (errors) {
      case ErrorHandler::Strict:
      case ErrorHandler::SurrogatePass:
        throw_decode_error(kUtf8Name, in, j, e.end, e.reason);
      case ErrorHandler::Ignore:
        break;
      case ErrorHandler::Replace:
        wtf8::append(out, wtf8::kReplacement);
        break;
      case ErrorHandler::SurrogateEscape:
        for (std::size_t k = j; k < e.end; ++k) append_surrogate_escape(out, p[k]);
        break;
      case ErrorHandler::BackslashReplace:
        for (std::size_t k = j; k < e.end; ++k) append_backslash_byte(out, p[k]);
        break;
    }
    i = e.end;
  }
}

void decode_ascii(ErrorHandler errors, std::string_view in, std::string& out) {
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  std::size_t i = 0;
  for (;;) {
    const std::size_t j = skip_ascii(p, n, i);
    out.append(in.data() + i, j - i);
    if (j == n) return;
    switch (errors) {
      case ErrorHandler::Strict:
      case ErrorHandler::SurrogatePass:  // not defined for ascii: the original error
        throw_decode_error(kAsciiName, in, j, j + 1, "ordinal not in range(128)");
      case ErrorHandler::Ignore:
        break;
      case ErrorHandler::Replace:
        wtf8::append(out, wtf8::kReplacement);
        break;
      case ErrorHandler::SurrogateEscape:
        append_surrogate_escape(out, p[j]);
        break;
      case ErrorHandler::BackslashReplace:
        append_backslash_byte(out, p[j]);
        break;
    }
    i = j + 1;
  }
}

void decode_latin1(std::string_view in, std::string& out) {
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  std::size_t i = 0;
  for (;;) {
    const std::size_t j = skip_ascii(p, n, i);
    out.append(in.data() + i, j - i);
    if (j == n) return;
    wtf8::append(out, p[j]);
    i = j + 1;
  }
}

inline bool is_surrogate(char32_t c) noexcept { return c >= 0xD800 && c <= 0xDFFF; }
inline bool is_escaped_byte(char32_t c) noexcept { return c >= 0xDC80 && c <= 0xDCFF; }

// A run of code points the encoder cannot encode, with the index of the first.
struct Run {
  std::size_t start = 0;
  std::u32string cps;
  std::size_t end() const noexcept { return start + cps.size(); }
};

// Applies an encode error handler to a run of unencodable characters as CPython's UTF-8
// (surrogates) and UCS-1 (ascii, latin-1) encoders do.
void encode_run(std::string_view encoding, std::string_view reason, ErrorHandler errors,
                const Run& run, std::string& out) {
  switch (errors) {
    case ErrorHandler::Strict:
      throw_encode_error(encoding, run.cps[0], run.start, run.end(), reason);
    case ErrorHandler::Ignore:
      return;
    case ErrorHandler::Replace:
      out.append(run.cps.size(), '?');
      return;
    case ErrorHandler::BackslashReplace:
      for (char32_t c : run.cps) wtf8::append_backslash_escape(out, c);
      return;
    case ErrorHandler::SurrogateEscape:
      // Escaped bytes are written back; at the first other character the handler fails
      // with an error covering the rest of the run.
      for (std::size_t k = 0; k < run.cps.size(); ++k) {
        if (!is_escaped_byte(run.cps[k]))
          throw_encode_error(encoding, run.cps[k], run.start + k, run.end(), reason);
        out.push_back(static_cast<char>(run.cps[k] & 0xFF));
      }
      return;
    case ErrorHandler::SurrogatePass:
      if (encoding == kUtf8Name) {
        for (char32_t c : run.cps) wtf8::append(out, c);
        return;
      }
      throw_encode_error(encoding, run.cps[0], run.start, run.end(), reason);
  }
}

void encode_utf8(ErrorHandler errors, std::string_view in, std::string& out) {
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  std::size_t i = 0;
  std::size_t pos = 0;  // code point index of in[i]
  Run run;
  while (i < n) {
    if (p[i] < 0x80) {
      const std::size_t j = skip_ascii(p, n, i + 1);
      out.append(in.data() + i, j - i);
      pos += j - i;
      i = j;
      continue;
    }
    const std::size_t at = i;
    const char32_t c = wtf8::next(in, i);
    if (!is_surrogate(c)) {
      if (c == wtf8::kReplacement && i - at != 3)
        wtf8::append(out, c);  // malformed input byte
      else
        out.append(in.data() + at, i - at);
      ++pos;
      continue;
    }
    run.start = pos;
    run.cps.assign(1, c);
    ++pos;
    while (i < n) {
      std::size_t k = i;
      const char32_t d = wtf8::next(in, k);
      if (!is_surrogate(d)) break;
      run.cps.push_back(d);
      ++pos;
      i = k;
    }
    encode_run(kUtf8Name, "surrogates not allowed", errors, run, out);
  }
}

void encode_ucs1(std::string_view encoding, char32_t limit, std::string_view reason,
                 ErrorHandler errors, std::string_view in, std::string& out) {
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  std::size_t i = 0;
  std::size_t pos = 0;
  Run run;
  while (i < n) {
    if (p[i] < 0x80) {
      const std::size_t j = skip_ascii(p, n, i + 1);
      out.append(in.data() + i, j - i);
      pos += j - i;
      i = j;
      continue;
    }
    const char32_t c = wtf8::next(in, i);
    if (c < limit) {
      out.push_back(static_cast<char>(c));
      ++pos;
      continue;
    }
    run.start = pos;
    run.cps.assign(1, c);
    ++pos;
    while (i < n) {
      std::size_t k = i;
      const char32_t d = wtf8::next(in, k);
      if (d < limit) break;
      run.cps.push_back(d);
      ++pos;
      i = k;
    }
    encode_run(encoding, reason, errors, run, out);
  }
}

// Python's Py_ISXDIGIT / digit value for hex digits; 16 for anything else.
inline unsigned hex_value(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 16;
}

// The text of a C string argument as PyUnicode_FromFormat's %.<precision>s shows it: cut at
// the first NUL and after `precision` bytes, then decoded as UTF-8 with "replace".
std::string format_cstring(std::string_view s, std::size_t precision) {
  const std::size_t nul = s.find('\0');
  if (nul != std::string_view::npos) s = s.substr(0, nul);
  if (s.size() > precision) s = s.substr(0, precision);
  std::string out;
  decode_utf8(ErrorHandler::Replace, s, out);
  return out;
}

}  // namespace

ErrorHandler error_handler(std::string_view name) {
  if (name == "strict") return ErrorHandler::Strict;
  if (name == "ignore") return ErrorHandler::Ignore;
  if (name == "replace") return ErrorHandler::Replace;
  if (name == "surrogateescape") return ErrorHandler::SurrogateEscape;
  if (name == "surrogatepass") return ErrorHandler::SurrogatePass;
  if (name == "backslashreplace") return ErrorHandler::BackslashReplace;
  if (name == "xmlcharrefreplace" || name == "namereplace") {
    throw Error(ErrorType::NotImplementedError,
                "error handler '" + std::string(name) + "' is not supported");
  }
  throw Error(ErrorType::LookupError,
              "unknown error handler name '" + format_cstring(name, 400) + "'");
}

namespace {

// Aliases from CPython 3.11's encodings.aliases for the three codecs implemented here
// (keys are normalised names); the codec module names themselves are also accepted.
constexpr std::string_view kUtf8Aliases[] = {"u8", "utf", "utf8", "utf8_ucs2", "utf8_ucs4",
                                             "cp65001"};
constexpr std::string_view kAsciiAliases[] = {
    "646",        "ansi_x3.4_1968",  "ansi_x3_4_1968", "ansi_x3.4_1986", "cp367",
    "csascii",    "ibm367",          "iso646_us",      "iso_646.irv_1991", "iso_ir_6",
    "us",         "us_ascii"};
constexpr std::string_view kLatin1Aliases[] = {
    "8859",     "cp819",       "csisolatin1",     "ibm819",     "iso8859", "iso8859_1",
    "iso_8859_1", "iso_8859_1_1987", "iso_ir_100", "l1",        "latin",   "latin1"};

Codec codec_for_module(std::string_view name) noexcept {
  if (name == "utf_8") return Codec::Utf8;
  if (name == "ascii") return Codec::Ascii;
  if (name == "latin_1") return Codec::Latin1;
  return Codec::Unsupported;
}

Codec codec_for_alias(std::string_view name) noexcept {
  for (auto a : kUtf8Aliases)
    if (a == name) return Codec::Utf8;
  for (auto a : kAsciiAliases)
    if (a == name) return Codec::Ascii;
  for (auto a : kLatin1Aliases)
    if (a == name) return Codec::Latin1;
  return Codec::Unsupported;
}

}  // namespace

Codec find_codec(std::string_view encoding) noexcept {
  // codecs.lookup: the C normaliser (runs of characters other than ASCII letters, digits
  // and '.' become one '_', except at the start; letters are lowercased), then the
  // encodings package's search function: an alias, the alias with '.' replaced by '_',
  // or the name itself as a module name (names containing '.' are never modules).
  if (encoding.find('\0') != std::string_view::npos) return Codec::Unsupported;
  // No accepted name normalises to more than 16 characters, so a small buffer will do.
  char norm[24];
  std::size_t len = 0;
  bool punct = false;
  for (char ch : encoding) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c == '.') {
      if (len + 2 > sizeof norm) return Codec::Unsupported;
      if (punct && len > 0) norm[len++] = '_';
      punct = false;
      norm[len++] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else {
      punct = true;
    }
  }
  const std::string_view name(norm, len);
  Codec c = codec_for_alias(name);
  if (c != Codec::Unsupported) return c;
  char dotless[sizeof norm];
  for (std::size_t i = 0; i < len; ++i) dotless[i] = norm[i] == '.' ? '_' : norm[i];
  c = codec_for_alias(std::string_view(dotless, len));
  if (c != Codec::Unsupported) return c;
  // Neither "utf_8", "ascii" nor "latin_1" is an alias of another codec, and a name with
  // a dot is never imported as a module.
  return codec_for_module(name);
}

void decode(Codec codec, ErrorHandler errors, std::string_view in, std::string& out) {
  switch (codec) {
    case Codec::Utf8:
      decode_utf8(errors, in, out);
      return;
    case Codec::Ascii:
      decode_ascii(errors, in, out);
      return;
    case Codec::Latin1:
      decode_latin1(in, out);
      return;
    case Codec::Unsupported:
      break;
  }
  throw Error(ErrorType::NotImplementedError, "codec not supported");
}

void encode(Codec codec, ErrorHandler errors, std::string_view wtf8, std::string& out) {
  switch (codec) {
    case Codec::Utf8:
      encode_utf8(errors, wtf8, out);
      return;
    case Codec::Ascii:
      encode_ucs1(kAsciiName, 0x80, "ordinal not in range(128)", errors, wtf8, out);
      return;
    case Codec::Latin1:
      encode_ucs1(kLatin1Name, 0x100, "ordinal not in range(256)", errors, wtf8, out);
      return;
    case Codec::Unsupported:
      break;
  }
  throw Error(ErrorType::NotImplementedError, "codec not supported");
}

void decode(Codec codec, std::string_view errors, std::string_view in, std::string& out) {
  const std::size_t mark = out.size();
  try {
    decode(codec, ErrorHandler::Strict, in, out);
  } catch (const Error& e) {
    if (e.type() != ErrorType::UnicodeDecodeError || errors == "strict") throw;
    const ErrorHandler h = error_handler(errors);
    out.resize(mark);
    decode(codec, h, in, out);
  }
}

void encode(Codec codec, std::string_view errors, std::string_view wtf8, std::string& out) {
  const std::size_t mark = out.size();
  try {
    encode(codec, ErrorHandler::Strict, wtf8, out);
  } catch (const Error& e) {
    if (e.type() != ErrorType::UnicodeEncodeError || errors == "strict") throw;
    const ErrorHandler h = error_handler(errors);
    out.resize(mark);
    encode(codec, h, wtf8, out);
  }
}

bool is_wtf8(std::string_view in) noexcept {
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  const std::size_t i = skip_ascii(p, n, 0);
  return i == n || valid_utf8_prefix(p, n, i, true) == n;
}

void decode_raw_unicode_escape(std::string_view in, std::string& out) {
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c != '\\' || i + 1 >= n) {  // a byte stands for the code point of the same value
      wtf8::append(out, c);
      ++i;
      continue;
    }
    const std::size_t start = i;
    const unsigned char kind = p[i + 1];
    i += 2;
    if (kind != 'u' && kind != 'U') {
      out.push_back('\\');
      wtf8::append(out, kind);
      continue;
    }
    int count = kind == 'u' ? 4 : 8;
    std::uint32_t cp = 0;
    for (; count > 0 && i < n; --count, ++i) {
      const unsigned v = hex_value(p[i]);
      if (v >= 16) break;
      cp = (cp << 4) | v;
    }
    if (count > 0) {
      throw_decode_error("rawunicodeescape", in, start, i,
                         kind == 'u' ? "truncated \\uXXXX escape" : "truncated \\UXXXXXXXX escape");
    }
    if (cp > 0x10FFFF) throw_decode_error("rawunicodeescape", in, start, i, "\\Uxxxxxxxx out of range");
    wtf8::append(out, cp);
  }
}

void encode_raw_unicode_escape(std::string_view wtf8_text, std::string& out) {
  const unsigned char* p = bytes_of(wtf8_text);
  const std::size_t n = wtf8_text.size();
  std::size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      const std::size_t j = skip_ascii(p, n, i + 1);
      out.append(wtf8_text.data() + i, j - i);
      i = j;
      continue;
    }
    const char32_t c = wtf8::next(wtf8_text, i);
    if (c < 0x100) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x10000) {
      out += "\\u";
      append_hex(out, c, 4);
    } else {
      out += "\\U";
      append_hex(out, c, 8);
    }
  }
}

std::string escape_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    if (p[i] != '\\') {
      const void* bs = std::memchr(p + i, '\\', n - i);
      const std::size_t j = bs ? static_cast<std::size_t>(static_cast<const unsigned char*>(bs) - p) : n;
      out.append(in.data() + i, j - i);
      i = j;
      continue;
    }
    ++i;
    if (i == n) throw Error(ErrorType::ValueError, "Trailing \\ in string");
    const unsigned char c = p[i++];
    switch (c) {
      case '\n': break;
      case '\\': out.push_back('\\'); break;
      case '\'': out.push_back('\''); break;
      case '"': out.push_back('"'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 'v': out.push_back('\v'); break;
      case 'a': out.push_back('\a'); break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        // Up to three octal digits; values above 0o377 keep their low 8 bits (CPython
        // only warns about them).
        unsigned v = c - '0';
        for (int k = 0; k < 2 && i < n && p[i] >= '0' && p[i] <= '7'; ++k) v = (v << 3) + (p[i++] - '0');
        out.push_back(static_cast<char>(v & 0xFF));
        break;
      }
      case 'x': {
        if (i + 1 < n) {
          const unsigned hi = hex_value(p[i]), lo = hex_value(p[i + 1]);
          if (hi < 16 && lo < 16) {
            out.push_back(static_cast<char>((hi << 4) | lo));
            i += 2;
            break;
          }
        }
        throw Error(ErrorType::ValueError,
                    "invalid \\x escape at position " + std::to_string(i - 2));
      }
      default:
        // Not an escape: the backslash is kept and the character is read again as text
        // (CPython 3.11 emits a DeprecationWarning, nothing more).
        out.push_back('\\');
        --i;
        break;
    }
  }
  return out;
}

}  // namespace pickle::detail
