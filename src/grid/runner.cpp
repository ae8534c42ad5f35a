#include "grid/runner.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "dist/collectives.h"
#include "grid/group_jobs.h"
#include "grid/manifest.h"
#include "grid/results.h"
#include "grid/resume_scan.h"
#include "grid/run_dir.h"
#include "grid/run_inputs.h"
#include "grid/run_lock.h"
#include "grid/signals.h"
#include "grid/stage.h"
#include "grid/watchdog.h"
#include "io/embeddings_h5.h"
#include "jobs/embedding_stage.h"
#include "jobs/execution_setup.h"
#include "jobs/model_source.h"

namespace bertgrid::grid {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Rank 0 alone talks.
void say(const dist::World& world, const std::string& line) {
  if (world.rank() == 0) std::cerr << line << std::endl;
}

// The process as the run needs it: its device (the CUDA context created now, timed apart), its
// compute threads and its stop handlers, and the jobs' context (the process state jobs touch).
struct Startup {
  train::Execution exec;
  jobs::JobContext context;
  double cuda_init_seconds = 0;
  int threads = 1;
  std::string threads_text;
};

int default_threads(const dist::World& world) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return std::max(1, static_cast<int>(cores) / std::max(1, world.local_size()));
}

Startup start_up(const RunConfig& cfg, const dist::World& world, Stages& stages) {
  Startup s;
  stages.on_every_rank("start-up", [&] {
    s.exec = jobs::make_execution(cfg, world.local_rank(), world.local_size(), world.hostname(),
                                  &s.cuda_init_seconds);
    s.threads = cfg.run.threads_per_rank > 0 ? static_cast<int>(cfg.run.threads_per_rank)
                                             : default_threads(world);
    s.threads_text = s.context.use_compute_threads(s.threads);
    if (world.rank() == 0)
      s.context.log = [](const std::string& line) { std::cerr << "  " << line << std::endl; };
    install_stop_handlers();
  });
  s.cuda_init_seconds = dist::allreduce_max_seconds(world.comm(), s.cuda_init_seconds);
  return s;
}

// The run directory, locked before it is checked or changed (a folder of the user's own is
// refused untouched first; --force also needs its shards' locks), prepared, and given a shard's
// shared embeddings. Rank 0 only.
std::unique_ptr<RunLock> take_run_directory(const GridOptions& opt) {
  refuse_foreign_dir(opt.run_dir, opt.resume);
  fs::create_directories(opt.run_dir);
  std::vector<std::string> notes;
  const double stale_after = opt.config.run.lock_stale_after;
  auto lock = std::make_unique<RunLock>(opt.run_dir, stale_after, notes);
  const auto shard_locks = opt.force && !opt.resume
                               ? lock_shard_folders(opt.run_dir, stale_after, notes)
                               : std::vector<std::unique_ptr<RunLock>>{};
  for (const auto& note : prepare_run_dir(opt.run_dir, opt.config, opt.resume, opt.force))
    notes.push_back(note);
  for (const auto& note : notes) std::cerr << "note: " << note << std::endl;
  link_shared_embeddings(opt.run_dir, opt.shared_embeddings);
  return lock;
}

// This run's jobs (this shard's) and the group each runs on.
struct Plan {
  std::vector<jobs::JobSpec> jobs;
  std::vector<int> group_of;
};

std::string plan_text(const Plan& plan, int ranks_per_job) {
  std::ostringstream out;
  for (size_t i = 0; i < plan.jobs.size(); ++i) {
    const int g = plan.group_of[i];
    out << "  " << plan.jobs[i].job_id << " -> group " << g << " (ranks " << g * ranks_per_job
        << "-" << (g + 1) * ranks_per_job - 1 << ")\n";
  }
  return out.str();
}

void say_run(const GridOptions& opt, const Startup& s, const Plan& plan, const dist::World& world,
             const dist::Group& group) {
  const RunConfig& cfg = opt.config;
  const train::Execution& exec = s.exec;
  say(world,
      "bertgrid run: " + cfg.name +
          (opt.shard.count > 1 ? " " + shard_dir_name(opt.shard) : std::string()) + " (" +
          cfg.source + ", sha256 " + config_hash(cfg).substr(0, 12) + ")\n  data " + opt.data_dir +
          ", model " + (cfg.model.init == ModelInit::kRandom ? "random init" : cfg.model.dir) +
          ", device " + exec.device.str() + (exec.bf16 ? " (bf16 autocast)" : "") +
          (exec.fused_adamw ? ", fused AdamW" : "") + (exec.cuda_graphs ? ", CUDA graphs" : "") +
          (exec.pad_to_multiple_of > 1
               ? ", padded to multiples of " + std::to_string(exec.pad_to_multiple_of)
               : std::string()) +
          (exec.packing == Packing::kOff
               ? std::string()
               : (exec.packs_training() ? ", packed batches" : ", packed evaluation batches")) +
          "\n  " + std::to_string(world.size()) + " ranks in " + std::to_string(group.count()) +
          " group(s) of " + std::to_string(group.size()) + ", " + s.threads_text +
          " thread(s) per rank, " + std::to_string(plan.jobs.size()) + " jobs:\n" +
          plan_text(plan, group.size()));
}

