#include "grid/manifest.h"

#include "grid/run_dir.h"
#include "grid/run_lock.h"
#include "grid/versions.h"

namespace bertgrid::grid {
namespace {

// This start of a Slurm job ("" and 0 outside Slurm): slurm/grid.sbatch requeues only on a stop
// that this start recorded, not on an earlier start's manifest.
nlohmann::json slurm_start() {
  const LockHolder me = this_process();
  return {{"job_id", me.slurm_job_id}, {"restart_count", me.slurm_restart_count}};
}

}  // namespace

nlohmann::json run_manifest(const GridOptions& opt, const RunFacts& facts,
                            const std::vector<JobResult>& results) {
  const auto& emb = facts.embeddings;
  nlohmann::json manifest = {{"config", opt.config.source},
                             {"config_hash", config_hash(opt.config)},
                             {"run_dir", opt.run_dir},
                             {"data_dir", opt.data_dir},
                             {"versions", versions_json(library_versions())},
                             {"world_size", facts.world_size},
                             {"ranks_per_job", facts.ranks_per_job},
                             {"threads_per_rank", facts.threads_per_rank},
                             {"device", facts.exec.device.str()},
                             {"precision", to_string(opt.config.run.precision)},
                             {"fused_adamw", facts.exec.fused_adamw},
                             {"async_copies", facts.exec.async_copies},
                             {"cuda_graphs", facts.exec.cuda_graphs},
                             {"pad_to_multiple_of", facts.exec.pad_to_multiple_of},
                             {"packing", to_string(facts.exec.packing)},
                             {"startup",
                              {{"mpi_init_seconds", opt.mpi_init_seconds},
                               {"cuda_init_seconds", facts.cuda_init_seconds}}},
                             {"validation", facts.validation},
                             {"embeddings",
                              {{"path", emb.path},
                               {"fingerprint", emb.fingerprint},
                               {"cache_hit", emb.cache_hit},
                               {"encoder_forwards", emb.forwards},
                               {"seconds", emb.seconds}}},
                             {"shard", {{"index", opt.shard.index}, {"count", opt.shard.count}}},
                             {"seconds", facts.seconds},
                             {"stopped", facts.stopped},
                             {"slurm", slurm_start()},
                             {"warnings", facts.warnings}};
  for (const auto& r : results)
    for (const auto& w : r.warnings) manifest["warnings"].push_back(w);
  nlohmann::json placements = nlohmann::json::array();
  for (const auto& r : results)
    placements.push_back({{"job_id", r.record.job_id},
                          {"status", to_string(r.record.status)},
                          {"placement", r.placement}});
  manifest["jobs"] = placements;
  return manifest;
}

}  // namespace bertgrid::grid
