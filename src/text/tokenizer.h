// Tokenizer: the BERT uncased WordPiece tokenizer, identical to HuggingFace's (tokenizers'
// BertNormalizer + BertPreTokenizer + WordPiece + BertProcessing): encode() gives
// [CLS] wordpieces [SEP], optionally truncated. Special tokens written literally in the text
// ("[SEP]", "[MASK]", ...) are matched before normalization, as HF's added-token pass does.
// Padding is the batching code's job; pad_id() says which id to pad with. encode() and
// tokenize() are const and safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/normalizer.h"
#include "text/vocab.h"
#include "text/wordpiece.h"

namespace bertgrid::text {

struct TokenizerOptions {
  bool lowercase = true;
  bool strip_accents = true;
  bool handle_chinese_chars = true;
};

// The ids of one text and whether the limit cut any of its wordpieces.
struct Encoding {
  std::vector<int32_t> ids;
  bool truncated = false;
};

class Tokenizer {
 public:
  // Reads vocab.txt and, if a tokenizer_config.json sits beside it, its do_lower_case,
  // strip_accents (null: follows do_lower_case) and tokenize_chinese_chars.
  static Tokenizer from_vocab_file(const std::string& vocab_path);
  // Throws bertgrid::Error if [PAD] [UNK] [CLS] or [SEP] is missing.
  Tokenizer(std::vector<std::string> vocab, TokenizerOptions opts);

  // [CLS] wordpieces [SEP]; max_length 0 = no truncation; else at most max_length ids, the
  // wordpieces truncated so that [SEP] stays last (max_length must then be at least 2).
  std::vector<int32_t> encode(std::string_view text, size_t max_length = 0) const;
  // encode(text, max_length), saying whether the cut dropped wordpieces: the one place that
  // tokenizes and truncates (datasets, the embedder and the command line all come here).
  Encoding encode_truncated(std::string_view text, size_t max_length) const;
  // Appends the wordpiece ids of text (no specials) to out; the allocation-free core of encode().
  void encode_pieces(std::string_view text, std::vector<int32_t>& out) const;
  std::vector<std::string> tokenize(std::string_view text) const;  // wordpieces, no specials

  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  size_t vocab_size() const { return vocab_.size(); }
  const std::string& token(int32_t id) const { return vocab_.token(id); }
  const TokenizerOptions& options() const { return opts_; }

 private:
  struct Special {
    std::string text;
    int32_t id;
  };
  Tokenizer(Vocab vocab, TokenizerOptions opts, const std::string& source);
  void encode_segment(std::string_view segment, std::string& scratch,
                      std::vector<int32_t>& out) const;

  Vocab vocab_;
  TokenizerOptions opts_;
  Normalizer normalizer_;
  WordPiece wordpiece_;
  std::vector<Special> specials_;  // matched literally in the raw text
  int32_t pad_id_ = 0, unk_id_ = 0, cls_id_ = 0, sep_id_ = 0;
};

}  // namespace bertgrid::text
