// Frozen-encoder sentence embeddings; see embedder.h.
#include "model/embedder.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/sha256.h"
#include "core/torch_compat.h"
#include "model/packing.h"
#include "text/batch_order.h"

namespace bertgrid::model {

TokenizedTexts tokenize_texts(const text::Tokenizer& tokenizer,
                              const std::vector<std::string>& texts, int64_t max_length) {
  if (max_length < 2) {
    throw Error("max_length must be at least 2 ([CLS] and [SEP]), got " +
                std::to_string(max_length));
  }
  TokenizedTexts out;
  out.ids.reserve(texts.size());
  const auto limit = static_cast<size_t>(max_length);
  for (const auto& text : texts) {
    auto encoded = tokenizer.encode_truncated(text, limit);
    out.truncated += encoded.truncated ? 1 : 0;
    out.ids.push_back(std::move(encoded.ids));
  }
  return out;
}

std::vector<std::vector<int64_t>> plan_batches(const std::vector<std::vector<int32_t>>& ids,
                                               const std::vector<int64_t>& rows,
                                               int64_t batch_size) {
  if (batch_size < 1)
    throw Error("batch_size must be at least 1, got " + std::to_string(batch_size));
  std::vector<int64_t> lengths;
  lengths.reserve(rows.size());
  for (int64_t row : rows) {
    if (row < 0 || static_cast<size_t>(row) >= ids.size()) {
      throw Error("embed: row " + std::to_string(row) + " outside 0.." +
                  std::to_string(ids.size()));
    }
    lengths.push_back(static_cast<int64_t>(ids[static_cast<size_t>(row)].size()));
  }
  // length_sorted_order sorts positions in `rows`; ties keep position order, which is row order
  // when rows ascend (as in embed_all and any concatenation of plan batches).
  std::vector<int64_t> sorted = text::length_sorted_order(lengths);
  for (auto& position : sorted) position = rows[static_cast<size_t>(position)];
  return text::make_batches(sorted, batch_size);
}

namespace {

// input_ids and attention_mask [B, T] for ids[batch], padded with pad_id to `width`.
std::pair<torch::Tensor, torch::Tensor> pad_rows(const std::vector<std::vector<int32_t>>& ids,
                                                 const std::vector<int64_t>& batch, int64_t width,
                                                 int64_t pad_id) {
  const auto rows = static_cast<int64_t>(batch.size());
  auto input_ids = torch::full({rows, width}, pad_id, torch::kInt64);
  auto mask = torch::zeros({rows, width}, torch::kInt64);
  int64_t* id_data = input_ids.data_ptr<int64_t>();
  int64_t* mask_data = mask.data_ptr<int64_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const auto& seq = ids[static_cast<size_t>(batch[static_cast<size_t>(r)])];
    for (size_t c = 0; c < seq.size(); ++c) {
      id_data[r * width + static_cast<int64_t>(c)] = seq[c];
      mask_data[r * width + static_cast<int64_t>(c)] = 1;
    }
  }
  return {input_ids, mask};
}

// One batch through the encoder: its hidden states in the padded layout [B, T, dim] and the
// attention mask [B, T] that pooling reads.
struct EncodedBatch {
  std::vector<torch::Tensor> hidden;
  torch::Tensor mask;
};

EncodedBatch encode_batch(DistilBertModel& encoder, const std::vector<std::vector<int32_t>>& ids,
                          const std::vector<int64_t>& batch, int64_t width, bool packed,
                          const EmbedOptions& options) {
  compat::AutocastScope autocast(options.device, options.bf16);
  EncodedBatch out;
  if (packed) {
    const PackedBatch p = pack_sentences(ids, batch, options.pad_id);  // rows of the longest
    const auto states =
        encoder->forward_packed(p.input_ids.to(options.device), p.position_ids.to(options.device),
                                p.segment_ids.to(options.device));
    for (const auto& h : states) out.hidden.push_back(unpack_states(h, p));
    out.mask = p.token_mask.to(options.device);
    return out;
  }
  auto [input_ids, mask] = pad_rows(ids, batch, width, options.pad_id);
  out.mask = mask.to(options.device);
  out.hidden = encoder->forward(input_ids.to(options.device), out.mask);
  return out;
}

}  // namespace

