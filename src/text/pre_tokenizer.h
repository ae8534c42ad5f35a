// BertPreTokenizer: splits normalized text into words on whitespace (dropped) and punctuation
// (each punctuation character its own word).
#pragma once

#include <string_view>

#include "text/unicode_props.h"

namespace bertgrid::text {

// Calls on_word(std::string_view) for each word of text, in order.
template <typename OnWord>
void pre_tokenize(std::string_view text, OnWord&& on_word) {
  const char* s = text.data();
  const size_t n = text.size();
  size_t start = 0;  // start of the current word
  size_t i = 0;
  while (i < n) {
    auto b = static_cast<unsigned char>(s[i]);
    size_t at = i;
    bool space = false, punct = false;
    if (b < 0x80) {
      uint8_t cls = ascii_class(b);
      ++i;
      if (!(cls & (kAsciiWhitespace | kAsciiPunct))) continue;
      space = (cls & kAsciiWhitespace) != 0;
      punct = !space;
    } else {
      char32_t c = decode_utf8(s, n, i);
      space = is_whitespace(c);
      punct = !space && is_punctuation(c);
      if (!space && !punct) continue;
    }
    if (at > start) on_word(std::string_view(s + start, at - start));
    if (punct) on_word(std::string_view(s + at, i - at));
    start = i;
  }
  if (n > start) on_word(std::string_view(s + start, n - start));
}

}  // namespace bertgrid::text
