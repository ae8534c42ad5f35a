// Frozen-encoder sentence embeddings: tokenizing a split for the encoder (truncation counted),
// running a DistilBertModel over chosen rows in length-sorted batches (dynamic padding, or the
// notebook's corpus padding) and pooling each batch with the wanted strategies; the batch plan
// shared with the distributed stage; and the cache fingerprint of an embeddings.h5.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/distilbert.h"
#include "model/distilbert_config.h"
#include "model/pooling.h"
#include "text/tokenizer.h"

namespace bertgrid::model {

struct TokenizedTexts {
  std::vector<std::vector<int32_t>> ids;  // [CLS] wordpieces [SEP], at most max_length each
  int64_t truncated = 0;                  // texts that lost wordpieces to the limit
};

// Encodes each text with at most `max_length` ids (>= 2), [SEP] kept last, as
// Tokenizer::encode(text, max_length) does, counting the texts that were cut.
TokenizedTexts tokenize_texts(const text::Tokenizer& tokenizer,
                              const std::vector<std::string>& texts, int64_t max_length);

// The batches the embedder runs: rows sorted longest first (ties in row order), cut into
// batch_size slices. A distributed stage hands whole batches of this plan to ranks; embedding
// the concatenation of any subset of these batches with the same batch_size reproduces them.
std::vector<std::vector<int64_t>> plan_batches(const std::vector<std::vector<int32_t>>& ids,
                                               const std::vector<int64_t>& rows,
                                               int64_t batch_size);

struct EmbedOptions {
  int64_t batch_size = 64;
  std::vector<Strategy> strategies{kAllStrategies.begin(), kAllStrategies.end()};
  PoolingMode pooling = PoolingMode::kMasked;
  PaddingMode padding = PaddingMode::kDynamic;
  // kCorpus pads to this length; 0 = the longest sequence of all of `ids` (not only the rows).
  int64_t corpus_length = 0;
  int64_t pad_id = 0;
  torch::Device device = torch::kCPU;
  bool bf16 = false;  // the encoder under bfloat16 autocast (pooled vectors still float32)
  // Each batch packed (model/packing.h) in rows as long as its longest sentence, when pooling is
  // masked and padding dynamic (elsewhere ignored): only float rounding changes.
  bool packed = false;
  // Called after each batch with (batches done, batches total); may be empty.
  std::function<void(int64_t, int64_t)> progress;
};

struct EmbedResult {
  // One [rows.size(), dim] float32 CPU tensor per options.strategies entry, same order; row i
  // is the embedding of ids[rows[i]].
  std::vector<torch::Tensor> by_strategy;
  int64_t forwards = 0;  // encoder forward passes (batches) run
};

// Runs `encoder` (put in eval mode; no gradients) over ids[rows] in plan_batches order and
// pools. Throws bertgrid::Error for an empty sequence, a sequence longer than the encoder's
// max_position_embeddings, a row out of range or a batch_size < 1.
EmbedResult embed_rows(DistilBertModel& encoder, const std::vector<std::vector<int32_t>>& ids,
                       const std::vector<int64_t>& rows, const EmbedOptions& options);
// All rows, 0..ids.size()-1.
EmbedResult embed_all(DistilBertModel& encoder, const std::vector<std::vector<int32_t>>& ids,
                      const EmbedOptions& options);

// What an embeddings.h5 depends on; equal fingerprints mean a cached file can be reused.
struct FingerprintInputs {
  // The encoder's weights, exactly one of: a checkpoint file (model.safetensors, hashed whole),
  // or the key of a random initialisation (random_weights_key).
  std::string weights_path;
  std::string weights_key;
  std::string vocab_path;
  int64_t max_length = 512;
  // Every data file read (text files and the annotations csv): a stable name and its path.
  std::vector<std::pair<std::string, std::string>> data_files;
  std::vector<std::pair<std::string, int>> label_map;
  PoolingMode pooling = PoolingMode::kMasked;
  PaddingMode padding = PaddingMode::kDynamic;
  Precision precision = Precision::kFp32;
  // The strategies the file holds (any order; duplicates ignored).
  std::vector<Strategy> strategies{kAllStrategies.begin(), kAllStrategies.end()};
};

// A fingerprint and its inputs field by field, so that two files' difference can be named:
// weights, vocab, max_length, data_files (how many, and one SHA-256 over their names and
// digests), labels, pooling, padding, precision, strategies.
struct EmbeddingFingerprint {
  std::string hex;
  std::map<std::string, std::string> fields;
};

// What determines a randomly initialised encoder, without saving or hashing all of it: the
// init seed, the architecture (its config.json text) and the SHA-256 of every parameter's name,
// shape and first `sample` values (float32, in registration order), so that a libtorch whose
// generator draws other values gives another key. Hex SHA-256 of that text.
std::string random_weights_key(const torch::nn::Module& encoder, const DistilBertConfig& arch,
                               uint64_t seed, int64_t sample = 4096);

// SHA-256 hex over a canonical text of the inputs ("bertgrid-embeddings-v2"): the weights
// (the file's SHA-256, or the random-initialisation key), the vocab's SHA-256, max_length, each
// data file's name and SHA-256 (in the given order), the label map, pooling, padding and
// precision, and the strategy set when it is not all five (so files written before the set
// counted keep their fingerprint). Errors name an unreadable file, or say that neither or both
// weights fields are set.
EmbeddingFingerprint fingerprint_embeddings(const FingerprintInputs& inputs);
std::string embedding_fingerprint(const FingerprintInputs& inputs);  // fingerprint_embeddings().hex

// The fields in which `found` (a file's) and `wanted` differ, as "max_length: 64 in FILE_LABEL,
// 48 wanted; ..."; empty when they agree.
std::string fingerprint_difference(const std::map<std::string, std::string>& found,
                                   const std::map<std::string, std::string>& wanted,
                                   const std::string& file_label);

}  // namespace bertgrid::model
