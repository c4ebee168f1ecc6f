// The codecs pickles need (UTF-8, ASCII, Latin-1, the single-byte charmap codecs such as
// cp1252 or koi8-r, raw-unicode-escape, the bytes escape decoder) and CPython's codec
// lookup, with CPython 3.11's results, error ranges and error messages. The behaviour was
// taken from CPython's documentation and sources (Objects/unicodeobject.c,
// Objects/stringlib/codecs.h, Python/codecs.c, Objects/bytesobject.c, Objects/exceptions.c,
// Lib/encodings/__init__.py) and checked against the interpreter by
// lib/test/golden/gen_text_cases.py. The name and charmap tables are written from CPython by
// lib/src/gen/gen_codec_tables.py.
#include "codecs.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "pickle/error.h"
#include "wtf8.h"

namespace pickle::detail {

namespace {

using wtf8::append_hex;
using wtf8::is_continuation;

constexpr std::string_view kUtf8Name = "utf-8";
constexpr std::string_view kAsciiName = "ascii";
constexpr std::string_view kLatin1Name = "latin-1";

const unsigned char* bytes_of(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

// UnicodeDecodeError.__str__: one byte is shown by value, a longer range by positions.
[[noreturn]] void throw_decode_error(std::string_view encoding, std::string_view in, std::size_t start, std::size_t end,
                                     std::string_view reason) {
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
[[noreturn]] void throw_encode_error(std::string_view encoding, char32_t first, std::size_t start, std::size_t end,
                                     std::string_view reason) {
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
  // 32 bytes a step while they are all ASCII (the compiler keeps the four words in
  // vector registers), then word by word to the first non-ASCII byte.
  while (i + 32 <= n) {
    std::uint64_t w[4];
    std::memcpy(w, p + i, 32);
    if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) break;
    i += 32;
  }
  while (i + 8 <= n) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w & 0x8080808080808080ULL) break;
    i += 8;
  }
  while (i < n && p[i] < 0x80) ++i;
  return i;
}

// Word-at-a-time paths: eight bytes read as one little-endian word, in which byte k is
// bits 8k..8k+7. On a big-endian machine they are skipped (kWords false).
constexpr bool kWords = std::endian::native == std::endian::little;
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// The number of bytes with bit 7 set in a word of only such bits (a multiply sums the
// bytes into the top one: std::popcount is a library call without -mpopcnt).
inline unsigned count_high_bits(std::uint64_t high_bits) noexcept {
  return static_cast<unsigned>(((high_bits >> 7) * 0x0101010101010101ULL) >> 56);
}

inline std::uint64_t load_word(const unsigned char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Index of the first byte at or after i (a sequence boundary) where the next eight bytes
// are not four two-byte sequences (U+0080..U+07FF: Latin-1, Greek, Cyrillic, ...).
inline std::size_t skip_two_byte_runs(const unsigned char* p, std::size_t n, std::size_t i) noexcept {
  if (!kWords) return i;
  while (i + 8 <= n) {
    const std::uint64_t w = load_word(p + i);
    // Each 16-bit lane is 110xxxxx 10xxxxxx (lead first, in the low byte) ...
    if ((w & 0xC0E0C0E0C0E0C0E0ULL) != 0x80C080C080C080C0ULL) break;
    // ... with a lead of at least C2 (bits 1-4 of the lead not all zero): subtracting 1
    // from each lane with bit 8 set borrows bit 8 only from a lane whose bits are zero.
    const std::uint64_t lead = (w & 0x001E001E001E001EULL) | 0x0100010001000100ULL;
    if (((lead - 0x0001000100010001ULL) & 0x0100010001000100ULL) != 0x0100010001000100ULL) break;
    i += 8;
  }
  return i;
}

// Index of the first byte at or after i that does not start a well-formed UTF-8 sequence
// (n when all of p[i..n) is well formed). With `surrogates`, ED A0..BF xx is well formed.
std::size_t valid_utf8_prefix(const unsigned char* p, std::size_t n, std::size_t i, bool surrogates) noexcept {
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) {
      i = skip_ascii(p, n, i + 1);
      continue;
    }
    if (c < 0xC2) return i;
    if (c < 0xE0) {
      if (i + 1 >= n || !is_continuation(p[i + 1])) return i;
      i = skip_two_byte_runs(p, n, i + 2);
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
    if (!is_continuation(c2) || (c == 0xE0 && c2 < 0xA0) || (c == 0xED && c2 >= 0xA0)) return {j + 1, kCont};
    if (rem < 3) return {n, kEnd};
    return {j + 2, kCont};
  }
  if (c < 0xF5) {
    if (rem < 2) return {n, kEnd};
    const unsigned c2 = p[j + 1];
    if (!is_continuation(c2) || (c == 0xF0 && c2 < 0x90) || (c == 0xF4 && c2 >= 0x90)) return {j + 1, kCont};
    if (rem < 3) return {n, kEnd};
    if (!is_continuation(p[j + 2])) return {j + 2, kCont};
    if (rem < 4) return {n, kEnd};
    return {j + 3, kCont};
  }
  return {j + 1, kStart};
}

inline void append_surrogate_escape(std::string& out, unsigned char byte) { wtf8::append(out, 0xDC00 + byte); }

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
      case ErrorHandler::SurrogatePass: throw_decode_error(kUtf8Name, in, j, e.end, e.reason);
      case ErrorHandler::Ignore: break;
      case ErrorHandler::Replace: wtf8::append(out, wtf8::kReplacement); break;
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
      case ErrorHandler::Ignore: break;
      case ErrorHandler::Replace: wtf8::append(out, wtf8::kReplacement); break;
      case ErrorHandler::SurrogateEscape: append_surrogate_escape(out, p[j]); break;
      case ErrorHandler::BackslashReplace: append_backslash_byte(out, p[j]); break;
    }
    i = j + 1;
  }
}

