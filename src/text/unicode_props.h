// Character properties exactly as HuggingFace's Rust `tokenizers` BertNormalizer and
// BertPreTokenizer see them: control (dropped by clean-text), whitespace, punctuation, nonspacing
// marks (dropped by strip-accents), CJK ideographs (padded with spaces), lowercase and NFD.
// Built on utf8proc, corrected where HF's own (older) Unicode tables differ; ASCII callers should
// use the byte tables in ascii_class() and never reach utf8proc.
#pragma once

#include <cstdint>
#include <string>

namespace bertgrid::text {

// Classes of an ASCII byte, as bit flags (one table lookup in the hot path).
enum AsciiClass : uint8_t {
  kAsciiControl = 1,     // dropped by clean-text (Cc except \t \n \r)
  kAsciiWhitespace = 2,  // \t \n \v \f \r and space
  kAsciiPunct = 4,       // 33-47, 58-64, 91-96, 123-126
};
namespace detail {
constexpr uint8_t ascii_class_of(int c) {
  uint8_t k = 0;
  if ((c < 32 || c == 127) && c != '\t' && c != '\n' && c != '\r') k |= kAsciiControl;
  if (c == ' ' || (c >= 9 && c <= 13)) k |= kAsciiWhitespace;
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126))
    k |= kAsciiPunct;
  return k;
}
struct AsciiTable {
  uint8_t cls[128];
  constexpr AsciiTable() : cls() {
    for (int c = 0; c < 128; ++c) cls[c] = ascii_class_of(c);
  }
};
inline constexpr AsciiTable kAsciiTable{};
}  // namespace detail

// Class bits of an ASCII byte (0 for bytes >= 0x80).
inline uint8_t ascii_class(unsigned char c) {
  return c < 128 ? detail::kAsciiTable.cls[c] : 0;
}
inline unsigned char ascii_lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + 32) : c;
}

bool is_control(char32_t c);          // HF clean-text drops it (Cc/Cf/Co, not \t \n \r)
bool is_whitespace(char32_t c);       // Rust char::is_whitespace (plus \t \n \r)
bool is_punctuation(char32_t c);      // ASCII punctuation or Unicode P* (HF's table)
bool is_nonspacing_mark(char32_t c);  // Mn (HF's table)
bool is_cjk_ideograph(char32_t c);    // HF's handle_chinese_chars ranges
int combining_class(char32_t c);      // canonical combining class, for NFD reordering

// Appends the full lowercase mapping of c (Rust char::to_lowercase) to out.
void append_lowercase(char32_t c, std::u32string& out);
// Appends the canonical decomposition of c (not yet reordered) to out.
void append_decomposition(char32_t c, std::u32string& out);

// Appends c as UTF-8.
void append_utf8(char32_t c, std::string& out);
// Decodes one UTF-8 code point at s[i], advancing i; malformed bytes decode as U+FFFD (one byte).
char32_t decode_utf8(const char* s, size_t n, size_t& i);

}  // namespace bertgrid::text
