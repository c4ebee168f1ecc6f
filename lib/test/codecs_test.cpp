// Tests for lib/src/codecs.cpp against CPython 3.11.7's results (golden/text_cases.tsv,
// written by golden/gen_text_cases.py) plus a few properties.
#include "codecs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "pickle/error.h"
#include "text_golden.h"
#include "wtf8.h"

namespace {

using namespace pickle;
using namespace pickle::detail;
using text_golden::hex;
using text_golden::unhex;

// A codec field of the golden file: any name find_codec knows ("utf-8", "cp1252",
// "mac-roman", "charmap", ...).
Codec codec_named(const std::string& name) {
  const Codec c = find_codec(name);
  if (c == Codec::Unsupported) ADD_FAILURE() << "unsupported codec in golden file: " << name;
  return c;
}

const char* handler_name(ErrorHandler h) {
  switch (h) {
    case ErrorHandler::Strict: return "strict";
    case ErrorHandler::Ignore: return "ignore";
    case ErrorHandler::Replace: return "replace";
    case ErrorHandler::SurrogateEscape: return "surrogateescape";
    case ErrorHandler::SurrogatePass: return "surrogatepass";
    case ErrorHandler::BackslashReplace: return "backslashreplace";
  }
  return "?";
}

// The golden file's name for what lookup_codec finds.
std::string codec_result_name(Codec c) {
  switch (c) {
    case Codec::Utf8: return "utf-8";
    case Codec::Ascii: return "ascii";
    case Codec::Latin1: return "latin-1";
    case Codec::Unsupported: return "unsupported";
    default: break;
  }
  EXPECT_TRUE(is_charmap(c));
  return "charmap:" + std::string(codec_name(c));
}

Codec charmap(std::size_t i) { return static_cast<Codec>(static_cast<std::size_t>(Codec::FirstCharmap) + i); }

// ---- golden cases ---------------------------------------------------------------------

TEST(CodecsGolden, ErrorHandler) {
  text_golden::check("error_handler", 1,
                     [](const auto& a) { return std::vector<std::string>{handler_name(error_handler(unhex(a[0])))}; });
}

TEST(CodecsGolden, LookupCodec) {
  // lookup_codec raises exactly what codecs.lookup raises; codec_exists and find_codec
  // agree with it.
  text_golden::check("lookup_codec", 1, [](const auto& a) {
    const std::string name = unhex(a[0]);
    const bool exists = codec_exists(name);
    const Codec found = find_codec(name);
    try {
      const Codec c = lookup_codec(name);
      EXPECT_TRUE(exists) << text_golden::show(name);
      EXPECT_EQ(found, c) << text_golden::show(name);
    } catch (const Error&) {
      EXPECT_FALSE(exists) << text_golden::show(name);
      EXPECT_EQ(found, Codec::Unsupported) << text_golden::show(name);
      throw;
    }
    return std::vector<std::string>{codec_result_name(found)};
  });
}

TEST(CodecsGolden, Decode) {
  text_golden::check("decode", 3, [](const auto& a) {
    std::string out = "prefix";  // decode appends
    decode(codec_named(a[0]), error_handler(a[1]), unhex(a[2]), out);
    EXPECT_EQ(out.substr(0, 6), "prefix");
    return std::vector<std::string>{hex(out.substr(6))};
  });
}

// bytes.decode(name, errors): the shortcut names ("utf-8", "ascii", "latin-1") behave as
// the Codec overload taking an errors name; the others also wrap an unknown handler's error.
TEST(CodecsGolden, DecodeWithErrorsName) {
  text_golden::check("decode_named", 3, [](const auto& a) {
    std::string out;
    decode_text(a[0], unhex(a[1]), unhex(a[2]), out);
    if (a[0] == "utf-8" || a[0] == "ascii" || a[0] == "latin-1") {
      std::string direct;
      decode(codec_named(a[0]), std::string_view(unhex(a[1])), unhex(a[2]), direct);
      EXPECT_EQ(direct, out);
    }
    return std::vector<std::string>{hex(out)};
  });
}

TEST(CodecsGolden, DecodeText) {
  text_golden::check("decode_text", 3, [](const auto& a) {
    std::string out = "prefix";
    decode_text(unhex(a[0]), unhex(a[1]), unhex(a[2]), out);
    EXPECT_EQ(out.substr(0, 6), "prefix");
    return std::vector<std::string>{hex(out.substr(6))};
  });
}

TEST(CodecsGolden, EncodeText) {
  text_golden::check("encode_text", 3, [](const auto& a) {
    std::string out = "prefix";
    encode_text(unhex(a[0]), unhex(a[1]), unhex(a[2]), out);
    EXPECT_EQ(out.substr(0, 6), "prefix");
    return std::vector<std::string>{hex(out.substr(6))};
  });
}

TEST(CodecsGolden, CodecsEncode) {
  text_golden::check("codecs_encode", 3, [](const auto& a) {
    std::string out;
    codecs_encode(unhex(a[0]), unhex(a[1]), unhex(a[2]), out);
    return std::vector<std::string>{hex(out)};
  });
}

TEST(CodecsGolden, Encode) {
  text_golden::check("encode", 3, [](const auto& a) {
    std::string out = "prefix";
    encode(codec_named(a[0]), error_handler(a[1]), unhex(a[2]), out);
    EXPECT_EQ(out.substr(0, 6), "prefix");
    return std::vector<std::string>{hex(out.substr(6))};
  });
}

TEST(CodecsGolden, EncodeWithErrorsName) {
  text_golden::check("encode_named", 3, [](const auto& a) {
    std::string out;
    encode_text(a[0], unhex(a[1]), unhex(a[2]), out);
    if (a[0] == "utf-8" || a[0] == "ascii" || a[0] == "latin-1") {
      std::string direct;
      encode(codec_named(a[0]), std::string_view(unhex(a[1])), unhex(a[2]), direct);
      EXPECT_EQ(direct, out);
    }
    return std::vector<std::string>{hex(out)};
  });
}

TEST(CodecsGolden, IsWtf8) {
  text_golden::check("is_wtf8", 1,
                     [](const auto& a) { return std::vector<std::string>{is_wtf8(unhex(a[0])) ? "1" : "0"}; });
}

TEST(CodecsGolden, RawUnicodeEscapeDecode) {
  text_golden::check("raw_unicode_escape_decode", 1, [](const auto& a) {
    std::string out;
    decode_raw_unicode_escape(unhex(a[0]), out);
    return std::vector<std::string>{hex(out)};
  });
}

TEST(CodecsGolden, RawUnicodeEscapeEncode) {
  text_golden::check("raw_unicode_escape_encode", 1, [](const auto& a) {
    std::string out;
    encode_raw_unicode_escape(unhex(a[0]), out);
    return std::vector<std::string>{hex(out)};
  });
}

TEST(CodecsGolden, EscapeDecode) {
  text_golden::check("escape_decode", 1,
                     [](const auto& a) { return std::vector<std::string>{hex(escape_decode(unhex(a[0])))}; });
}

// ---- properties and hand-written cases ------------------------------------------------------

// Random WTF-8 text: code points from every range, surrogates included.
std::string random_wtf8(std::mt19937& rng, std::size_t n) {
  std::string s;
  std::uniform_int_distribution<int> kind(0, 9);
  for (std::size_t i = 0; i < n; ++i) {
    char32_t cp;
    switch (kind(rng)) {
      case 0: cp = std::uniform_int_distribution<char32_t>(0x80, 0x7FF)(rng); break;
      case 1: cp = std::uniform_int_distribution<char32_t>(0x800, 0xFFFF)(rng); break;
      case 2: cp = std::uniform_int_distribution<char32_t>(0x10000, 0x10FFFF)(rng); break;
      case 3: cp = std::uniform_int_distribution<char32_t>(0xD800, 0xDFFF)(rng); break;
      default: cp = std::uniform_int_distribution<char32_t>(0, 0x7F)(rng); break;
    }
    std::string enc;
    if (cp < 0x80) {
      enc = std::string(1, static_cast<char>(cp));
    } else if (cp < 0x800) {
      enc = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    } else if (cp < 0x10000) {
      enc = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
             static_cast<char>(0x80 | (cp & 0x3F))};
    } else {
      enc = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
             static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    }
    s += enc;
  }
  return s;
}