void decode_latin1(std::string_view in, std::string& out) {
  const std::size_t at = out.size();
  out.resize(at + utf8_size_of_latin1(in));
  decode_latin1_to(in, out.data() + at);
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
void encode_run(std::string_view encoding, std::string_view reason, ErrorHandler errors, const Run& run,
                std::string& out) {
  switch (errors) {
    case ErrorHandler::Strict: throw_encode_error(encoding, run.cps[0], run.start, run.end(), reason);
    case ErrorHandler::Ignore: return;
    case ErrorHandler::Replace: out.append(run.cps.size(), '?'); return;
    case ErrorHandler::BackslashReplace:
      for (char32_t c : run.cps) wtf8::append_backslash_escape(out, c);
      return;
    case ErrorHandler::SurrogateEscape:
      // Escaped bytes are written back; at the first other character the handler fails
      // with an error covering the rest of the run.
      for (std::size_t k = 0; k < run.cps.size(); ++k) {
        if (!is_escaped_byte(run.cps[k])) throw_encode_error(encoding, run.cps[k], run.start + k, run.end(), reason);
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
      if (c == wtf8::kReplacement && i - at != 3) wtf8::append(out, c);  // malformed input byte
      else out.append(in.data() + at, i - at);
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

void encode_ucs1(std::string_view encoding, char32_t limit, std::string_view reason, ErrorHandler errors,
                 std::string_view in, std::string& out) {
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  std::size_t i = 0;
  std::size_t pos = 0;
  Run run;
  out.reserve(out.size() + n);  // one byte per code point: at most the input's size
  while (i < n) {
    if (p[i] < 0x80) {
      const std::size_t j = skip_ascii(p, n, i + 1);
      out.append(in.data() + i, j - i);
      pos += j - i;
      i = j;
      continue;
    }
    if ((p[i] & 0xfe) == 0xc2 && limit >= 0x100) {
      // U+0080..U+00FF, the common case of Latin-1 text (the input is valid WTF-8).
      out.push_back(static_cast<char>(((p[i] & 0x1f) << 6) | (p[i + 1] & 0x3f)));
      i += 2;
      ++pos;
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
    throw Error(ErrorType::NotImplementedError, "error handler '" + std::string(name) + "' is not supported");
  }
  throw Error(ErrorType::LookupError, "unknown error handler name '" + format_cstring(name, 400) + "'");
}

namespace {

// ---- codec lookup and the charmap codecs' tables -----------------------------------------

constexpr std::uint8_t id(Codec c) noexcept { return static_cast<std::uint8_t>(c); }
constexpr std::uint8_t cm(int i) noexcept { return static_cast<std::uint8_t>(id(Codec::FirstCharmap) + i); }
constexpr std::uint8_t kNone = 0xFF;     // not an alias / not a codec module / no codec
constexpr std::uint8_t kBroken = 0xFE;   // an alias of a module that cannot be imported
constexpr std::uint8_t kNonText = 0xFD;  // a codec that is not a text encoding (rot13, base64, ...)

// A normalised name the encodings package's search function knows.
struct NameEntry {
  std::string_view name;
  std::uint8_t alias;   // the codec the name is an alias of, kNone or kBroken
  std::uint8_t module;  // the codec of the module of that name, or kNone
};

struct CharmapInfo {
  std::string_view module;  // of the encodings package
  std::string_view name;    // CodecInfo.name
  bool ascii;               // bytes and code points below 0x80 map to themselves both ways
};

constexpr char16_t kUndefined = 0xFFFE;

#include "codec_tables.inc"

static_assert(id(Codec::FirstCharmap) + kCharmapCount <= kNonText);

const NameEntry* find_name(std::string_view name) noexcept {
  const NameEntry* end = std::end(kCodecNames);
  const NameEntry* e = std::lower_bound(std::begin(kCodecNames), end, name,
                                        [](const NameEntry& a, std::string_view b) { return a.name < b; });
  return e != end && e->name == name ? e : nullptr;
}

bool has_surrogate(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else if (is_surrogate(wtf8::next(s, i))) {
      return true;
    }
  }
  return false;
}

// The codec CPython's registry finds for a name without NUL or surrogates, or kNone.
// codecs.lookup: the C normaliser (runs of characters other than ASCII letters, digits and
// '.' become one '_', except at the start; letters are lowercased), then the encodings
// package's search function: the alias of the name, or of the name with '.' replaced by
// '_', then the name itself as a module (a name with '.' is never imported; an alias whose
// module cannot be imported falls back to the name).
std::uint8_t resolve_name(std::string_view encoding) noexcept {
  // No known name normalises to more than kMaxNormalizedName characters.
  char norm[kMaxNormalizedName + 2];
  std::size_t len = 0;
  bool punct = false;
  bool dotted = false;
  for (char ch : encoding) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c == '.') {
      if (len + 2 > sizeof norm) return kNone;
      if (punct && len > 0) norm[len++] = '_';
      punct = false;
      dotted |= c == '.';
      norm[len++] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else {
      punct = true;
    }
  }
  const NameEntry* e = find_name(std::string_view(norm, len));
  if (e != nullptr && e->alias != kNone) {
    if (e->alias != kBroken) return e->alias;
    return dotted ? kNone : e->module;
  }
  if (dotted) {
    for (std::size_t i = 0; i < len; ++i)
      if (norm[i] == '.') norm[i] = '_';
    const NameEntry* d = find_name(std::string_view(norm, len));
    return d != nullptr && d->alias != kBroken ? d->alias : kNone;
  }
  return e != nullptr ? e->module : kNone;
}

std::uint8_t resolve_checked(std::string_view encoding) noexcept {
  if (encoding.find('\0') != std::string_view::npos || has_surrogate(encoding)) return kNone;
  return resolve_name(encoding);
}

// The encoding side of a charmap codec: the inverse of its decoding table, in which the
// last byte wins when two decode to the same character (codecs.charmap_build; the script
// that writes the tables checks that CPython's encoders agree on every code point).
struct CharmapEncoder {
  struct Pair {
    char16_t cp;
    unsigned char byte;
  };
  Pair pairs[256];
  std::size_t size = 0;

  // The byte for c, or -1 when c has none.
  int find(char32_t c) const noexcept {
    const Pair* end = pairs + size;
    const Pair* p = std::lower_bound(pairs, end, c, [](const Pair& a, char32_t b) { return a.cp < b; });
    return p != end && p->cp == c ? p->byte : -1;
  }
};

const CharmapEncoder& charmap_encoder(std::size_t index) {
  static const std::vector<CharmapEncoder> encoders = [] {
    std::vector<CharmapEncoder> v(kCharmapCount);
    for (std::size_t k = 0; k < kCharmapCount; ++k) {
      char16_t seen[256];
      std::size_t n = 0;
      CharmapEncoder& enc = v[k];
      for (int b = 255; b >= 0; --b) {  // from the last byte, which wins
        const char16_t cp = kCharmapDecode[k][b];
        if (cp == kUndefined || std::find(seen, seen + n, cp) != seen + n) continue;
        seen[n++] = cp;
        enc.pairs[enc.size++] = {cp, static_cast<unsigned char>(b)};
      }
      std::sort(enc.pairs, enc.pairs + enc.size,
                [](const CharmapEncoder::Pair& a, const CharmapEncoder::Pair& b) { return a.cp < b.cp; });
    }
    return v;
  }();
  return encoders[index];
}

constexpr std::string_view kCharmapName = "charmap";
constexpr std::string_view kUndefinedReason = "character maps to <undefined>";

void decode_charmap(std::size_t index, ErrorHandler errors, std::string_view in, std::string& out) {
  const char16_t* table = kCharmapDecode[index];
  const bool ascii = kCharmaps[index].ascii;
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char b = p[i];
    if (ascii && b < 0x80) {
      const std::size_t j = skip_ascii(p, n, i + 1);
      out.append(in.data() + i, j - i);
      i = j;
      continue;
    }
    const char16_t c = table[b];
    if (c != kUndefined) {
      wtf8::append(out, c);
    } else {
      // Each undefined byte is an error of its own.
      switch (errors) {
        case ErrorHandler::Strict:
        case ErrorHandler::SurrogatePass:  // not defined for 'charmap': the original error
          throw_decode_error(kCharmapName, in, i, i + 1, kUndefinedReason);
        case ErrorHandler::Ignore: break;
        case ErrorHandler::Replace: wtf8::append(out, wtf8::kReplacement); break;
        case ErrorHandler::SurrogateEscape:
          if (b < 0x80) throw_decode_error(kCharmapName, in, i, i + 1, kUndefinedReason);
          append_surrogate_escape(out, b);
          break;
        case ErrorHandler::BackslashReplace: append_backslash_byte(out, b); break;
      }
    }
    ++i;
  }
}

// Applies an encode error handler to a run of characters a charmap codec cannot encode,
// as CPython's charmap_encoding_error does: the replacement of replace and backslashreplace
// is itself encoded with the codec (failing with the original error if it cannot be),
// the bytes of surrogateescape are written as they are, and every failure reports the
// whole run.
[[noreturn]] void fail_charmap_run(const Run& run) {
  throw_encode_error(kCharmapName, run.cps[0], run.start, run.end(), kUndefinedReason);
}

void encode_charmap_run(const CharmapEncoder& enc, ErrorHandler errors, const Run& run, std::string& out) {
  switch (errors) {
    case ErrorHandler::Strict:
    case ErrorHandler::SurrogatePass:  // not defined for 'charmap': the original error
      fail_charmap_run(run);
    case ErrorHandler::Ignore: return;
    case ErrorHandler::Replace: {
      const int q = enc.find('?');
      if (q < 0) fail_charmap_run(run);
      out.append(run.cps.size(), static_cast<char>(q));
      return;
    }
    case ErrorHandler::BackslashReplace: {
      std::string rep;
      for (char32_t c : run.cps) wtf8::append_backslash_escape(rep, c);
      for (char c : rep) {
        const int b = enc.find(static_cast<unsigned char>(c));
        if (b < 0) fail_charmap_run(run);
        out.push_back(static_cast<char>(b));
      }
      return;
    }
    case ErrorHandler::SurrogateEscape:
      for (char32_t c : run.cps)
        if (!is_escaped_byte(c)) fail_charmap_run(run);
      for (char32_t c : run.cps) out.push_back(static_cast<char>(c & 0xFF));
      return;
  }
}

void encode_charmap(std::size_t index, ErrorHandler errors, std::string_view in, std::string& out) {
  const CharmapEncoder& enc = charmap_encoder(index);
  const bool ascii = kCharmaps[index].ascii;
  const unsigned char* p = bytes_of(in);
  const std::size_t n = in.size();
  std::size_t i = 0;
  std::size_t pos = 0;
  Run run;
  while (i < n) {
    if (ascii && p[i] < 0x80) {
      const std::size_t j = skip_ascii(p, n, i + 1);
      out.append(in.data() + i, j - i);
      pos += j - i;
      i = j;
      continue;
    }
    const char32_t c = wtf8::next(in, i);
    const int b = enc.find(c);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
      ++pos;
      continue;
    }
    run.start = pos;
    run.cps.assign(1, c);
    ++pos;
    while (i < n) {
      std::size_t k = i;
      const char32_t d = wtf8::next(in, k);
      if (enc.find(d) >= 0) break;
      run.cps.push_back(d);
      ++pos;
      i = k;
    }
    encode_charmap_run(enc, errors, run, out);
  }
}

}  // namespace

namespace {

Codec public_codec(std::uint8_t c) noexcept {
  return c == kNone || c == kNonText ? Codec::Unsupported : static_cast<Codec>(c);
}

}  // namespace

void check_str_argument(std::string_view s) {
  if (has_surrogate(s)) {
    std::string ignored;
    encode_utf8(ErrorHandler::Strict, s, ignored);
  }
  if (s.find('\0') != std::string_view::npos) throw Error(ErrorType::ValueError, "embedded null character");
}

namespace {

// _PyCodec_Lookup after the argument checks: the codec id, or LookupError.
std::uint8_t lookup_id(std::string_view encoding) {
  const std::uint8_t c = resolve_name(encoding);
  if (c == kNone) {
    std::string msg = "unknown encoding: ";
    decode_utf8(ErrorHandler::Replace, encoding, msg);  // PyUnicode_FromFormat's %s
    throw Error(ErrorType::LookupError, std::move(msg));
  }
  return c;
}

// The shortcuts of PyUnicode_Decode and PyUnicode_AsEncodedString, taken before the codec
// registry: names that normalise (as the registry does, into at most 10 characters) to
// utf8, utf_8, ascii, us_ascii, latin1, latin_1, iso_8859_1 or iso8859_1, and utf16,
// utf_16, utf32, utf_32 (Unsupported). Errors of these are not wrapped; nullopt otherwise.
std::optional<Codec> shortcut_codec(std::string_view encoding) noexcept {
  char lower[11];
  std::size_t len = 0;
  bool punct = false;
  for (char ch : encoding) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == 0) break;
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c == '.') {
      if (punct && len > 0) {
        if (len == 10) return std::nullopt;
        lower[len++] = '_';
      }
      punct = false;
      if (len == 10) return std::nullopt;
      lower[len++] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else {
      punct = true;
    }
  }
  std::string_view name(lower, len);
  if (name.substr(0, 3) == "utf") {
    name.remove_prefix(name.size() > 3 && name[3] == '_' ? 4 : 3);
    if (name == "8") return Codec::Utf8;
    if (name == "16" || name == "32") return Codec::Unsupported;
    return std::nullopt;
  }
  if (name == "ascii" || name == "us_ascii") return Codec::Ascii;
  if (name == "latin1" || name == "latin_1" || name == "iso_8859_1" || name == "iso8859_1") return Codec::Latin1;
  return std::nullopt;
}

