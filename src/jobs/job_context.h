// The process-wide state a job touches, behind one seam: the random generators its dropout draws
// from, the process's compute threads, stop requests (the scheduler's signals), heartbeats and
// progress lines. Whoever runs jobs owns the context (the grid's runner and job loop, `bertgrid
// train`) and sets its hooks; a job reaches that state only through its JobEnv's context. Today a
// process runs one job at a time on the process-wide generators, so the random streams are those
// of `torch::manual_seed(data_seed)` per job; running several jobs in one process means changing
// this class (a generator per context), not the jobs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace bertgrid::jobs {

class JobContext {
 public:
  // Hooks, each may be null: is a stop requested (checked at step boundaries)? a step is done
  // (heartbeats); one line of progress.
  std::function<bool()> stop;
  std::function<void(int64_t step, int64_t total)> heartbeat;
  std::function<void(const std::string& line)> log;

  // Gives the process `threads` compute threads (core/threads.h); returns what it set, for logs.
  std::string use_compute_threads(int threads) const;
  // Seeds the generators a job's dropout draws from: the default CPU generator and, on a GPU, the
  // CUDA ones (torch::manual_seed). A checkpoint restores their state on resume.
  void seed_random(uint64_t seed) const;

  bool stop_requested() const { return stop && stop(); }
  void step_done(int64_t step, int64_t total) const {
    if (heartbeat) heartbeat(step, total);
  }
  void progress(const std::string& line) const {
    if (log) log(line);
  }
};

}  // namespace bertgrid::jobs