// Data, tokenized on every rank (cheap next to training; no broadcast of ragged ids).
jobs::PreparedData prepare(const GridOptions& opt, const dist::World& world, Stages& stages) {
  const RunConfig& cfg = opt.config;
  jobs::PreparedData data;
  stages.on_every_rank("data", [&] {
    const auto tokenizer = text::Tokenizer::from_vocab_file(jobs::vocab_path(cfg));
    const auto arch = jobs::model_config(cfg, static_cast<int64_t>(tokenizer.vocab_size()));
    data = jobs::prepare_data(cfg, opt.data_dir, tokenizer, arch.max_position_embeddings);
  });
  say(world,
      "  " + std::to_string(data.train.size()) + " train, " + std::to_string(data.test.size()) +
          " test" +
          (data.validation ? ", " + std::to_string(data.validation->size()) + " validation" : "") +
          " sentences; " +
          std::to_string(data.train.truncated_count() + data.test.truncated_count()) +
          " truncated to " + std::to_string(cfg.data.max_length) + " tokens");
  return data;
}

// The run's inputs (data, vocab, weights): recorded when the run starts; --resume compares them
// with those recorded and refuses other inputs. Rank 0 only.
void check_run_inputs(const GridOptions& opt, const jobs::PreparedData& data,
                      std::vector<std::string>& warnings) {
  const RunInputs now = digest_inputs(opt.config, data, opt.data_dir);
  const auto recorded = opt.resume ? read_run_inputs(opt.run_dir) : std::nullopt;
  if (recorded) {
    const std::string diff = inputs_difference(*recorded, now);
    if (!diff.empty())
      throw Error("--resume: " + opt.run_dir + " was run on other inputs (" + diff +
                  "); use a new --out, or --force to start over");
    return;
  }
  if (opt.resume && fs::exists(opt.run_dir + "/jobs")) {
    warnings.push_back(opt.run_dir +
                       ": a run made before bertgrid recorded its inputs; resuming without "
                       "checking the data, vocab and weights against it");
    std::cerr << "warning: " << warnings.back() << std::endl;
  }
  write_run_inputs(opt.run_dir, now);
}

// Jobs finished by an earlier run of this directory are kept: rank 0 looks, every rank learns.
ResumeState resume_state(const GridOptions& opt, const Plan& plan, const dist::World& world,
                         Stages& stages) {
  ResumeState state = nothing_finished(plan.jobs.size());
  if (!opt.resume) return state;
  stages.on_root("resume scan", [&] {
    state = scan_finished_jobs(opt.run_dir, plan.jobs);
    for (const auto& w : state.warnings) std::cerr << "warning: " << w << std::endl;
  });
  set_finished_mask(state, dist::broadcast_string(world.comm(), finished_mask(state)));
  return state;
}

// The embedding stage and its file, when a head job is left to run (or the run is only that).
struct Embeddings {
  jobs::EmbeddingStageResult stage;
  io::EmbeddingsFile file;
};

Embeddings embedding_stage(const GridOptions& opt, const Plan& plan, const ResumeState& state,
                           const jobs::PreparedData& data, const train::Execution& exec,
                           const dist::World& world, Stages& stages) {
  bool needed = opt.embeddings_only && opt.config.embeddings.enabled;
  for (size_t i = 0; i < plan.jobs.size(); ++i)
    needed |= plan.jobs[i].kind == JobKind::kHead && !state.finished[i];
  Embeddings e;
  if (!needed) return e;
  stages.on_every_rank("embedding stage", [&] {
    e.stage =
        jobs::run_embedding_stage(opt.config, data, opt.data_dir,
                                  {opt.run_dir + "/embeddings.h5", opt.embeddings}, world, exec);
  });
  say(world, e.stage.cache_hit
                 ? "  embeddings: reused " + e.stage.path + " (fingerprint matches)"
                 : "  embeddings: " + std::to_string(e.stage.forwards) + " encoder forwards in " +
                       std::to_string(e.stage.seconds) + " s -> " + e.stage.path);
  if (!opt.embeddings_only)
    stages.on_every_rank("embedding stage", [&] { e.file = io::read_embeddings_h5(e.stage.path); });
  return e;
}

