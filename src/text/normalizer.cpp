// BertNormalizer; see normalizer.h.
#include "text/normalizer.h"

#include <algorithm>

#include "text/unicode_props.h"

namespace bertgrid::text {

void canonical_decompose(const std::u32string& in, std::u32string& out) {
  out.clear();
  for (char32_t c : in) append_decomposition(c, out);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  size_t i = 0;
  while (i < out.size()) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    std::stable_sort(out.begin() + i, out.begin() + j, [](char32_t a, char32_t b) {
      return combining_class(a) < combining_class(b);
    });
    i = j;
  }
}

std::string nfd(std::string_view text) {
  std::u32string chars, decomposed;
  for (size_t i = 0; i < text.size();) chars.push_back(decode_utf8(text.data(), text.size(), i));
  canonical_decompose(chars, decomposed);
  std::string out;
  for (char32_t c : decomposed) append_utf8(c, out);
  return out;
}

// Non-ASCII code points wait in `pending` (already cleaned and CJK-padded) until the next
// surviving ASCII character, a starter, ends the run: NFD's canonical reordering can then see the
// whole run of combining marks, including marks that a dropped control character separated.
void Normalizer::flush_pending(std::u32string& pending, std::string& out) const {
  if (pending.empty()) return;
  std::u32string decomposed;
  const std::u32string* chars = &pending;
  if (opts_.strip_accents) {
    canonical_decompose(pending, decomposed);
    decomposed.erase(std::remove_if(decomposed.begin(), decomposed.end(), is_nonspacing_mark),
                     decomposed.end());
    chars = &decomposed;
  }
  if (opts_.lowercase) {
    std::u32string lowered;
    for (char32_t c : *chars) append_lowercase(c, lowered);
    for (char32_t c : lowered) append_utf8(c, out);
  } else {
    for (char32_t c : *chars) append_utf8(c, out);
  }
  pending.clear();
}

void Normalizer::normalize(std::string_view text, std::string& out) const {
  out.clear();
  out.reserve(text.size() + 8);
  std::u32string pending;
  const char* s = text.data();
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      uint8_t cls = ascii_class(b);
      if (opts_.clean_text && (cls & kAsciiControl)) continue;
      if (!pending.empty()) flush_pending(pending, out);
      if (opts_.clean_text && (cls & kAsciiWhitespace)) {
        out.push_back(' ');
      } else {
        out.push_back(static_cast<char>(opts_.lowercase ? ascii_lower(b) : b));
      }
      continue;
    }
    char32_t c = decode_utf8(s, n, i);
    if (opts_.clean_text) {
      if (c == 0xFFFD || is_control(c)) continue;
      if (is_whitespace(c)) {
        pending.push_back(' ');
        continue;
      }
    }
    if (opts_.handle_chinese_chars && is_cjk_ideograph(c)) {
      pending.push_back(' ');
      pending.push_back(c);
      pending.push_back(' ');
    } else {
      pending.push_back(c);
    }
  }
  flush_pending(pending, out);
}

std::string Normalizer::normalize(std::string_view text) const {
  std::string out;
  normalize(text, out);
  return out;
}

}  // namespace bertgrid::text