EmbedResult embed_rows(DistilBertModel& encoder, const std::vector<std::vector<int32_t>>& ids,
                       const std::vector<int64_t>& rows, const EmbedOptions& options) {
  if (options.strategies.empty()) throw Error("embed: no strategies requested");
  const int64_t max_positions = encoder->embeddings->max_position_embeddings_;
  int64_t corpus_longest = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto n = static_cast<int64_t>(ids[i].size());
    if (n == 0) throw Error("embed: sequence " + std::to_string(i) + " is empty");
    if (n > max_positions) {
      throw Error("embed: sequence " + std::to_string(i) + " has " + std::to_string(n) +
                  " tokens, more than max_position_embeddings " + std::to_string(max_positions));
    }
    corpus_longest = std::max(corpus_longest, n);
  }
  int64_t corpus_width = options.corpus_length > 0 ? options.corpus_length : corpus_longest;
  if (corpus_width < corpus_longest || corpus_width > max_positions) {
    throw Error("embed: corpus_length " + std::to_string(corpus_width) + " outside " +
                std::to_string(corpus_longest) + ".." + std::to_string(max_positions));
  }

  const auto batches = plan_batches(ids, rows, options.batch_size);
  const bool packed = options.packed && options.pooling == PoolingMode::kMasked &&
                      options.padding == PaddingMode::kDynamic;
  encoder->eval();
  torch::NoGradGuard no_grad;
  std::vector<std::vector<torch::Tensor>> pooled(options.strategies.size());
  std::vector<int64_t> order;  // positions in `rows` of the sorted rows
  std::vector<int64_t> position_of(ids.size(), -1);
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& slot = position_of[static_cast<size_t>(rows[i])];  // rows checked by plan_batches
    if (slot >= 0) throw Error("embed: row " + std::to_string(rows[i]) + " given twice");
    slot = static_cast<int64_t>(i);
  }

  EmbedResult result;
  const auto total = static_cast<int64_t>(batches.size());
  for (const auto& batch : batches) {
    int64_t width = corpus_width;
    if (options.padding == PaddingMode::kDynamic) {
      width = 0;
      for (int64_t row : batch) {
        width = std::max(width, static_cast<int64_t>(ids[static_cast<size_t>(row)].size()));
      }
    }
    const EncodedBatch encoded = encode_batch(encoder, ids, batch, width, packed, options);
    for (size_t s = 0; s < options.strategies.size(); ++s) {
      pooled[s].push_back(pool(encoded.hidden, encoded.mask, options.strategies[s], options.pooling)
                              .to(torch::kCPU, torch::kFloat32));
    }
    for (int64_t row : batch) order.push_back(position_of[static_cast<size_t>(row)]);
    ++result.forwards;
    if (options.progress) options.progress(result.forwards, total);
  }
  const int64_t dim = encoder->embeddings->word_embeddings->weight.size(1);
  for (auto& parts : pooled) {
    torch::Tensor sorted = parts.empty() ? torch::zeros({0, dim}) : torch::cat(parts, 0);
    result.by_strategy.push_back(text::restore_order(sorted, order));
  }
  return result;
}

EmbedResult embed_all(DistilBertModel& encoder, const std::vector<std::vector<int32_t>>& ids,
                      const EmbedOptions& options) {
  std::vector<int64_t> rows(ids.size());
  std::iota(rows.begin(), rows.end(), int64_t{0});
  return embed_rows(encoder, ids, rows, options);
}

