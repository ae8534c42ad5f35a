// The architecture of a DistilBERT encoder + classification head: the one struct that a run
// config's [model] section, an HF config.json and the model itself share. Field names follow
// HF's DistilBertConfig, so config.json reads straight into it (model/distilbert_config.h). The
// rules are checked in one place, here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/choices.h"

namespace bertgrid {

// distilbert-base-uncased's shape by default.
struct Architecture {
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
  Activation activation = Activation::kGelu;
  bool sinusoidal_pos_embds = false;
  int64_t pad_token_id = 0;
  int64_t num_labels = 2;
};

// The first rule an architecture breaks: the field at fault and what is wrong with it, with the
// values ("(5) must divide dim (768) evenly").
struct ArchitectureFault {
  std::string field;
  std::string problem;
};

// Sizes positive, n_heads dividing dim, dropouts in [0, 1), initializer_range positive,
// pad_token_id inside the vocabulary. nullopt when the architecture is usable.
std::optional<ArchitectureFault> find_fault(const Architecture& arch);

// Throws bertgrid::Error "`where`: FIELD PROBLEM" for the first fault.
void validate(const Architecture& arch, const std::string& where = "config");

}  // namespace bertgrid
