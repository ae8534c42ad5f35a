// Liveness of a grid run. Each rank keeps a heartbeat file (RUN_DIR/heartbeat/rank-N: one JSON
// line saying what it is doing) that it refreshes on progress; a thread per rank scans every
// rank's file each second. A rank that is busy and has not moved for stall_timeout seconds has
// stalled (stopped, deadlocked, or waiting on a peer that is): the first rank to see it prints
// which ranks stalled and where, and exits non-zero, which ends the whole MPI job. Ranks that
// are idle (waiting for other groups to finish) refresh their file from the thread.
// Rank 0's thread also prints the run's progress and an ETA every `progress_every` seconds.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace bertgrid::grid {

constexpr int kExitStalled = 4;

struct Beat {
  std::string state = "busy";  // "busy", "idle" (waiting for the others) or "done"
  std::string job;
  int64_t step = 0, total_steps = 0;
  double done_cost = 0, job_cost = 0;  // finished jobs' cost; the current job's
};

class Watchdog {
 public:
  Watchdog(std::string run_dir, int rank, int world_size, double stall_timeout, double total_cost,
           double progress_every = 10);  // total_cost: per rank, summed
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void beat(const Beat& beat);  // progress: refreshes this rank's file

 private:
  void loop();
  void write(const Beat& beat);
  void check();
  void report_progress();

  std::string dir_;
  int rank_, world_size_;
  double stall_timeout_, total_cost_, progress_every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  Beat last_;
  double started_ = 0, last_report_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace bertgrid::grid
