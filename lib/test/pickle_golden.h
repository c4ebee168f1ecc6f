// Helpers for the pickler's golden files (golden/pickle_cases.tsv and
// golden/pickler_api_cases.tsv, written by gen_pickle_cases.py and
// gen_pickler_api_cases.py): the field decoder and a byte-comparison report.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "text_golden.h"

namespace pickle_golden {

/// Decodes a field: hex, where `<PATTERN*COUNT>` stands for COUNT copies of the hex
/// PATTERN (gen_pickle_cases.decode_field). Returns false if the field is malformed.
inline bool decode_field(std::string_view text, std::string& out) {
  out.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '<') {
      const std::size_t star = text.find('*', i);
      const std::size_t end = text.find('>', i);
      if (star == std::string_view::npos || end == std::string_view::npos || star > end) return false;
      const std::string unit = text_golden::unhex(text.substr(i + 1, star - i - 1));
      const std::string count_text(text.substr(star + 1, end - star - 1));
      if (unit.empty() || count_text.empty() || count_text.find_first_not_of("0123456789") != std::string::npos) {
        return false;
      }
      const unsigned long count = std::stoul(count_text);
      out.reserve(out.size() + unit.size() * count);
      for (unsigned long k = 0; k < count; ++k) out += unit;
      i = end + 1;
    } else {
      std::size_t end = text.find('<', i);
      if (end == std::string_view::npos) end = text.size();
      if ((end - i) % 2 != 0) return false;
      out += text_golden::unhex(text.substr(i, end - i));
      i = end;
    }
  }
  return true;
}

/// "" if equal, else where and how `got` differs from `expected`: the first differing
/// offset, both lengths, and both texts from a little before that offset.
inline std::string compare_bytes(std::string_view expected, std::string_view got) {
  if (got == expected) return "";
  const auto mismatch = std::mismatch(got.begin(), got.end(), expected.begin(), expected.end());
  const std::size_t at = static_cast<std::size_t>(mismatch.first - got.begin());
  const std::size_t from = at < 24 ? 0 : at - 24;
  return "bytes differ at offset " + std::to_string(at) + " (expected " + std::to_string(expected.size()) +
         " bytes, got " + std::to_string(got.size()) + ")\n    expected [" + std::to_string(from) +
         "..]: " + text_golden::show(expected.substr(from), 100) + "\n    got      [" + std::to_string(from) +
         "..]: " + text_golden::show(got.substr(from), 100);
}

}  // namespace pickle_golden
