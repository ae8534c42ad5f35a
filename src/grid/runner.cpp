#include "grid/runner.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/threads.h"
#include "core/versions.h"
#include "dist/allreduce.h"
#include "dist/collectives.h"
#include "jobs/embedding_stage.h"
#include "jobs/execution_setup.h"
#include "jobs/finetune.h"
#include "grid/plan.h"
#include "jobs/head.h"
#include "io/embeddings_h5.h"
#include "jobs/model_source.h"
#include "grid/run_dir.h"
#include "grid/signals.h"
#include "grid/watchdog.h"

namespace bertgrid::grid {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int default_threads(const dist::World& world) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return std::max(1, static_cast<int>(cores) / std::max(1, world.local_size()));
}

std::unique_ptr<dist::Allreduce> make_reducer(const dist::Group& group, torch::Device device) {
  if (group.size() == 1) return nullptr;
  if (device.is_cuda()) return dist::make_nccl_allreduce(group.comm(), device.index(), nullptr);
  return dist::make_mpi_allreduce(group.comm());
}

// Every rank of the group agrees to stop when any of them got a stop signal.
bool group_stop(const dist::Group& group) {
  const int64_t local = stop_signal_received() ? 1 : 0;
  return group.size() == 1 ? local != 0 : dist::allreduce_max(group.comm(), local) != 0;
}

std::function<void(int64_t, torch::Tensor&)> fault_hook(const std::optional<FaultSpec>& fault,
                                                        const std::string& job_id, int rank) {
  if (!fault || (fault->rank >= 0 && fault->rank != rank) ||
      job_id.find(fault->job) == std::string::npos)
    return nullptr;
  const FaultSpec f = *fault;
  return [f, job_id, rank](int64_t step, torch::Tensor& loss) {
    if (step != f.step) return;
    if (f.kind == "throw")
      throw Error("injected failure on rank " + std::to_string(rank) + " in " + job_id);
    loss = loss * std::numeric_limits<float>::quiet_NaN();
  };
}

std::string jobs_summary(const std::vector<jobs::JobSpec>& jobs, const std::vector<int>& group_of,
                         int ranks_per_job) {
  std::ostringstream out;
  for (size_t i = 0; i < jobs.size(); ++i)
    out << "  " << jobs[i].job_id << " -> group " << group_of[i] << " (ranks "
        << group_of[i] * ranks_per_job << "-" << (group_of[i] + 1) * ranks_per_job - 1 << ")\n";
  return out.str();
}

}  // namespace

FaultSpec parse_fault(const std::string& spec) {
  FaultSpec f;
  std::istringstream parts(spec);
  std::getline(parts, f.kind, ':');
  std::string item;
  while (std::getline(parts, item, ':')) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (key == "rank")
      f.rank = std::stoi(value);
    else if (key == "job")
      f.job = value;
    else if (key == "step")
      f.step = std::stoll(value);
    else
      throw Error("--fault: unknown field '" + key + "' in '" + spec + "'");
  }
  if (f.kind != "throw" && f.kind != "nan")
    throw Error("--fault: kind must be throw or nan, in '" + spec + "'");
  return f;
}

