#include "grid/run_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"
#include "grid/run_dir.h"

namespace bertgrid::grid {
namespace fs = std::filesystem;
namespace {

constexpr double kBeatEvery = 15;  // seconds between heartbeats

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

// The file's bytes, or "" when it cannot be read (a lock released meanwhile, a process gone).
std::string read_text(const std::string& path) {
  try {
    return read_file(path);
  } catch (const Error&) {
    return "";
  }
}

// Field 22 of /proc/PID/stat (the start time in clock ticks since boot), or -1 when the process
// does not exist. The command name (field 2) may hold spaces: fields are counted after its ')'.
int64_t process_start_time(int64_t pid) {
  const std::string text = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) return std::atoll(field.c_str());
  return -1;
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string holder_text(const LockHolder& h) {
  return nlohmann::json{{"host", h.host},
                        {"pid", h.pid},
                        {"start_time", h.start_time},
                        {"slurm_job_id", h.slurm_job_id},
                        {"slurm_restart_count", h.slurm_restart_count},
                        {"heartbeat", h.heartbeat}}
             .dump() +
         "\n";
}

// The holder a lock file names, or nullopt when it is not (yet) a complete record.
std::optional<LockHolder> parse_holder(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    return LockHolder{j.at("host"),
                      j.at("pid"),
                      j.at("start_time"),
                      j.at("slurm_job_id"),
                      j.at("slurm_restart_count"),
                      j.at("heartbeat")};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// Creates `path` with O_EXCL holding `text`; false when it exists.
bool create_exclusive(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw Error(path + ": cannot create the run's lock: " + std::strerror(errno));
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw Error(path + ": cannot write the run's lock: " + std::strerror(saved));
  }
  return true;
}

// Whether the lock file's text stays the same for `seconds` (polled each 0.2 s).
bool unchanged_for(const std::string& path, const std::string& text, double seconds) {
  const double until = now_seconds() + seconds;
  while (now_seconds() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (read_text(path) != text) return false;
  }
  return true;
}

// Why the lock in `path` (whose file reads `text`) is stale, or nullopt when it is live.
std::optional<std::string> stale_reason(const std::string& path, const std::string& text,
                                        const LockHolder& me, double stale_after) {
  const auto holder = parse_holder(text);
  if (holder && !holder->slurm_job_id.empty() && holder->slurm_job_id == me.slurm_job_id &&
      holder->slurm_restart_count < me.slurm_restart_count)
    return "an earlier start of Slurm job " + me.slurm_job_id + " (restart " +
           std::to_string(holder->slurm_restart_count) + ", now " +
           std::to_string(me.slurm_restart_count) + ")";
  if (holder && holder->host == me.host) {
    const int64_t started = process_start_time(holder->pid);
    if (started < 0) return "pid " + std::to_string(holder->pid) + " is gone";
    if (started != holder->start_time)
      return "pid " + std::to_string(holder->pid) + " is another process now";
    return std::nullopt;
  }
  std::cerr << "bertgrid: " << path << " is held "
            << (holder ? "on " + holder->host : std::string("(an incomplete record)"))
            << "; watching its heartbeat for up to " << stale_after << " s" << std::endl;
  if (unchanged_for(path, text, stale_after))
    return "its heartbeat has not changed in " + std::to_string(static_cast<int>(stale_after)) +
           " s";
  return std::nullopt;
}

}  // namespace

std::string LockHolder::describe() const {
  return "host " + host + ", pid " + std::to_string(pid) + " (started at tick " +
         std::to_string(start_time) + ")" +
         (slurm_job_id.empty() ? ""
                               : ", Slurm job " + slurm_job_id + " (restart " +
                                     std::to_string(slurm_restart_count) + ")");
}

LockHolder this_process() {
  LockHolder me;
  me.host = host_name();
  me.pid = ::getpid();
  me.start_time = process_start_time(me.pid);
  me.slurm_job_id = env_or_empty("SLURM_JOB_ID");
  me.slurm_restart_count = std::atoll(env_or_empty("SLURM_RESTART_COUNT").c_str());
  return me;
}

RunLock::RunLock(const std::string& dir, double stale_after, std::vector<std::string>& notes)
    : path_(dir + "/" + kRunLock), me_(this_process()), last_beat_(now_seconds()) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (create_exclusive(path_, holder_text(me_))) return;
    const std::string text = read_text(path_);
    const auto reason = stale_reason(path_, text, me_, stale_after);
    if (!reason) {
      // Read again: a lock created a moment ago may have been empty at the first read.
      const auto holder = parse_holder(read_text(path_));
      throw Error(dir + " is in use by another bertgrid run (" +
                  (holder ? holder->describe() : "lock " + path_) +
                  "): wait for it to end, or use another --out");
    }
    // Renamed aside first: of two runs taking it over at once, one rename fails and that run
    // looks again.
    const std::string aside = path_ + ".stale." + std::to_string(me_.pid);
    std::error_code renamed;
    fs::rename(path_, aside, renamed);
    if (renamed) continue;
    fs::remove(aside, renamed);
    notes.push_back("took over the stale lock " + path_ + ": " + *reason);
  }
  throw Error(path_ + ": the lock changed hands while it was taken over; try again");
}

RunLock::~RunLock() {
  std::lock_guard<std::mutex> guard(mutex_);
  if (lost_) return;
  const auto holder = parse_holder(read_text(path_));
  if (holder && holder->host == me_.host && holder->pid == me_.pid) ::unlink(path_.c_str());
}

void RunLock::refresh_if_due() {
  std::lock_guard<std::mutex> guard(mutex_);
  if (lost_ || now_seconds() - last_beat_ < kBeatEvery) return;
  last_beat_ = now_seconds();
  const auto holder = parse_holder(read_text(path_));
  if (!holder || holder->host != me_.host || holder->pid != me_.pid) {
    lost_ = true;
    std::cerr << "bertgrid: warning: " << path_ << " was taken over by another run"
              << (holder ? " (" + holder->describe() + ")" : std::string()) << std::endl;
    return;
  }
  ++me_.heartbeat;
  try {
    replace_file_no_sync(path_, holder_text(me_));
  } catch (const Error& e) {
    std::cerr << "bertgrid: warning: " << e.what() << std::endl;
  }
}

std::vector<std::unique_ptr<RunLock>> lock_shard_folders(const std::string& dir, double stale_after,
                                                         std::vector<std::string>& notes) {
  std::vector<std::unique_ptr<RunLock>> locks;
  if (!fs::is_directory(dir)) return locks;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && is_shard_folder_name(name))
      locks.push_back(std::make_unique<RunLock>(entry.path().string(), stale_after, notes));
  }
  return locks;
}

}  // namespace bertgrid::grid
