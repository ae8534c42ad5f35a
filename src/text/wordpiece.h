// WordPiece: greedy longest-match-first splitting of one pre-tokenized word into vocabulary ids,
// '##' marking continuation pieces. A word longer than max_chars characters, or one with any
// part that matches nothing, becomes the single unknown token.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "text/vocab.h"

namespace bertgrid::text {

class WordPiece {
 public:
  static constexpr size_t kMaxInputCharsPerWord = 100;

  explicit WordPiece(int32_t unk_id, size_t max_chars = kMaxInputCharsPerWord)
      : unk_id_(unk_id), max_chars_(max_chars) {}
  // Appends the ids of word's pieces in vocab to out.
  void encode_word(const Vocab& vocab, std::string_view word, std::vector<int32_t>& out) const;

 private:
  int32_t unk_id_;
  size_t max_chars_;
};

}  // namespace bertgrid::text
