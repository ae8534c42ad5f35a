// Where a run's model comes from: an HF directory, or a random initialisation of a configured
// architecture (the demo, benchmarks). Every job of one init_seed starts from the same weights.
#pragma once

#include <string>

#include "core/config.h"
#include "model/distilbert.h"
#include "model/distilbert_config.h"

namespace bertgrid::jobs {

// The vocab.txt the run tokenizes with: model.vocab, else model.dir/vocab.txt.
std::string vocab_path(const RunConfig& cfg);

// The architecture: model.dir/config.json, or the config's [model] shape with `vocab_size`.
Architecture model_config(const RunConfig& cfg, int64_t vocab_size);

// A classifier with its initial weights for `init_seed`: loaded (head drawn from the seed when
// the checkpoint has none) or drawn whole. `report` gets loading notes (unused / new tensors).
// The process keeps the last initial weights it made (a CPU copy): the next classifier of the
// same source, architecture and seed (the grid's other fine-tunes) copies them instead of
// drawing or reading them again.
model::DistilBertForSequenceClassification make_classifier(const RunConfig& cfg,
                                                           const model::DistilBertConfig& arch,
                                                           uint64_t init_seed,
                                                           std::string* report = nullptr);

}  // namespace bertgrid::jobs