TEST(Codecs, Wtf8RoundTrips) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    const std::string s = random_wtf8(rng, i % 50);
    ASSERT_TRUE(is_wtf8(s)) << text_golden::show(s);
    std::string decoded, encoded;
    decode(Codec::Utf8, ErrorHandler::SurrogatePass, s, decoded);
    ASSERT_EQ(decoded, s);
    encode(Codec::Utf8, ErrorHandler::SurrogatePass, s, encoded);
    ASSERT_EQ(encoded, s);
    std::string escaped, back;
    encode_raw_unicode_escape(s, escaped);
    // raw-unicode-escape does not escape backslashes, so only compare when there are none.
    if (s.find('\\') == std::string::npos) {
      decode_raw_unicode_escape(escaped, back);
      ASSERT_EQ(back, s);
    }
  }
}

TEST(Codecs, IsWtf8AgreesWithDecoderOnMutations) {
  // Flip bytes of valid text: is_wtf8 must say exactly what decode(surrogatepass) says.
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string s = random_wtf8(rng, 1 + i % 40);
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) s[rng() % s.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) s.resize(rng() % (s.size() + 1));
    bool decodes = true;
    std::string out;
    try {
      decode(Codec::Utf8, ErrorHandler::SurrogatePass, s, out);
    } catch (const Error&) {
      decodes = false;
    }
    ASSERT_EQ(is_wtf8(s), decodes) << text_golden::show(s);
    if (decodes) {
      ASSERT_EQ(out, s);
    }
  }
}