std::string random_weights_key(const torch::nn::Module& encoder, const DistilBertConfig& arch,
                               uint64_t seed, int64_t sample) {
  if (sample < 1)
    throw Error("random_weights_key: sample must be at least 1, got " + std::to_string(sample));
  torch::NoGradGuard no_grad;
  Sha256 values;
  for (const auto& p : encoder.named_parameters(/*recurse=*/true)) {
    const auto flat = p.value().detach().reshape({-1});
    const auto head = flat.slice(0, 0, std::min(sample, flat.numel()))
                          .to(torch::kCPU, torch::kFloat32)
                          .contiguous();
    std::string shape;
    for (auto d : p.value().sizes()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    values.update(std::to_string(p.key().size()) + ":" + p.key() + " [" + shape + "] " +
                  std::to_string(head.numel()) + "\n");
    values.update(head.data_ptr<float>(), static_cast<size_t>(head.numel()) * sizeof(float));
  }
  std::string text = "random-init\n";
  text += "seed " + std::to_string(seed) + "\n";
  text += "config " + to_json(arch).dump() + "\n";
  text += "sample " + std::to_string(sample) + " " + values.finish_hex() + "\n";
  return sha256_hex(text);
}

namespace {

// "CLS,LAST_MEAN": the set in kAllStrategies' order.
std::string strategy_set(const std::vector<Strategy>& strategies) {
  std::string out;
  for (Strategy s : kAllStrategies)
    if (std::find(strategies.begin(), strategies.end(), s) != strategies.end())
      out += (out.empty() ? "" : ",") + to_string(s);
  return out;
}

}  // namespace

EmbeddingFingerprint fingerprint_embeddings(const FingerprintInputs& inputs) {
  if (inputs.weights_path.empty() == inputs.weights_key.empty()) {
    throw Error("embedding fingerprint: set exactly one of weights_path ('" + inputs.weights_path +
                "') and weights_key ('" + inputs.weights_key + "')");
  }
  EmbeddingFingerprint fp;
  auto& f = fp.fields;
  f["weights"] = inputs.weights_key.empty() ? "file " + sha256_file_hex(inputs.weights_path)
                                            : "random " + inputs.weights_key;
  f["vocab"] = sha256_file_hex(inputs.vocab_path);
  f["max_length"] = std::to_string(inputs.max_length);
  std::string files, labels;
  for (const auto& [name, path] : inputs.data_files)
    files +=
        "file " + std::to_string(name.size()) + ":" + name + " " + sha256_file_hex(path) + "\n";
  for (const auto& [label, index] : inputs.label_map)
    labels +=
        "label " + std::to_string(label.size()) + ":" + label + " " + std::to_string(index) + "\n";
  f["data_files"] = std::to_string(inputs.data_files.size()) + " files, " + sha256_hex(files);
  f["labels"] = labels;
  f["pooling"] = to_string(inputs.pooling);
  f["padding"] = to_string(inputs.padding);
  f["precision"] = to_string(inputs.precision);
  f["strategies"] = strategy_set(inputs.strategies);
  if (f["strategies"].empty()) throw Error("embedding fingerprint: no strategies");

  std::string text = "bertgrid-embeddings-v2\nweights " + f["weights"] + "\n";
  text += "vocab " + f["vocab"] + "\n";
  text += "max_length " + f["max_length"] + "\n";
  text += files + labels;
  text += "pooling " + f["pooling"] + "\n";
  text += "padding " + f["padding"] + "\n";
  text += "precision " + f["precision"] + "\n";
  if (f["strategies"] != strategy_set({kAllStrategies.begin(), kAllStrategies.end()}))
    text += "strategies " + f["strategies"] + "\n";
  fp.hex = sha256_hex(text);
  return fp;
}

std::string embedding_fingerprint(const FingerprintInputs& inputs) {
  return fingerprint_embeddings(inputs).hex;
}

std::string fingerprint_difference(const std::map<std::string, std::string>& found,
                                   const std::map<std::string, std::string>& wanted,
                                   const std::string& file_label) {
  auto shown = [](const std::map<std::string, std::string>& m, const std::string& key) {
    auto it = m.find(key);
    if (it == m.end()) return std::string("(none)");
    std::string v = it->second;
    for (auto& c : v)
      if (c == '\n') c = ' ';
    while (!v.empty() && v.back() == ' ') v.pop_back();
    return "'" + v + "'";
  };
  std::map<std::string, std::string> keys = found;
  keys.insert(wanted.begin(), wanted.end());
  std::string out;
  for (const auto& [key, unused] : keys) {
    if (shown(found, key) == shown(wanted, key)) continue;
    out += (out.empty() ? "" : "; ") + key + ": " + shown(found, key) + " in " + file_label + ", " +
           shown(wanted, key) + " wanted";
  }
  return out;
}

}  // namespace bertgrid::model