[[noreturn]] void not_supported(std::string_view encoding) {
  std::string msg = "codec '";
  decode_utf8(ErrorHandler::Replace, encoding, msg);
  msg += "' is not supported";
  throw Error(ErrorType::NotImplementedError, std::move(msg));
}

// A codec found in the registry that is not a text encoding, for str.encode/bytes.decode.
[[noreturn]] void not_text(std::string_view encoding, std::string_view command) {
  std::string msg = "'" + format_cstring(encoding, 400) + "' is not a text encoding; use ";
  msg += command;
  msg += " to handle arbitrary codecs";
  throw Error(ErrorType::LookupError, std::move(msg));
}

// Runs a codec reached through the registry: a LookupError it raises (an unknown error
// handler name) is wrapped as _PyCodec_EncodeInternal/DecodeInternal do.
template <typename F>
void wrapped(std::string_view operation, std::string_view encoding, F&& run) {
  try {
    run();
  } catch (const Error& e) {
    if (e.type() != ErrorType::LookupError) throw;
    std::string msg(operation);
    msg += " with '";
    decode_utf8(ErrorHandler::Replace, encoding, msg);
    msg += "' codec failed (LookupError: ";
    msg += e.message();
    msg += ')';
    throw Error(ErrorType::LookupError, std::move(msg));
  }
}