TEST(Codecs, Latin1RoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string text, bytes;
  decode(Codec::Latin1, ErrorHandler::Strict, all, text);
  EXPECT_TRUE(is_wtf8(text));
  encode(Codec::Latin1, ErrorHandler::Strict, text, bytes);
  EXPECT_EQ(bytes, all);
}

// Byte-at-a-time definitions, to check the word-at-a-time paths against.
bool valid_wtf8_bytewise(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  auto cont = [&](std::size_t k) { return k < n && (p[k] & 0xC0) == 0x80; };
  for (std::size_t i = 0; i < n;) {
    const unsigned c = p[i];
    std::size_t len = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (len == 0) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if (!cont(i + k)) return false;
    }
    if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] >= 0x90)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string utf8_of_latin1_bytewise(const std::string& latin1) {
  std::string out;
  for (unsigned char c : latin1) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

TEST(Codecs, WordAtATimePathsAgreeWithBytewiseDefinitions) {
  std::mt19937 rng(11);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  for (int round = 0; round < 50000; ++round) {
    // Runs of Latin-1 and other two-byte characters (the word paths' cases), some ASCII,
    // a few longer sequences; then a byte or two changed.
    std::string latin1;
    std::string s;
    const int chars = pick(40);
    bool only_latin1 = true;
    for (int k = 0; k < chars; ++k) {
      const int kind = pick(10);
      char32_t cp = kind < 5   ? 0x80 + pick(0x80)
                    : kind < 7 ? pick(0x80)
                    : kind < 9 ? 0x100 + pick(0x700)
                               : 0x800 + pick(0xF000);
      if (cp >= 0x100) only_latin1 = false;
      // Now and then a long ASCII run (the 32-byte steps).
      for (int run = cp < 0x80 && pick(6) == 0 ? 1 + pick(90) : 1; run > 0; --run) {
        if (cp < 0x100) latin1 += static_cast<char>(cp);
        wtf8::append(s, cp);
      }
    }
    if (round % 2 && !s.empty()) {
      for (int f = pick(2) + 1; f > 0; --f)
        s[static_cast<std::size_t>(pick(static_cast<int>(s.size())))] = static_cast<char>(rng());
      only_latin1 = false;
    }
    ASSERT_EQ(is_wtf8(s), valid_wtf8_bytewise(s)) << text_golden::show(s);
    if (!is_wtf8(s)) continue;
    std::string decoded;
    decode(Codec::Utf8, ErrorHandler::SurrogatePass, s, decoded);
    std::u32string cps;
    for (std::size_t i = 0; i < s.size();) cps += wtf8::next(s, i);
    std::string out(s.size(), '\0');
    const bool fits = std::all_of(cps.begin(), cps.end(), [](char32_t c) { return c < 0x100; });
    ASSERT_EQ(encode_latin1_to(s, reinterpret_cast<std::uint8_t*>(out.data())), fits ? cps.size() : kNotLatin1)
        << text_golden::show(s);
    if (fits) {
      out.resize(cps.size());
      std::string want;
      for (char32_t c : cps) want += static_cast<char>(c);
      ASSERT_EQ(out, want) << text_golden::show(s);
      if (only_latin1) {
        ASSERT_EQ(out, latin1);
      }
    }
  }
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(static_cast<std::size_t>(pick(40)), '\0');
    const int high = pick(4);  // how often a byte is above 0x7F: never .. always
    for (char& c : bytes) c = static_cast<char>(pick(0x80) | (pick(3) < high ? 0x80 : 0));
    const std::string want = utf8_of_latin1_bytewise(bytes);
    ASSERT_EQ(utf8_size_of_latin1(bytes), want.size());
    std::string out(want.size(), '\0');
    decode_latin1_to(bytes, out.data());
    ASSERT_EQ(out, want) << text_golden::show(bytes);
  }
}

