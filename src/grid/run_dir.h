// The run directory: its creation rules (an existing run is continued only with --resume and an
// unchanged config, replaced only with --force), the saved config, and a shard's shared
// embeddings. (What rank 0 writes at the end is in grid/results.h.)
#pragma once

#include <string>

#include "core/config.h"

namespace bertgrid::grid {

std::string config_hash(const RunConfig& cfg);  // SHA-256 of the config file's bytes

// Rank 0 only. Creates `dir` (or checks it for --resume; clears it for --force, keeping a
// fingerprinted embeddings.h5 that later runs may reuse) and saves the config as config.toml.
void prepare_run_dir(const std::string& dir, const RunConfig& cfg, bool resume, bool force);

// Rank 0 only. A shard starts from its parent run's embeddings (embed.sbatch): `shared` is hard
// linked (or, across file systems, copied under a temporary name) to dir/embeddings.h5 unless that
// exists; the embedding stage's fingerprint check decides whether they are reused.
void link_shared_embeddings(const std::string& dir, const std::string& shared);

}  // namespace bertgrid::grid
