// One run per directory, on any file system: DIR/.bertgrid.lock. flock can be node-local without
// any error (Lustre's localflock, NFS mounted with nolock), so the lock is a file created with
// O_CREAT|O_EXCL, which is atomic on NFSv3+ and Lustre. It records the holder (host, pid, the
// process's start time, SLURM_JOB_ID and SLURM_RESTART_COUNT) and a heartbeat counter that the
// holder refreshes every 15 s (from the watchdog's thread, whatever the run is doing).
//
// A lock is stale, and taken over with a message (renamed aside, then created again), when:
//   - it is on this host and its pid is gone, or is another process (another start time);
//   - it is held by an earlier start of this Slurm job (same SLURM_JOB_ID, lower restart count:
//     a requeue after a node failure), at once;
//   - it is on another host and its heartbeat does not change for `stale_after` seconds of this
//     host's clock (watched; clocks of two nodes are never compared).
// Otherwise it is live, and refused naming the holder.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bertgrid::grid {

// Who holds a lock, as its file says.
struct LockHolder {
  std::string host;
  int64_t pid = 0;
  int64_t start_time = 0;  // the process's start, clock ticks since the host's boot
  std::string slurm_job_id;
  int64_t slurm_restart_count = 0;
  int64_t heartbeat = 0;
  std::string describe() const;  // "host h, pid 12 (started at tick 345), Slurm job 7"
};

// This process as a lock holder (heartbeat 0).
LockHolder this_process();

class RunLock {
 public:
  // Takes the lock of `dir` (which must exist), taking over a stale one (each takeover is added
  // to `notes`). Throws bertgrid::Error naming the holder of a live lock, or the file.
  RunLock(const std::string& dir, double stale_after, std::vector<std::string>& notes);
  // Removes the lock file if it is still this process's.
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  // Refreshes the heartbeat when 15 s have passed since the last one (call often). Warns once
  // and stops refreshing if another run has taken the lock over.
  void refresh_if_due();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  LockHolder me_;
  std::mutex mutex_;
  double last_beat_ = 0;
  bool lost_ = false;
};

// The locks of `dir`'s shard folders (shard-K-of-N), taken for `--force` on `dir`: throws, naming
// the holder, while any of them is live. Held while the folders are removed.
std::vector<std::unique_ptr<RunLock>> lock_shard_folders(const std::string& dir, double stale_after,
                                                         std::vector<std::string>& notes);

}  // namespace bertgrid::grid
