// WordPiece; see wordpiece.h.
#include "text/wordpiece.h"

namespace bertgrid::text {
namespace {

bool is_continuation_byte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

size_t count_chars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += !is_continuation_byte(c);
  return n;
}

}  // namespace

void WordPiece::encode_word(const Vocab& vocab, std::string_view word,
                            std::vector<int32_t>& out) const {
  // Bytes >= chars, so a short word needs no character count.
  if (word.size() > max_chars_ && count_chars(word) > max_chars_) {
    out.push_back(unk_id_);
    return;
  }
  const size_t mark = out.size();
  size_t start = 0;
  while (start < word.size()) {
    const size_t limit = start == 0 ? vocab.max_whole_bytes() : vocab.max_continuation_bytes();
    size_t end = word.size() - start > limit ? start + limit : word.size();
    // Back off to a character boundary.
    while (end > start && end < word.size() && is_continuation_byte(word[end])) --end;
    int32_t id = Vocab::kMissing;
    while (end > start) {
      std::string_view piece = word.substr(start, end - start);
      id = start == 0 ? vocab.find(piece) : vocab.find_continuation(piece);
      if (id != Vocab::kMissing) break;
      do --end;
      while (end > start && is_continuation_byte(word[end]));
    }
    if (id == Vocab::kMissing) {
      out.resize(mark);
      out.push_back(unk_id_);
      return;
    }
    out.push_back(id);
    start = end;
  }
}

}  // namespace bertgrid::text
