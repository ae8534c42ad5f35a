#include "text/utf8.h"

#include "core/error.h"

namespace bertgrid::text {

std::optional<std::size_t> find_invalid_utf8(std::string_view bytes) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    // Length of the sequence and the allowed range of its second byte (Unicode Table 3-7).
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b == 0xE0) {
      len = 3, lo = 0xA0;  // no overlong 3-byte forms
    } else if (b == 0xED) {
      len = 3, hi = 0x9F;  // no UTF-16 surrogates
    } else if (b >= 0xE1 && b <= 0xEF) {
      len = 3;
    } else if (b == 0xF0) {
      len = 4, lo = 0x90;  // no overlong 4-byte forms
    } else if (b >= 0xF1 && b <= 0xF3) {
      len = 4;
    } else if (b == 0xF4) {
      len = 4, hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;  // a continuation byte, C0/C1, or F5..FF where a sequence must start
    }
    if (i + len > n) return i;  // truncated at the end
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::nullopt;
}

void check_utf8(std::string_view bytes, const std::string& where) {
  if (auto bad = find_invalid_utf8(bytes)) {
    throw Error(where + ": invalid UTF-8 at byte offset " + std::to_string(*bad));
  }
}

}  // namespace bertgrid::text
