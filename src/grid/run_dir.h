// The run directory: its creation rules (an existing run is continued only with --resume and an
// unchanged config, replaced only with --force), the names bertgrid owns there, the saved config,
// and a shard's shared embeddings. (What rank 0 writes at the end is in grid/results.h.)
//
// A run directory holds bertgrid's names only, plus whatever the user keeps beside them:
//   config.toml, inputs.json, results.*, history.csv, manifest.json, jobs/, heartbeat/,
//   shard-K-of-N/, embeddings.h5, report.md and its figures (analysis/report.py), the lock, the
//   marker, and the atomic writer's temporary files of these (".NAME.tmp.*").
// The marker (.bertgrid-run) is written when a run is created. `--force` removes only bertgrid's
// names (embeddings.h5 stays, a cache the fingerprint check may reuse) and keeps everything else.
// A directory without the marker is taken only when every entry is bertgrid's (runs made before
// the marker, a pre-seeded embeddings.h5); otherwise it is refused, even with --force, and nothing
// in it is touched. (--resume of a run made before the marker removes nothing, and is taken.)
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace bertgrid::grid {

constexpr const char* kRunMarker = ".bertgrid-run";
constexpr const char* kRunLock = ".bertgrid.lock";

std::string config_hash(const RunConfig& cfg);  // SHA-256 of the config file's bytes

// Whether `name` (one entry of a run directory) is one that bertgrid or its report makes.
bool is_bertgrid_name(const std::string& name);
// Whether `name` is a shard's folder, shard-K-of-N (see shard_dir_name in grid/plan.h).
bool is_shard_folder_name(const std::string& name);

// The entries of `dir` that are not bertgrid's, sorted (none when `dir` does not exist).
std::vector<std::string> foreign_entries(const std::string& dir);

// Throws when `dir` holds entries that bertgrid did not make and no marker says it is a run
// directory (unless it is a run to resume). Reads only: nothing in `dir` is touched.
void refuse_foreign_dir(const std::string& dir, bool resume);

// Rank 0 only. Creates `dir` (or checks it for --resume; clears bertgrid's names for --force,
// keeping a fingerprinted embeddings.h5 that later runs may reuse), writes the marker and saves
// the config as config.toml. Returns notes for the log: the user's entries that --force kept.
std::vector<std::string> prepare_run_dir(const std::string& dir, const RunConfig& cfg, bool resume,
                                         bool force);

// Rank 0 only. A shard starts from its parent run's embeddings (embed.sbatch): `shared` is hard
// linked (or, across file systems, copied under a temporary name) to dir/embeddings.h5 unless that
// exists; the embedding stage's fingerprint check decides whether they are reused.
void link_shared_embeddings(const std::string& dir, const std::string& shared);

}  // namespace bertgrid::grid