// decode_text and encode_text past their argument checks: the codec by its name, refused
// when unsupported or not a text encoding, then `run(codec)`, whose lookup errors are
// wrapped once the name went through the registry.
template <typename Run>
void with_text_codec(std::string_view encoding, std::string_view operation, std::string_view caller, Run&& run) {
  if (const std::optional<Codec> c = shortcut_codec(encoding)) {
    if (*c == Codec::Unsupported) not_supported(encoding);
    run(*c);
    return;
  }
  const std::uint8_t id = lookup_id(encoding);
  if (id == kNonText) not_text(encoding, caller);
  const Codec c = public_codec(id);
  if (c == Codec::Unsupported) not_supported(encoding);
  wrapped(operation, encoding, [&] { run(c); });
}

}  // namespace

Codec find_codec(std::string_view encoding) noexcept { return public_codec(resolve_checked(encoding)); }

bool codec_exists(std::string_view encoding) noexcept { return resolve_checked(encoding) != kNone; }

Codec lookup_codec(std::string_view encoding) {
  check_str_argument(encoding);
  return public_codec(lookup_id(encoding));
}

void decode_text(std::string_view encoding, std::string_view errors, std::string_view in, std::string& out) {
  check_str_argument(encoding);
  check_str_argument(errors);
  if (in.empty()) return;
  with_text_codec(encoding, "decoding", "codecs.decode()", [&](Codec c) { decode(c, errors, in, out); });
}

