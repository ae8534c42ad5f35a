#include "grid/group_jobs.h"

#include <chrono>
#include <iostream>
#include <memory>

#include "dist/allreduce.h"
#include "dist/collectives.h"
#include "grid/fault.h"
#include "grid/plan.h"
#include "grid/signals.h"
#include "jobs/run_job.h"

namespace bertgrid::grid {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
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

// One job's attempt on this rank: its outcome, or its failure and whether the cause was local.
struct Attempt {
  jobs::JobOutcome outcome;
  bool failed = false;
  std::string local_cause;  // this rank's own error ("" when it failed only on other ranks)
  std::string message;      // the error this rank saw
};

Attempt attempt_job(const jobs::JobSpec& spec, const jobs::JobEnv& env, const JobLoopInputs& in,
                    const dist::World& world, const dist::Group& group) {
  Attempt a;
  try {
    a.outcome = jobs::run_job(spec, env, in.embeddings);
  } catch (const train::StepFailed& e) {
    // Agreed by the whole group in the step's status all-reduce: record it and go on.
    a.failed = true;
    a.message = e.what();
    if (e.local()) a.local_cause = e.what();
  } catch (const std::exception& e) {
    if (group.size() > 1) {
      // Peers may be inside a collective of this job: only ending the run is safe.
      std::cerr << "bertgrid: rank " << world.rank() << " (" << world.hostname() << "): job "
                << spec.job_id << " failed outside a step: " << e.what() << "; ending the run"
                << std::endl;
      world.abort(1);
    }
    a.failed = true;
    a.message = a.local_cause = e.what();
  }
  return a;
}

jobs::JobEnv job_env(const jobs::JobSpec& spec, const JobLoopInputs& in, const dist::World& world,
                     const dist::Group& group, dist::Allreduce* reducer,
                     const jobs::JobContext& context) {
  jobs::JobEnv env;
  env.config = &in.options.config;
  env.data = &in.data;
  env.job_dir = in.options.run_dir + "/jobs/" + spec.job_id;
  env.write_outputs = group.rank() == 0;
  env.reducer = reducer;
  env.group_rank = group.rank();
  env.group_size = group.size();
  env.exec = in.exec;
  env.resume = in.options.resume;
  env.context = context;
  env.fault = step_fault_hook(in.options.fault, spec.job_id, world.rank());
  env.checkpoint_fault = checkpoint_fault_hook(in.options.fault, spec.job_id, world.rank());
  return env;
}

// The job's result on the group's first rank: its record (a failed one from the spec, with the
// causes the group gathered) and where it ran.
JobResult group_result(const jobs::JobSpec& spec, const JobLoopInputs& in, const Attempt& a,
                       const std::vector<std::string>& causes,
                       const std::vector<std::string>& examples, const dist::World& world,
                       const dist::Group& group, double seconds) {
  JobResult r;
  r.record = a.outcome.record;
  r.history = a.outcome.history;
  r.warnings = a.outcome.warnings;
  if (a.failed) {
    r.record = jobs::record_header(spec, in.data.train.size());
    r.record.status = JobStatus::kFailed;
    const std::string named = failure_causes(causes, group.index() * group.size());
    r.record.error = named.empty() ? a.message : named;
    if (world.rank() == 0)
      std::cerr << "  FAILED " << spec.job_id << ": " << r.record.error << "\n";
  }
  std::vector<int> ranks;
  for (int k = 0; k < group.size(); ++k) ranks.push_back(group.index() * group.size() + k);
  std::vector<int64_t> counts;
  for (const auto& c : examples) counts.push_back(std::stoll(c));
  r.placement = {{"group", group.index()},
                 {"ranks", ranks},
                 {"host", world.hostname()},
                 {"examples_per_rank", counts},
                 {"seconds", seconds},
                 {"evaluation_seconds", a.outcome.evaluation_seconds},
                 {"outputs_seconds", a.outcome.outputs_seconds},
                 {"resumed_from_step", a.outcome.resumed_from_step}};
  return r;
}

}  // namespace

std::string failure_causes(const std::vector<std::string>& local_causes, int first_world_rank) {
  if (local_causes.size() == 1) return local_causes[0];
  std::string joined;
  for (size_t k = 0; k < local_causes.size(); ++k) {
    if (local_causes[k].empty()) continue;
    if (!joined.empty()) joined += "; ";
    joined +=
        "rank " + std::to_string(first_world_rank + static_cast<int>(k)) + ": " + local_causes[k];
  }
  return joined;
}

GroupJobs run_group_jobs(const JobLoopInputs& in, const dist::World& world,
                         const dist::Group& group, Watchdog& watchdog) {
  auto reducer = make_reducer(group, in.exec.device);
  GroupJobs out;
  // The loop's context: the process's, with the group's stop agreement and this job's heartbeat.
  Beat beat;
  jobs::JobContext context = in.context;
  context.stop = [&group] { return group_stop(group); };
  context.heartbeat = [&](int64_t step, int64_t total) {
    beat.step = step;
    beat.total_steps = total;
    watchdog.beat(beat);
  };
  for (size_t i = 0; i < in.jobs.size() && !out.stopped; ++i) {
    if (in.group_of[i] != group.index() || in.finished[i]) continue;
    const jobs::JobSpec& spec = in.jobs[i];
    const auto job_start = std::chrono::steady_clock::now();
    beat = Beat{"busy", spec.job_id, 0, 0, out.done_cost, job_cost(spec)};
    watchdog.beat(beat);
    const jobs::JobEnv env = job_env(spec, in, world, group, reducer.get(), context);
    if (world.rank() == 0) std::cerr << "  start " << spec.job_id << std::endl;
    Attempt a = attempt_job(spec, env, in, world, group);
    // Only the ranks a step failed on know why: the group gathers each one's own cause.
    const auto causes = dist::gather_strings(group.comm(), a.local_cause);
    out.stopped = a.outcome.stopped;
    out.done_cost += job_cost(spec) * (out.stopped ? 0 : 1);
    // Who trained on what: each rank's example count, gathered within the group.
    const auto examples =
        dist::gather_strings(group.comm(), std::to_string(a.outcome.local_examples));
    if (group.rank() == 0 && !out.stopped)
      out.results.push_back(
          group_result(spec, in, a, causes, examples, world, group, seconds_since(job_start)));
  }
  watchdog.beat({"idle", "", 0, 0, out.done_cost, 0});
  return out;
}

}  // namespace bertgrid::grid
