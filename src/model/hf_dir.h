// HF model directories: load a DistilBertForSequenceClassification from
// config.json + model.safetensors (HF tensor names, with or without the
// "distilbert." prefix), and save one in the layout HF's from_pretrained reads
// (config.json, model.safetensors, vocab.txt, tokenizer_config.json), each file
// written atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/distilbert.h"
#include "model/distilbert_config.h"

namespace bertgrid::model {

struct LoadedModel {
  DistilBertConfig config;
  DistilBertForSequenceClassification model{nullptr};  // in eval() mode
  // Tensors in the file the model has no place for, e.g. a base checkpoint's
  // MLM head (vocab_transform.*, vocab_layer_norm.*, vocab_projector.*).
  // Sorted.
  std::vector<std::string> unused;
  // Head parameters absent from the file (a base checkpoint), initialised from
  // init_seed as HF does; a head module (pre_classifier, classifier) with any
  // tensor missing is drawn and reported whole. Sorted.
  std::vector<std::string> newly_initialised;
};

// Loads `dir`. config.json is validated; model.safetensors tensor names map one
// to one onto the modules, either as "distilbert.embeddings..." or as bare
// base-model names "embeddings..."; F16/BF16/F64 tensors are converted to
// float32. Errors (bertgrid::Error) name the file and tensor: a missing encoder
// tensor, a shape mismatch (both shapes), an integer dtype, a directory with
// only pytorch_model.bin (with how to convert it).
LoadedModel load_pretrained(const std::string& dir, uint64_t init_seed);

// Writes config.json (to_json(config)), model.safetensors (every parameter
// under its HF name, as contiguous CPU float32), vocab.txt (a copy of
// vocab_path) and tokenizer_config.json (DistilBertTokenizer, lower case,
// model_max_length 512) into `dir`, creating it. Each file is written
// atomically and durably (core/atomic_file.h).
void save_pretrained(const std::string& dir, DistilBertForSequenceClassification& model,
                     const DistilBertConfig& config, const std::string& vocab_path);

}  // namespace bertgrid::model