void encode_text(std::string_view encoding, std::string_view errors, std::string_view wtf8, std::string& out) {
  check_str_argument(encoding);
  check_str_argument(errors);
  with_text_codec(encoding, "encoding", "codecs.encode()", [&](Codec c) { encode(c, errors, wtf8, out); });
}

void codecs_encode(std::string_view encoding, std::string_view errors, std::string_view wtf8, std::string& out) {
  check_str_argument(encoding);
  check_str_argument(errors);
  const Codec c = public_codec(lookup_id(encoding));
  if (c == Codec::Unsupported) not_supported(encoding);
  wrapped("encoding", encoding, [&] { encode(c, errors, wtf8, out); });
}

void codecs_encode_non_str(std::string_view encoding, std::string_view type) {
  check_str_argument(encoding);
  const Codec c = public_codec(lookup_id(encoding));
  if (c == Codec::Unsupported) not_supported(encoding);
  std::string msg = "encoding with '";
  decode_utf8(ErrorHandler::Replace, encoding, msg);
  msg += "' codec failed (TypeError: ";
  msg += c == Codec::Utf8     ? "utf_8_encode"
         : c == Codec::Ascii  ? "ascii_encode"
         : c == Codec::Latin1 ? "latin_1_encode"
                              : "charmap_encode";
  msg += "() argument 1 must be str, not ";
  msg += type;
  msg += ')';
  throw Error(ErrorType::TypeError, std::move(msg));
}

