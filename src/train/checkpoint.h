// Trainer checkpoints: the weights (flat buffer), AdamW moments and step, the trainer's position
// (epoch, next batch in the epoch's shuffled order, step), the step history, and the CPU random
// generator's state (dropout), in one safetensors file written atomically. A job resumed from it
// continues exactly where it stopped: the shuffled order is a function of (data_seed, epoch).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "train/trainer.h"

namespace bertgrid::train {

// `job` is stored beside the state (e.g. the job's identity), and given back by load.
void save_checkpoint(const std::string& path, Trainer& trainer, const nlohmann::json& job = {});

// A checkpoint whose bytes are proven damaged: they do not parse as safetensors, a size does not
// fit, or the metadata is not complete. An I/O error or another format version is not this (a
// plain Error): such a file is kept.
class CorruptCheckpoint : public Error {
 public:
  using Error::Error;
};

// Restores `trainer` (built for the same job and model) from `path`; returns the stored `job`.
// Throws CorruptCheckpoint or bertgrid::Error naming the file. The parameters may be overwritten
// before a damaged part is found: after a throw, the model must be built again.
nlohmann::json load_checkpoint(const std::string& path, Trainer& trainer);

}  // namespace bertgrid::train
