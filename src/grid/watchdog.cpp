#include "grid/watchdog.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace bertgrid::grid {
namespace fs = std::filesystem;
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string rank_file(const std::string& dir, int rank) {
  return dir + "/rank-" + std::to_string(rank);
}

}  // namespace

Watchdog::Watchdog(std::string run_dir, int rank, int world_size, double stall_timeout,
                   double progress_every)
    : dir_(std::move(run_dir) + "/heartbeat"),
      rank_(rank),
      world_size_(world_size),
      stall_timeout_(stall_timeout),
      progress_every_(progress_every),
      started_(now_seconds()),
      last_report_(started_) {
  fs::create_directories(dir_);
  write(last_);
  thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  Beat done = last_;
  done.state = "done";
  write_or_warn(done);  // a destructor does not throw
}

void Watchdog::beat(const Beat& beat) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_ = beat;
  write_or_warn(beat);
}

void Watchdog::enter_stage(const std::string& stage) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_ = {"busy", stage, 0, 0, last_.done_cost, 0};
  write_or_warn(last_);
}

void Watchdog::on_tick(std::function<void()> tick) {
  std::lock_guard<std::mutex> lock(mutex_);
  tick_ = std::move(tick);
}

void Watchdog::set_total_cost(double total_cost) {
  total_cost_ = total_cost;
}

// One JSON line, replaced by rename so readers never see half of it (no fsync: it is rewritten at
// every step).
void Watchdog::write(const Beat& b) {
  nlohmann::json j = {{"rank", rank_},
                      {"state", b.state},
                      {"job", b.job},
                      {"step", b.step},
                      {"total_steps", b.total_steps},
                      {"done_cost", b.done_cost},
                      {"job_cost", b.job_cost},
                      {"pid", ::getpid()},
                      {"time", now_seconds()}};
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  j["host"] = host;
  replace_file_no_sync(rank_file(dir_, rank_), j.dump() + "\n");
}

void Watchdog::write_or_warn(const Beat& b) {
  try {
    write(b);
  } catch (const Error& e) {
    if (!warned_) std::cerr << "bertgrid: rank " << rank_ << ": warning: " << e.what() << std::endl;
    warned_ = true;
  }
}

void Watchdog::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::seconds(1));
    if (stop_) break;
    if (last_.state != "busy") write_or_warn(last_);  // idle ranks stay fresh
    const auto tick = tick_;
    lock.unlock();
    if (tick) tick();
    check();
    if (rank_ == 0) report_progress();
    lock.lock();
  }
}

void Watchdog::check() {
  const double now = now_seconds();
  std::ostringstream stalled;
  int n_stalled = 0;
  for (int r = 0; r < world_size_; ++r) {
    std::ifstream in(rank_file(dir_, r));
    std::string line;
    if (!std::getline(in, line)) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || j.value("state", "") != "busy") continue;
    const double age = now - j.value("time", now);
    if (age < stall_timeout_) continue;
    ++n_stalled;
    stalled << "\n  rank " << r << " (" << j.value("host", "?") << " pid " << j.value("pid", 0)
            << "): no progress for " << static_cast<int>(age) << " s, in job "
            << j.value("job", "?") << " at step " << j.value("step", 0) << "/"
            << j.value("total_steps", 0);
  }
  if (n_stalled == 0) return;
  std::cerr << "bertgrid: rank " << rank_ << ": stall watchdog (stall_timeout " << stall_timeout_
            << " s): " << n_stalled << " rank(s) stalled:" << stalled.str()
            << "\nbertgrid: aborting the run; `bertgrid run --resume` continues it." << std::endl;
  std::_Exit(kExitStalled);
}

void Watchdog::report_progress() {
  const double now = now_seconds();
  if (now - last_report_ < progress_every_) return;
  last_report_ = now;
  double done = 0;
  std::ostringstream where;
  for (int r = 0; r < world_size_; ++r) {
    std::ifstream in(rank_file(dir_, r));
    std::string line;
    if (!std::getline(in, line)) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    const double total = j.value("total_steps", 0);
    const double frac = total > 0 ? j.value("step", 0) / total : 0.0;
    done += j.value("done_cost", 0.0) +
            (j.value("state", "") == "busy" ? frac * j.value("job_cost", 0.0) : 0.0);
    if (j.value("state", "") == "busy")
      where << " | r" << r << " " << j.value("job", "") << " " << j.value("step", 0) << "/"
            << j.value("total_steps", 0);
  }
  // Every rank of a group reports its group's jobs: total_cost_ counts each job once per rank.
  const double total_cost = total_cost_.load();
  const double fraction = total_cost > 0 ? std::min(1.0, done / total_cost) : 0.0;
  const double elapsed = now - started_;
  std::ostringstream line;
  line << "progress " << static_cast<int>(100 * fraction) << "% after " << static_cast<int>(elapsed)
       << " s";
  if (fraction > 0.02)
    line << ", ETA " << static_cast<int>(elapsed * (1 - fraction) / fraction) << " s";
  std::cerr << line.str() << where.str() << std::endl;
}

}  // namespace bertgrid::grid
