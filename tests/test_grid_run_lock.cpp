// The run directory's lock (grid/run_lock.h): a live lock is refused naming its holder; a lock
// whose process is gone, another host's lock whose heartbeat stands still, and an earlier start
// of the same Slurm job are taken over; a second run on a locked directory stops at once.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "grid/run_lock.h"
#include "tests/support.h"

namespace bertgrid::testing {
namespace {

using nlohmann::json;

// A lock file as another run would have left it, replaced whole (as a holder's heartbeat is).
void write_lock(const TempDir& dir, const grid::LockHolder& h) {
  const std::string temp =
      dir.write(".bertgrid.lock.next", json{{"host", h.host},
                                            {"pid", h.pid},
                                            {"start_time", h.start_time},
                                            {"slurm_job_id", h.slurm_job_id},
                                            {"slurm_restart_count", h.slurm_restart_count},
                                            {"heartbeat", h.heartbeat}}
                                           .dump());
  fs::rename(temp, dir / ".bertgrid.lock");
}

int64_t lock_pid(const TempDir& dir) {
  return json::parse(read_file(dir / ".bertgrid.lock")).at("pid").get<int64_t>();
}

// The pid of a process that has ended.
int64_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

double seconds_of(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(RunLock, ALiveLockIsRefusedNamingItsHolderAndReleasedAtTheEnd) {
  TempDir dir;
  std::vector<std::string> notes;
  {
    grid::RunLock held(dir.path().string(), 90, notes);
    const std::string err = error_of([&] { grid::RunLock second(dir.path().string(), 90, notes); });
    EXPECT_NE(err.find(" is in use by another bertgrid run (" + grid::this_process().describe()),
              std::string::npos)
        << err;
    EXPECT_EQ(lock_pid(dir), getpid());
  }
  EXPECT_TRUE(notes.empty());
  EXPECT_FALSE(fs::exists(dir / ".bertgrid.lock"));
}

TEST(RunLock, ALockWhoseProcessIsGoneIsTakenOver) {
  TempDir dir;
  auto gone = grid::this_process();
  gone.pid = dead_pid();
  write_lock(dir, gone);
  std::vector<std::string> notes;
  grid::RunLock lock(dir.path().string(), 90, notes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "took over the stale lock " + (dir / ".bertgrid.lock") + ": pid " +
                          std::to_string(gone.pid) + " is gone");
  EXPECT_EQ(lock_pid(dir), getpid());
}

TEST(RunLock, AnotherHostsLockIsStaleOnlyWhenItsHeartbeatStandsStill) {
  TempDir dir;
  grid::LockHolder other{"elsewhere", 4242, 7, "", 0, 3};
  // A live holder: its heartbeat moves while we watch.
  write_lock(dir, other);
  std::atomic<bool> stop{false};
  std::thread beating([&] {
    for (auto h = other; !stop; std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
      ++h.heartbeat;
      write_lock(dir, h);
    }
  });
  std::vector<std::string> notes;
  const std::string err = error_of([&] { grid::RunLock l(dir.path().string(), 2, notes); });
  stop = true;
  beating.join();
  EXPECT_NE(err.find("in use by another bertgrid run (host elsewhere, pid 4242"), std::string::npos)
      << err;
  // A holder whose heartbeat stands still for stale_after seconds of this host's clock.
  write_lock(dir, other);
  const double waited = seconds_of([&] { grid::RunLock l(dir.path().string(), 1, notes); });
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("its heartbeat has not changed in 1 s"), std::string::npos) << notes[0];
  EXPECT_GE(waited, 1.0);
}

TEST(RunLock, ARequeuedSlurmJobTakesOverItsEarlierStartAtOnce) {
  TempDir dir;
  write_lock(dir, {"elsewhere", 4242, 7, "777", 1, 3});
  setenv("SLURM_JOB_ID", "777", 1);
  setenv("SLURM_RESTART_COUNT", "2", 1);
  std::vector<std::string> notes;
  const double took = seconds_of([&] { grid::RunLock lock(dir.path().string(), 60, notes); });
  unsetenv("SLURM_JOB_ID");
  unsetenv("SLURM_RESTART_COUNT");
  EXPECT_LT(took, 5.0);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("an earlier start of Slurm job 777 (restart 1, now 2)"),
            std::string::npos)
      << notes[0];
}

// Two runs at once: the second stops in its run-directory stage, naming the first, and changes
// nothing.
TEST(RunLock, ASecondRunOnALockedDirectoryStopsAtOnce) {
  TempDir dir;
  const std::string run = dir / "run";
  fs::create_directories(run);
  std::vector<std::string> notes;
  grid::RunLock held(run, 90, notes);
  const auto r = run_mpi(
      dir, 2,
      "run --config " + std::string(BERTGRID_SOURCE_DIR) + "/tests/configs/tiny.toml --out " + run);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("run directory: " + run + " is in use by another bertgrid run (host "),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(run + "/config.toml"));
  EXPECT_EQ(json::parse(read_file(run + "/.bertgrid.lock")).at("pid").get<int64_t>(), getpid());
}

// --force on a directory is refused while one of its shards is running, and nothing changes;
// once that shard has ended, its lock and a dead shard's are taken.
TEST(RunLock, ForceWaitsForEveryLiveShardLock) {
  TempDir dir;
  const std::string run = dir / "run", live = run + "/shard-0-of-2";
  fs::create_directories(live);
  std::vector<std::string> notes;
  {
    grid::RunLock held(live, 90, notes);
    const auto r = run_mpi(dir, 1,
                           "run --force --config " + std::string(BERTGRID_SOURCE_DIR) +
                               "/tests/configs/tiny.toml --out " + run);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find(live + " is in use by another bertgrid run"), std::string::npos) << r.err;
    EXPECT_EQ(json::parse(read_file(live + "/.bertgrid.lock")).at("pid").get<int64_t>(), getpid());
    EXPECT_FALSE(fs::exists(run + "/config.toml"));
  }
  grid::LockHolder gone = grid::this_process();
  gone.pid = dead_pid();
  dir.write("run/shard-1-of-2/.bertgrid.lock", json{{"host", gone.host},
                                                    {"pid", gone.pid},
                                                    {"start_time", gone.start_time},
                                                    {"slurm_job_id", ""},
                                                    {"slurm_restart_count", 0},
                                                    {"heartbeat", 0}}
                                                   .dump());
  const auto taken = grid::lock_shard_folders(run, 90, notes);
  EXPECT_EQ(taken.size(), 2u);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(
      notes[0].find("shard-1-of-2/.bertgrid.lock: pid " + std::to_string(gone.pid) + " is gone"),
      std::string::npos)
      << notes[0];
}

}  // namespace
}  // namespace bertgrid::testing