int run_grid(const GridOptions& opt, const dist::World& world) {
  const RunConfig& cfg = opt.config;
  // Start-up first (the CUDA context), timed apart; the run's clock starts after it.
  train::Execution exec;
  double cuda_init_seconds = 0;
  dist::all_or_none(world.comm(), [&] {
    exec = jobs::make_execution(cfg, world.local_rank(), world.local_size(), world.hostname(),
                          &cuda_init_seconds);
  });
  cuda_init_seconds = dist::allreduce_max_seconds(world.comm(), cuda_init_seconds);
  const auto start = std::chrono::steady_clock::now();
  const bool root = world.rank() == 0;
  auto say = [&](const std::string& line) {
    if (root) std::cerr << line << std::endl;
  };

  // The run directory: rank 0 checks and creates it; every rank learns the outcome.
  dist::all_or_none(world.comm(), [&] {
    if (!root) return;
    prepare_run_dir(opt.run_dir, cfg, opt.resume, opt.force);
    // A shard starts from the embeddings of its parent run (embed.sbatch); the stage's
    // fingerprint check decides whether they are reused.
    const std::string own = opt.run_dir + "/embeddings.h5";
    if (!opt.shared_embeddings.empty() && std::filesystem::exists(opt.shared_embeddings) &&
        !std::filesystem::exists(own)) {
      std::error_code linked;
      std::filesystem::create_hard_link(opt.shared_embeddings, own, linked);
      if (linked) {  // another file system: a copy, under a temporary name until complete
        std::filesystem::copy_file(opt.shared_embeddings, own + ".tmp",
                                   std::filesystem::copy_options::overwrite_existing);
        std::filesystem::rename(own + ".tmp", own);
      }
    }
  });
  dist::Group group(world, static_cast<int>(cfg.run.ranks_per_job));
  const int threads = cfg.run.threads_per_rank > 0 ? static_cast<int>(cfg.run.threads_per_rank)
                                                   : default_threads(world);
  const std::string threads_text = set_compute_threads(threads);
  const torch::Device device = exec.device;
  install_stop_handlers();

  const auto jobs = shard_jobs(expand_grid(cfg), opt.shard);
  const auto group_of = assign_groups(jobs, group.count());
  say("bertgrid run: " + cfg.name +
      (opt.shard.count > 1 ? " " + shard_dir_name(opt.shard) : std::string()) + " (" + cfg.source +
      ", sha256 " + config_hash(cfg).substr(0, 12) + ")\n  data " + opt.data_dir + ", model " +
      (cfg.model.init == "random" ? "random init" : cfg.model.dir) + ", device " + device.str() +
      (exec.bf16 ? " (bf16 autocast)" : "") + (exec.fused_adamw ? ", fused AdamW" : "") +
      (exec.cuda_graphs ? ", CUDA graphs" : "") +
      (exec.pad_to_multiple_of > 1
           ? ", padded to multiples of " + std::to_string(exec.pad_to_multiple_of)
           : std::string()) +
      "\n  " + std::to_string(world.size()) + " ranks in " + std::to_string(group.count()) +
      " group(s) of " + std::to_string(group.size()) + ", " + threads_text +
      " thread(s) per rank, " + std::to_string(jobs.size()) + " jobs:\n" +
      jobs_summary(jobs, group_of, group.size()));

  // Data, tokenized on every rank (cheap next to training; no broadcast of ragged ids).
  jobs::PreparedData data;
  dist::all_or_none(world.comm(), [&] {
    const auto tokenizer = text::Tokenizer::from_vocab_file(jobs::vocab_path(cfg));
    const auto arch = jobs::model_config(cfg, static_cast<int64_t>(tokenizer.vocab_size()));
    data = jobs::prepare_data(cfg, opt.data_dir, tokenizer, arch.max_position_embeddings);
  });
  say("  " + std::to_string(data.train.size()) + " train, " + std::to_string(data.test.size()) +
      " test" +
      (data.validation ? ", " + std::to_string(data.validation->size()) + " validation" : "") +
      " sentences; " + std::to_string(data.train.truncated_count() + data.test.truncated_count()) +
      " truncated to " + std::to_string(cfg.data.max_length) + " tokens");

  // Jobs finished by an earlier run of this directory are kept (rank 0 looks, all learn).
  std::string done_mask(jobs.size(), '0');
  std::vector<JobResult> earlier;
  if (root && opt.resume)
    for (size_t i = 0; i < jobs.size(); ++i)
      if (auto r = load_finished_job(opt.run_dir, jobs[i].job_id)) {
        done_mask[i] = '1';
        earlier.push_back(*r);
      }
  done_mask = dist::broadcast_string(world.comm(), done_mask);

  double total_cost = 0;
  for (size_t i = 0; i < jobs.size(); ++i)
    if (done_mask[i] == '0') total_cost += job_cost(jobs[i]) * group.size();
  Watchdog watchdog(opt.run_dir, world.rank(), world.size(), cfg.run.stall_timeout, total_cost);

  // The embedding stage, when any head job is left to run.
  bool need_embeddings = opt.embeddings_only && cfg.embeddings.enabled;
  for (size_t i = 0; i < jobs.size(); ++i)
    need_embeddings |= jobs[i].kind == "head" && done_mask[i] == '0';
  jobs::EmbeddingStageResult emb;
  io::EmbeddingsFile embeddings;
  if (need_embeddings) {
    watchdog.beat({"busy", "embedding stage", 0, 1, 0, 0});
    emb = jobs::run_embedding_stage(cfg, data, opt.data_dir,
                                    {opt.run_dir + "/embeddings.h5", opt.embeddings}, world, exec);
    say(emb.cache_hit ? "  embeddings: reused " + emb.path + " (fingerprint matches)"
                      : "  embeddings: " + std::to_string(emb.forwards) + " encoder forwards in " +
                            std::to_string(emb.seconds) + " s -> " + emb.path);
    if (opt.embeddings_only) return 0;
    dist::all_or_none(world.comm(), [&] { embeddings = io::read_embeddings_h5(emb.path); });
  }

  // This group's jobs, longest first as scheduled.
  auto reducer = make_reducer(group, device);
  std::vector<JobResult> mine;
  bool stopped = false;
  double done_cost = 0;
  for (size_t i = 0; i < jobs.size() && !stopped; ++i) {
    if (group_of[i] != group.index() || done_mask[i] == '1') continue;
    const jobs::JobSpec& spec = jobs[i];
    const auto job_start = std::chrono::steady_clock::now();
    Beat beat{"busy", spec.job_id, 0, 0, done_cost, job_cost(spec)};
    watchdog.beat(beat);
    jobs::JobEnv env;
    env.config = &cfg;
    env.data = &data;
    env.job_dir = opt.run_dir + "/jobs/" + spec.job_id;
    env.write_outputs = group.rank() == 0;
    env.reducer = reducer.get();
    env.group_rank = group.rank();
    env.group_size = group.size();
    env.exec = exec;
    env.resume = opt.resume;
    env.stop_requested = [&] { return group_stop(group); };
    env.fault = fault_hook(opt.fault, spec.job_id, world.rank());
    env.on_step = [&](int64_t step, int64_t total) {
      beat.step = step;
      beat.total_steps = total;
      watchdog.beat(beat);
    };
    if (root)
      env.progress = [](const std::string& line) { std::cerr << "  " << line << std::endl; };
    say("  start " + spec.job_id);

    jobs::JobOutcome outcome;
    try {
      outcome = spec.kind == "finetune" ? jobs::run_finetune(spec, env) : jobs::run_head(spec, env, embeddings);
    } catch (const train::StepFailed& e) {
      // Agreed by the whole group in the step's status all-reduce: record it and go on.
      outcome.record.status = "failed";
      outcome.record.error = e.what();
    } catch (const std::exception& e) {
      if (group.size() > 1) {
        // Peers may be inside a collective of this job: only ending the run is safe.
        std::cerr << "bertgrid: rank " << world.rank() << " (" << world.hostname() << "): job "
                  << spec.job_id << " failed outside a step: " << e.what() << "; ending the run"
                  << std::endl;
        world.abort(1);
      }
      outcome.record.status = "failed";
      outcome.record.error = e.what();
    }
    // Only the rank a step failed on knows why; its peers learnt only that one failed. The group
    // records the cause's own message.
    const auto errors = dist::gather_strings(group.comm(), outcome.record.error);
    if (group.rank() == 0 && outcome.record.status == "failed")
      for (const auto& error : errors)
        if (!error.empty() &&
            error.find("other rank(s) of the group failed") == std::string::npos) {
          outcome.record.error = error;
          break;
        }
    if (outcome.record.status == "failed") {
      outcome.record.job_id = spec.job_id;
      outcome.record.kind = spec.kind;
      outcome.record.strategy = spec.strategy;
      outcome.record.epochs = spec.epochs;
      outcome.record.init_seed = spec.init_seed;
      outcome.record.data_seed = spec.data_seed;
      outcome.record.batch_size = spec.batch_size;
      outcome.record.learning_rate = spec.learning_rate;
      outcome.record.weight_decay = spec.weight_decay;
      outcome.record.warmup_steps = spec.warmup_steps;
      say("  FAILED " + spec.job_id + ": " + outcome.record.error);
    }
    stopped = outcome.stopped;
    done_cost += job_cost(spec) * (stopped ? 0 : 1);

    // Who trained on what: each rank's example count, gathered within the group.
    auto counts = dist::gather_strings(group.comm(), std::to_string(outcome.local_examples));
    if (group.rank() == 0 && !stopped) {
      JobResult r;
      r.record = outcome.record;
      r.history = outcome.history;
      std::vector<int> ranks;
      for (int k = 0; k < group.size(); ++k) ranks.push_back(group.index() * group.size() + k);
      std::vector<int64_t> examples;
      for (const auto& c : counts) examples.push_back(std::stoll(c));
      r.placement = {{"group", group.index()},
                     {"ranks", ranks},
                     {"host", world.hostname()},
                     {"examples_per_rank", examples},
                     {"seconds", seconds_since(job_start)},
                     {"resumed_from_step", outcome.resumed_from_step}};
      mine.push_back(r);
    }
  }
  watchdog.beat({"idle", "", 0, 0, done_cost, 0});

  // Rank 0 gathers every group's results and writes the run's files.
  nlohmann::json mine_json = nlohmann::json::array();
  for (const auto& r : mine) mine_json.push_back(to_json(r));
  const auto gathered =
      dist::gather_strings(world.comm(), group.rank() == 0 ? mine_json.dump() : "");
  const bool any_stopped = dist::allreduce_max(world.comm(), stopped ? 1 : 0) != 0;
  int64_t failed = 0;
  dist::all_or_none(world.comm(), [&] {
    if (!root) return;
    std::map<std::string, JobResult> by_id;
    for (const auto& r : earlier) by_id[r.record.job_id] = r;
    for (const auto& text : gathered)
      if (!text.empty())
        for (const auto& j : nlohmann::json::parse(text)) {
          auto r = job_result_from_json(j);
          by_id[r.record.job_id] = r;
        }
    std::vector<JobResult> results;
    for (const auto& spec : jobs) {
      auto it = by_id.find(spec.job_id);
      if (it != by_id.end()) {
        results.push_back(it->second);
        failed += it->second.record.status != "ok";
      } else {
        JobResult pending;
        pending.record.job_id = spec.job_id;
        pending.record.kind = spec.kind;
        pending.record.strategy = spec.strategy;
        pending.record.epochs = spec.epochs;
        pending.record.status = "pending";
        results.push_back(pending);
      }
    }
    const auto v = library_versions();
    nlohmann::json manifest = {
        {"config", cfg.source},
        {"config_hash", config_hash(cfg)},
        {"run_dir", opt.run_dir},
        {"data_dir", opt.data_dir},
        {"versions",
         {{"bertgrid", v.bertgrid},
          {"libtorch", v.libtorch},
          {"mpi", v.mpi},
          {"hdf5", v.hdf5},
          {"nccl", v.nccl}}},
        {"world_size", world.size()},
        {"ranks_per_job", group.size()},
        {"threads_per_rank", threads},
        {"device", device.str()},
        {"precision", cfg.run.precision},
        {"fused_adamw", exec.fused_adamw},
        {"async_copies", exec.async_copies},
        {"cuda_graphs", exec.cuda_graphs},
        {"pad_to_multiple_of", exec.pad_to_multiple_of},
        {"startup",
         {{"mpi_init_seconds", opt.mpi_init_seconds}, {"cuda_init_seconds", cuda_init_seconds}}},
        {"validation", data.validation.has_value()},
        {"embeddings",
         {{"path", emb.path},
          {"fingerprint", emb.fingerprint},
          {"cache_hit", emb.cache_hit},
          {"encoder_forwards", emb.forwards},
          {"seconds", emb.seconds}}},
        {"shard", {{"index", opt.shard.index}, {"count", opt.shard.count}}},
        {"seconds", seconds_since(start)},
        {"stopped", any_stopped}};
    nlohmann::json placements = nlohmann::json::array();
    for (const auto& r : results)
      placements.push_back(
          {{"job_id", r.record.job_id}, {"status", r.record.status}, {"placement", r.placement}});
    manifest["jobs"] = placements;
    write_results(opt.run_dir, results, manifest);
    std::cout << results_tables(results) << std::flush;
  });
  failed = dist::allreduce_max(world.comm(), failed);
  say("bertgrid run: " + std::to_string(jobs.size()) + " jobs, " + std::to_string(failed) +
      " not ok, " + std::to_string(seconds_since(start)) + " s (start-up apart: MPI " +
      std::to_string(opt.mpi_init_seconds) + " s, CUDA " + std::to_string(cuda_init_seconds) +
      " s); results in " + opt.run_dir);
  if (any_stopped) return kExitStopped;
  return failed > 0 ? 1 : 0;
}

}  // namespace bertgrid::grid