std::size_t charmap_count() noexcept { return kCharmapCount; }

bool is_charmap(Codec codec) noexcept {
  return id(codec) >= id(Codec::FirstCharmap) && id(codec) < id(Codec::FirstCharmap) + kCharmapCount;
}

std::string_view codec_name(Codec codec) noexcept {
  switch (codec) {
    case Codec::Utf8: return kUtf8Name;
    case Codec::Ascii: return kAsciiName;
    case Codec::Latin1: return kLatin1Name;
    default: break;
  }
  return is_charmap(codec) ? kCharmaps[id(codec) - id(Codec::FirstCharmap)].name : std::string_view();
}

void decode(Codec codec, ErrorHandler errors, std::string_view in, std::string& out) {
  switch (codec) {
    case Codec::Utf8: decode_utf8(errors, in, out); return;
    case Codec::Ascii: decode_ascii(errors, in, out); return;
    case Codec::Latin1: decode_latin1(in, out); return;
    default:
      if (is_charmap(codec)) {
        decode_charmap(id(codec) - id(Codec::FirstCharmap), errors, in, out);
        return;
      }
      break;
  }
  throw Error(ErrorType::NotImplementedError, "codec not supported");
}

void encode(Codec codec, ErrorHandler errors, std::string_view wtf8, std::string& out) {
  switch (codec) {
    case Codec::Utf8: encode_utf8(errors, wtf8, out); return;
    case Codec::Ascii: encode_ucs1(kAsciiName, 0x80, "ordinal not in range(128)", errors, wtf8, out); return;
    case Codec::Latin1: encode_ucs1(kLatin1Name, 0x100, "ordinal not in range(256)", errors, wtf8, out); return;
    default:
      if (is_charmap(codec)) {
        encode_charmap(id(codec) - id(Codec::FirstCharmap), errors, wtf8, out);
        return;
      }
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

std::size_t utf8_size_of_latin1(std::string_view latin1) noexcept {
  const unsigned char* p = bytes_of(latin1);
  const std::size_t n = latin1.size();
  std::size_t size = n, i = 0;
  if (kWords) {
    for (; i + 8 <= n; i += 8) size += count_high_bits(load_word(p + i) & kHighBits);
  }
  for (; i < n; ++i) size += p[i] >> 7;
  return size;
}

void decode_latin1_to(std::string_view latin1, char* out) noexcept {
  const unsigned char* p = bytes_of(latin1);
  const std::size_t n = latin1.size();
  std::size_t i = 0;
  while (i < n) {
    if (kWords && i + 8 <= n) {
      const std::uint64_t w = load_word(p + i);
      if (!(w & kHighBits)) {
        const std::size_t ascii_end = skip_ascii(p, n, i + 8);
        std::memcpy(out, p + i, ascii_end - i);
        out += ascii_end - i;
        i = ascii_end;
        continue;
      }
      if ((w & 0x80808080U) == 0x80808080U) {
        // Four bytes of U+0080..U+00FF: spread them one per 16-bit lane, then make each
        // lane a lead 110000xx (low byte) and a continuation 10xxxxxx.
        std::uint64_t y = w & 0xFFFFFFFFU;
        y = (y | (y << 16)) & 0x0000FFFF0000FFFFULL;
        y = (y | (y << 8)) & 0x00FF00FF00FF00FFULL;
        const std::uint64_t lead = 0x00C000C000C000C0ULL | ((y >> 6) & 0x0003000300030003ULL);
        const std::uint64_t cont = (0x0080008000800080ULL | (y & 0x003F003F003F003FULL)) << 8;
        const std::uint64_t utf8 = lead | cont;
        std::memcpy(out, &utf8, 8);
        out += 8;
        i += 4;
        continue;
      }
    }
    const unsigned char c = p[i++];
    if (c < 0x80) {
      *out++ = static_cast<char>(c);
    } else {
      *out++ = static_cast<char>(0xC0 | (c >> 6));
      *out++ = static_cast<char>(0x80 | (c & 0x3F));
    }
  }
}

std::size_t encode_latin1_to(std::string_view wtf8, std::uint8_t* out) noexcept {
  const unsigned char* p = bytes_of(wtf8);
  const std::size_t n = wtf8.size();
  std::uint8_t* const start = out;
  std::size_t i = 0;
  while (i < n) {
    // ASCII 32 bytes a step, each block checked and copied while it is in registers.
    while (i + 32 <= n) {
      std::uint64_t w[4];
      std::memcpy(w, p + i, 32);
      if ((w[0] | w[1] | w[2] | w[3]) & kHighBits) break;
      std::memcpy(out, w, 32);
      out += 32;
      i += 32;
    }
    if (i == n) break;
    if (kWords && i + 8 <= n) {
      const std::uint64_t w = load_word(p + i);
      if (!(w & kHighBits)) {
        std::memcpy(out, p + i, 8);
        out += 8;
        i += 8;
        continue;
      }
      if ((w & 0xC0FEC0FEC0FEC0FEULL) == 0x80C280C280C280C2ULL) {
        // Four U+0080..U+00FF (C2 or C3, then a continuation, per 16-bit lane): each
        // lane's code point, then the four lanes' low bytes packed together.
        std::uint64_t v = ((w & 0x0003000300030003ULL) << 6) | ((w >> 8) & 0x003F003F003F003FULL);
        v = (v | (v >> 8)) & 0x0000FFFF0000FFFFULL;
        v = (v | (v >> 16)) & 0xFFFFFFFFULL;
        const auto four = static_cast<std::uint32_t>(v);
        std::memcpy(out, &four, 4);
        out += 4;
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      *out++ = c;
      ++i;
    } else if ((c & 0xFE) == 0xC2) {
      *out++ = static_cast<std::uint8_t>(((c & 3) << 6) | (p[i + 1] & 0x3F));
      i += 2;
    } else {
      return kNotLatin1;
    }
  }
  return static_cast<std::size_t>(out - start);
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
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
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
        throw Error(ErrorType::ValueError, "invalid \\x escape at position " + std::to_string(i - 2));
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