// Every job of the plan in its order: this run's, an earlier run's, or pending.
std::vector<JobResult> all_results(const Plan& plan, const ResumeState& state,
                                   const std::vector<std::string>& gathered) {
  std::map<std::string, JobResult> by_id;
  for (const auto& r : state.earlier) by_id[r.record.job_id] = r;
  for (const auto& text : gathered)
    if (!text.empty())
      for (const auto& j : nlohmann::json::parse(text)) {
        auto r = job_result_from_json(j);
        by_id[r.record.job_id] = r;
      }
  std::vector<JobResult> results;
  for (const auto& spec : plan.jobs) {
    auto it = by_id.find(spec.job_id);
    results.push_back(it != by_id.end() ? it->second : pending_result(spec));
  }
  return results;
}

// Gathers every group's results to rank 0, which writes the run's files. Returns how many jobs
// are ok, failed and pending (on every rank).
StatusCounts gather_and_write(const GridOptions& opt, const Plan& plan, const ResumeState& state,
                              const GroupJobs& mine, RunFacts& facts, const dist::World& world,
                              const dist::Group& group, Stages& stages) {
  nlohmann::json mine_json = nlohmann::json::array();
  for (const auto& r : mine.results) mine_json.push_back(to_json(r));
  const auto gathered =
      dist::gather_strings(world.comm(), group.rank() == 0 ? mine_json.dump() : "");
  facts.stopped = dist::allreduce_max(world.comm(), mine.stopped ? 1 : 0) != 0;
  StatusCounts counts;
  std::vector<JobResult> results;
  stages.on_root("results", [&] {
    results = all_results(plan, state, gathered);
    counts = count_statuses(results);
    write_results(opt.run_dir, results);
    std::cout << results_tables(results) << std::flush;
  });
  stages.on_root("manifest",
                 [&] { write_manifest(opt.run_dir, run_manifest(opt, facts, results)); });
  counts.ok = dist::allreduce_max(world.comm(), counts.ok);
  counts.failed = dist::allreduce_max(world.comm(), counts.failed);
  counts.pending = dist::allreduce_max(world.comm(), counts.pending);
  return counts;
}

}  // namespace

int run_grid(const GridOptions& opt, const dist::World& world) {
  Stages stages(world, opt.fault);
  const Startup startup = start_up(opt.config, world, stages);
  const auto start = Clock::now();  // the run's clock starts after start-up
  std::unique_ptr<RunLock> lock;    // rank 0's, held to the end of the run
  stages.on_root("run directory", [&] { lock = take_run_directory(opt); });
  std::unique_ptr<Watchdog> watchdog;
  stages.on_every_rank("watchdog", [&] {
    watchdog = std::make_unique<Watchdog>(opt.run_dir, world.rank(), world.size(),
                                          opt.config.run.stall_timeout);
    if (lock) watchdog->on_tick([&lock] { lock->refresh_if_due(); });
  });
  stages.watch(watchdog.get());
  dist::Group group(world, static_cast<int>(opt.config.run.ranks_per_job));
  Plan plan;
  plan.jobs = shard_jobs(expand_grid(opt.config), opt.shard);
  plan.group_of = assign_groups(plan.jobs, group.count());
  say_run(opt, startup, plan, world, group);

  const jobs::PreparedData data = prepare(opt, world, stages);
  std::vector<std::string> warnings;  // rank 0's, for the manifest
  stages.on_root("run inputs", [&] { check_run_inputs(opt, data, warnings); });
  const ResumeState state = resume_state(opt, plan, world, stages);
  double total_cost = 0;
  for (size_t i = 0; i < plan.jobs.size(); ++i)
    if (!state.finished[i]) total_cost += job_cost(plan.jobs[i]) * group.size();
  watchdog->set_total_cost(total_cost);
  const Embeddings emb = embedding_stage(opt, plan, state, data, startup.exec, world, stages);
  if (opt.embeddings_only) return 0;

  const GroupJobs mine = run_group_jobs({opt, plan.jobs, plan.group_of, state.finished, data,
                                         emb.file, startup.exec, startup.context},
                                        world, group, *watchdog);

  RunFacts facts{world.size(),
                 group.size(),
                 startup.threads,
                 startup.exec,
                 startup.cuda_init_seconds,
                 data.validation.has_value(),
                 emb.stage,
                 seconds_since(start),
                 false,
                 warnings};
  for (const auto* more : {&state.warnings, &emb.stage.warnings})
    facts.warnings.insert(facts.warnings.end(), more->begin(), more->end());
  const StatusCounts counts = gather_and_write(opt, plan, state, mine, facts, world, group, stages);
  say(world, "bertgrid run: " + counts_text(counts) + "; " + std::to_string(seconds_since(start)) +
                 " s (start-up apart: MPI " + std::to_string(opt.mpi_init_seconds) + " s, CUDA " +
                 std::to_string(startup.cuda_init_seconds) + " s); results in " + opt.run_dir);
  if (facts.stopped) return kExitStopped;
  return counts.not_ok() > 0 ? 1 : 0;
}

}  // namespace bertgrid::grid