TEST(Codecs, ErrorHandlerNamesAreResolvedLazily) {
  std::string out;
  decode(Codec::Ascii, std::string_view("bogus"), "abc", out);
  EXPECT_EQ(out, "abc");
  decode(Codec::Latin1, std::string_view("bogus"), "\xff", out);
  EXPECT_EQ(out, "abc\xc3\xbf");
  try {
    decode(Codec::Utf8, std::string_view("bogus"), "\xff", out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::LookupError);
    EXPECT_EQ(e.message(), "unknown error handler name 'bogus'");
  }
  try {
    error_handler("xmlcharrefreplace");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::NotImplementedError);
  }
}

TEST(Codecs, Messages) {
  std::string out;
  try {
    encode(Codec::Latin1, ErrorHandler::Strict, "\xe2\x82\xac", out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::UnicodeEncodeError);
    EXPECT_EQ(e.message(), "'latin-1' codec can't encode character '\\u20ac' in position 0: ordinal not in range(256)");
  }
  try {
    decode(Codec::Utf8, ErrorHandler::Strict, "ab\xed\xa0\x80", out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::UnicodeDecodeError);
    EXPECT_EQ(e.message(), "'utf-8' codec can't decode byte 0xed in position 2: invalid continuation byte");
  }
  try {
    escape_decode("ab\\x1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::ValueError);
    EXPECT_EQ(e.message(), "invalid \\x escape at position 2");
  }
}

TEST(Codecs, UnsupportedCodec) {
  std::string out;
  EXPECT_THROW(decode(Codec::Unsupported, ErrorHandler::Strict, "x", out), Error);
  EXPECT_THROW(encode(Codec::Unsupported, ErrorHandler::Strict, "x", out), Error);
  // Known to CPython, not implemented: Unsupported, but known.
  for (const char* name :
       {"utf-16", "UTF_32_LE", "shift-jis", "base64", "rot13", "undefined", "idna", "utf-8-sig", "cp932"}) {
    EXPECT_EQ(find_codec(name), Codec::Unsupported) << name;
    EXPECT_EQ(lookup_codec(name), Codec::Unsupported) << name;
    EXPECT_TRUE(codec_exists(name)) << name;
  }
  // Unknown to CPython (mbcs only exists on Windows).
  for (const char* name : {"bogus", "", "mbcs", "dbcs", "aliases", "utf-9", "latin.1.", "cp1252x"}) {
    EXPECT_EQ(find_codec(name), Codec::Unsupported) << name;
    EXPECT_FALSE(codec_exists(name)) << name;
    try {
      lookup_codec(name);
      ADD_FAILURE() << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.type(), ErrorType::LookupError);
      EXPECT_EQ(e.message(), "unknown encoding: " + std::string(name));
    }
  }
  try {
    lookup_codec(std::string_view("utf-8\0", 6));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::ValueError);
    EXPECT_EQ(e.message(), "embedded null character");
  }
}

