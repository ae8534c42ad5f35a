// The tiny test grid (tests/configs/tiny.toml) with its paths pointed at ../shared, its data
// read and tokenized once per test binary.
#pragma once

#include "core/config.h"
#include "jobs/data.h"
#include "jobs/job.h"
#include "jobs/model_source.h"
#include "tests/support.h"

namespace bertgrid::testing {

inline RunConfig tiny_config() {
  RunConfig cfg = load_run_config(std::string(BERTGRID_SOURCE_DIR) + "/tests/configs/tiny.toml");
  cfg.data.dir = shared_path("data/hate-speech-dataset");
  cfg.model.vocab = shared_path("data/bert-base-uncased-vocab/vocab.txt");
  return cfg;
}

inline const text::Tokenizer& real_tokenizer() {
  static const auto tok =
      text::Tokenizer::from_vocab_file(shared_path("data/bert-base-uncased-vocab/vocab.txt"));
  return tok;
}

inline jobs::PreparedData tiny_data(const RunConfig& cfg) {
  return jobs::prepare_data(cfg, cfg.data.dir, real_tokenizer(),
                            cfg.model.arch.max_position_embeddings);
}

// A job env writing into `dir`, single rank, CPU.
inline jobs::JobEnv tiny_env(const RunConfig& cfg, const jobs::PreparedData& data,
                             const std::string& dir) {
  jobs::JobEnv env;
  env.config = &cfg;
  env.data = &data;
  env.job_dir = dir;
  return env;
}

}  // namespace bertgrid::testing
