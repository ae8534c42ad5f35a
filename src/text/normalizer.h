// BertNormalizer, as HF's Rust tokenizers runs it: clean text (drop NUL, U+FFFD and control
// characters, map whitespace to ' '), pad CJK ideographs with spaces, strip accents (NFD, then
// drop nonspacing marks), lowercase (per character, so a final 'Σ' becomes 'σ', not 'ς').
#pragma once

#include <string>
#include <string_view>

namespace bertgrid::text {

struct NormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;
  bool lowercase = true;
};

// Canonical decomposition (NFD) of in into out, as HF's tables know it.
void canonical_decompose(const std::u32string& in, std::u32string& out);
std::string nfd(std::string_view text);  // the same on UTF-8

class Normalizer {
 public:
  explicit Normalizer(NormalizerOptions opts) : opts_(opts) {}
  // Replaces out with the normalized text. ASCII input never reaches utf8proc.
  void normalize(std::string_view text, std::string& out) const;
  std::string normalize(std::string_view text) const;

 private:
  void flush_pending(std::u32string& pending, std::string& out) const;

  NormalizerOptions opts_;
};

}  // namespace bertgrid::text