TEST(Codecs, CharmapCodecs) {
  EXPECT_EQ(charmap_count(), 69u);
  EXPECT_FALSE(is_charmap(Codec::Utf8));
  EXPECT_FALSE(is_charmap(Codec::Unsupported));
  EXPECT_FALSE(is_charmap(charmap(charmap_count())));
  EXPECT_EQ(find_codec("windows-1252"), find_codec("CP1252"));
  EXPECT_EQ(codec_name(find_codec("windows-1252")), "cp1252");
  EXPECT_EQ(codec_name(find_codec("MacRoman")), "mac-roman");
  EXPECT_EQ(codec_name(find_codec("koi8_r")), "koi8-r");
  EXPECT_EQ(codec_name(find_codec("latin9")), "iso8859-15");
  EXPECT_EQ(codec_name(find_codec("IBM437")), "cp437");
  EXPECT_EQ(find_codec("charmap"), Codec::Latin1);  // the charmap codec without a table
  EXPECT_EQ(find_codec("iso8859_1"), Codec::Latin1);
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (std::size_t i = 0; i < charmap_count(); ++i) {
    const Codec c = charmap(i);
    ASSERT_TRUE(is_charmap(c));
    EXPECT_EQ(find_codec(codec_name(c)), c) << codec_name(c);
    // Decoding then encoding gives back every defined byte whose character no later byte
    // also decodes to (the encoder's inverse is last-wins, as CPython's).
    std::string text, back;
    decode(c, ErrorHandler::SurrogateEscape, all.substr(0x80), text);
    EXPECT_TRUE(is_wtf8(text));
    encode(c, ErrorHandler::SurrogateEscape, text, back);
    EXPECT_EQ(back.size(), 0x80u) << codec_name(c);
    for (std::size_t b = 0; b < back.size() && b < 0x80; ++b) {
      std::string one, again;
      decode(c, ErrorHandler::SurrogateEscape, all.substr(0x80 + b, 1), one);
      decode(c, ErrorHandler::SurrogateEscape, back.substr(b, 1), again);
      EXPECT_EQ(one, again) << codec_name(c) << " byte " << 0x80 + b;
    }
  }
}

TEST(Codecs, GoldenCoversEveryCharmapCodec) {
  for (const char* function : {"decode", "encode"}) {
    std::vector<int> seen(charmap_count());
    for (const auto& c : text_golden::cases(function)) {
      const Codec codec = find_codec(c.fields.at(0));
      if (is_charmap(codec)) ++seen[static_cast<std::size_t>(codec) - static_cast<std::size_t>(Codec::FirstCharmap)];
    }
    for (std::size_t i = 0; i < charmap_count(); ++i)
      EXPECT_GE(seen[i], 40) << function << " " << codec_name(charmap(i));
  }
}

TEST(Codecs, CharmapMessages) {
  std::string out;
  try {
    decode(find_codec("cp1252"), ErrorHandler::Strict, "\x81", out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::UnicodeDecodeError);
    EXPECT_EQ(e.message(), "'charmap' codec can't decode byte 0x81 in position 0: character maps to <undefined>");
  }
  try {
    encode(find_codec("cp437"), ErrorHandler::Strict, "abc\xe2\x82\xac", out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::UnicodeEncodeError);
    EXPECT_EQ(e.message(),
              "'charmap' codec can't encode character '\\u20ac' in position 3: character maps to <undefined>");
  }
  out.clear();
  decode(find_codec("koi8-r"), std::string_view("bogus"), "\xc1\xc2", out);  // no error, no lookup
  EXPECT_EQ(out, "\xd0\xb0\xd0\xb1");
}

}  // namespace
