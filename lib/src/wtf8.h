// Small private helpers for walking and building WTF-8 (UTF-8 in which surrogates are
// encoded like any other code point; see pickle::Str). Shared by pytext.cpp and codecs.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pickle::detail::wtf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

inline bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

/// Decodes the code point at s[i] and advances i. The input is expected to be valid WTF-8;
/// a byte that does not start a well-formed sequence decodes as U+FFFD and is skipped on
/// its own, so malformed input never reads out of bounds.
inline char32_t next(std::string_view s, std::size_t& i) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  const unsigned char c = p[i];
  if (c < 0x80) {
    ++i;
    return c;
  }
  if (c >= 0xC2 && c < 0xE0) {
    if (i + 1 < n && is_continuation(p[i + 1])) {
      char32_t cp = (char32_t(c & 0x1F) << 6) | (p[i + 1] & 0x3F);
      i += 2;
      return cp;
    }
  } else if (c >= 0xE0 && c < 0xF0) {
    if (i + 2 < n && is_continuation(p[i + 1]) && is_continuation(p[i + 2])) {
      char32_t cp = (char32_t(c & 0x0F) << 12) | (char32_t(p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F);
      if (cp >= 0x800) {
        i += 3;
        return cp;
      }
    }
  } else if (c >= 0xF0 && c < 0xF5) {
    if (i + 3 < n && is_continuation(p[i + 1]) && is_continuation(p[i + 2]) && is_continuation(p[i + 3])) {
      char32_t cp = (char32_t(c & 0x07) << 18) | (char32_t(p[i + 1] & 0x3F) << 12) | (char32_t(p[i + 2] & 0x3F) << 6) |
                    (p[i + 3] & 0x3F);
      if (cp >= 0x10000 && cp <= 0x10FFFF) {
        i += 4;
        return cp;
      }
    }
  }
  ++i;
  return kReplacement;
}

/// Appends the (WTF-8) encoding of a code point <= 0x10FFFF, surrogates included.
inline void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    const char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 2);
  } else if (cp < 0x10000) {
    const char b[3] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                       static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 3);
  } else {
    const char b[4] = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                       static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 4);
  }
}

inline constexpr char kHexDigits[] = "0123456789abcdef";

/// Appends `digits` lowercase hex digits of v.
inline void append_hex(std::string& out, std::uint32_t v, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHexDigits[(v >> shift) & 0xF]);
}

/// Python's backslash escape of one code point as backslashreplace and ascii() write it:
/// \xhh up to U+00FF, \uhhhh up to U+FFFF, \Uhhhhhhhh above.
inline void append_backslash_escape(std::string& out, char32_t cp) {
  out.push_back('\\');
  if (cp <= 0xFF) {
    out.push_back('x');
    append_hex(out, cp, 2);
  } else if (cp <= 0xFFFF) {
    out.push_back('u');
    append_hex(out, cp, 4);
  } else {
    out.push_back('U');
    append_hex(out, cp, 8);
  }
}

/// Number of code points in (valid) WTF-8: the bytes that are not continuation bytes.
inline std::size_t count_code_points(std::string_view s) noexcept {
  std::size_t count = 0;
  for (unsigned char c : s) count += !is_continuation(c);
  return count;
}

/// Cuts WTF-8 text after its first `max_code_points` code points (Python's %.NR / %.NU).
inline void truncate_code_points(std::string& s, std::size_t from, std::size_t max_code_points) {
  std::size_t seen = 0;
  for (std::size_t i = from; i < s.size(); ++i) {
    if (!is_continuation(static_cast<unsigned char>(s[i]))) {
      if (seen == max_code_points) {
        s.resize(i);
        return;
      }
      ++seen;
    }
  }
}

}  // namespace pickle::detail::wtf8
