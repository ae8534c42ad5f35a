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
#include <functional>
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
  // Starts with the run's cost unknown (no ETA until set_total_cost).
  // Throws bertgrid::Error when this rank's first heartbeat cannot be written.
  Watchdog(std::string run_dir, int rank, int world_size, double stall_timeout,
           double progress_every = 10);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void beat(const Beat& beat);  // progress: refreshes this rank's file
  // Busy in one of the runner's stages (named in place of a job), keeping the finished cost.
  void enter_stage(const std::string& stage);
  void set_total_cost(double total_cost);  // per rank, summed over the jobs left to run
  // Called from the watchdog's thread about once a second, whatever the run is doing (the run
  // directory's lock keeps its heartbeat fresh this way).
  void on_tick(std::function<void()> tick);

 private:
  void loop();
  void write(const Beat& beat);  // throws bertgrid::Error naming the file
  // Warns once instead of throwing: a heartbeat that cannot be written shows as a stall.
  void write_or_warn(const Beat& beat);
  void check();
  void report_progress();

  std::string dir_;
  int rank_, world_size_;
  double stall_timeout_, progress_every_;
  std::atomic<double> total_cost_{0};  // read by the thread
  std::mutex mutex_;
  std::condition_variable wake_;
  Beat last_;
  std::function<void()> tick_;
  double started_ = 0, last_report_ = 0;
  bool stop_ = false;
  bool warned_ = false;  // the first failed heartbeat write is reported, later ones not
  std::thread thread_;
};

}  // namespace bertgrid::grid
