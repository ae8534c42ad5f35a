// DistilBertConfig: the architecture of a DistilBERT encoder + classification head, with the field
// names of HF's DistilBertConfig so an HF config.json reads straight into it; parsing from and
// writing to config.json, and validation with messages that name the values at fault.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace bertgrid::model {

struct DistilBertConfig {
  int64_t vocab_size = 30522;
  int64_t max_position_embeddings = 512;
  int64_t dim = 768;
  int64_t n_layers = 6;
  int64_t n_heads = 12;
  int64_t hidden_dim = 3072;
  double dropout = 0.1;
  double attention_dropout = 0.1;
  double seq_classif_dropout = 0.2;
  double initializer_range = 0.02;
  std::string activation = "gelu";
  bool sinusoidal_pos_embds = false;
  int64_t pad_token_id = 0;
  int64_t num_labels = 2;
};

// Reads the known keys of an HF config.json object (other keys are ignored, as HF writes many
// generic ones). num_labels comes from "num_labels" or else the size of "id2label". A key of the
// wrong type is an error naming `where` and the key. The result is validated.
DistilBertConfig from_json(const nlohmann::json& j, const std::string& where);

// Parses and validates the config.json at `path`; errors name the path.
DistilBertConfig config_from_json_file(const std::string& path);

// An HF-compatible config.json object (model_type "distilbert", architectures
// ["DistilBertForSequenceClassification"], id2label/label2id for num_labels labels).
nlohmann::json to_json(const DistilBertConfig& config);

// Throws bertgrid::Error naming `where`, the field and its value when the config is unusable:
// non-positive sizes, n_heads not dividing dim, dropouts outside [0, 1), unknown activation,
// pad_token_id outside the vocabulary.
void validate(const DistilBertConfig& config, const std::string& where = "config");

}  // namespace bertgrid::model
