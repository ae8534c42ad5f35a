// Tokenizer; see tokenizer.h.
#include "text/tokenizer.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "text/pre_tokenizer.h"

namespace bertgrid::text {
namespace {

int32_t require_token(const Vocab& vocab, const std::string& token, const std::string& source) {
  int32_t id = vocab.find(token);
  if (id == Vocab::kMissing) throw Error(source + ": missing special token " + token);
  return id;
}

NormalizerOptions normalizer_options(const TokenizerOptions& opts) {
  NormalizerOptions n;
  n.clean_text = true;
  n.handle_chinese_chars = opts.handle_chinese_chars;
  n.strip_accents = opts.strip_accents;
  n.lowercase = opts.lowercase;
  return n;
}

bool read_bool(const nlohmann::json& config, const char* key, bool fallback,
               const std::string& path) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    throw Error(path + ": key '" + key + "' must be true, false or null, got " + it->dump());
  return it->get<bool>();
}

// The options a tokenizer_config.json asks for (HF BertTokenizer defaults where keys are absent).
TokenizerOptions read_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
  if (!config.is_object()) throw Error(path + ": expected a JSON object");
  TokenizerOptions opts;
  opts.lowercase = read_bool(config, "do_lower_case", true, path);
  opts.strip_accents = read_bool(config, "strip_accents", opts.lowercase, path);
  opts.handle_chinese_chars = read_bool(config, "tokenize_chinese_chars", true, path);
  return opts;
}

}  // namespace

Tokenizer Tokenizer::from_vocab_file(const std::string& vocab_path) {
  Vocab vocab = Vocab::from_file(vocab_path);
  TokenizerOptions opts;
  auto config = std::filesystem::path(vocab_path).parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config)) opts = read_config(config.string());
  return Tokenizer(std::move(vocab), opts, vocab_path);
}

Tokenizer::Tokenizer(std::vector<std::string> vocab, TokenizerOptions opts)
    : Tokenizer(Vocab(std::move(vocab)), opts, "vocabulary") {}

Tokenizer::Tokenizer(Vocab vocab, TokenizerOptions opts, const std::string& source)
    : vocab_(std::move(vocab)),
      opts_(opts),
      normalizer_(normalizer_options(opts)),
      wordpiece_(Vocab::kMissing) {
  if (vocab_.size() == 0) throw Error(source + ": empty vocabulary (no tokens)");
  pad_id_ = require_token(vocab_, "[PAD]", source);
  unk_id_ = require_token(vocab_, "[UNK]", source);
  cls_id_ = require_token(vocab_, "[CLS]", source);
  sep_id_ = require_token(vocab_, "[SEP]", source);
  wordpiece_ = WordPiece(unk_id_);
  for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    int32_t id = vocab_.find(t);
    if (id != Vocab::kMissing) specials_.push_back({t, id});
  }
}

void Tokenizer::encode_segment(std::string_view segment, std::string& scratch,
                               std::vector<int32_t>& out) const {
  if (segment.empty()) return;
  normalizer_.normalize(segment, scratch);
  pre_tokenize(scratch, [&](std::string_view word) { wordpiece_.encode_word(vocab_, word, out); });
}

void Tokenizer::encode_pieces(std::string_view text, std::vector<int32_t>& out) const {
  thread_local std::string scratch;
  // Literal special tokens split the raw text first (HF's added vocabulary, not normalized).
  size_t segment_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const void* hit = std::memchr(text.data() + pos, '[', text.size() - pos);
    if (!hit) break;
    pos = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    const Special* best = nullptr;
    for (const Special& s : specials_)
      if (text.compare(pos, s.text.size(), s.text) == 0 &&
          (!best || s.text.size() > best->text.size()))
        best = &s;
    if (!best) {
      ++pos;
      continue;
    }
    encode_segment(text.substr(segment_start, pos - segment_start), scratch, out);
    out.push_back(best->id);
    pos += best->text.size();
    segment_start = pos;
  }
  encode_segment(text.substr(segment_start), scratch, out);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, size_t max_length) const {
  return encode_truncated(text, max_length).ids;
}

Encoding Tokenizer::encode_truncated(std::string_view text, size_t max_length) const {
  if (max_length == 1)
    throw Error("tokenizer: max_length 1 leaves no room for [CLS] and [SEP] (use 0 or >= 2)");
  Encoding out;
  out.ids.reserve(text.size() / 3 + 8);
  out.ids.push_back(cls_id_);
  encode_pieces(text, out.ids);
  if (max_length > 0 && out.ids.size() + 1 > max_length) {
    out.truncated = true;
    out.ids.resize(max_length - 1);
  }
  out.ids.push_back(sep_id_);
  return out;
}

std::vector<std::string> Tokenizer::tokenize(std::string_view text) const {
  std::vector<int32_t> ids;
  encode_pieces(text, ids);
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) tokens.push_back(vocab_.token(id));
  return tokens;
}

}  // namespace bertgrid::text
