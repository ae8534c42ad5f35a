// Helpers shared by the tests: the one temporary folder (TempDir) and file reader (read_file),
// paths into ../shared, and running the bertgrid binary as a user would.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "core/file_read.h"

namespace bertgrid::testing {

namespace fs = std::filesystem;

// The message of the bertgrid::Error that `f` throws, "" when it throws none.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "bertgrid_test_XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  // How many files and folders the folder holds (temp files left behind count too).
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path_), {}));
  }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }
  // Writes `bytes` to path()/rel (creating folders) and returns the full path.
  std::string write(const std::string& rel, const std::string& bytes) const {
    const fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

 private:
  fs::path path_;
};

// The whole file, as bertgrid itself reads files (core/file_read.h): errors name the path.
using bertgrid::read_file;

// A path under the shared folder (data/, golden/).
inline std::string shared_path(const std::string& rel) {
  return std::string(BERTGRID_SHARED_DIR) + "/" + rel;
}

struct CommandResult {
  int status = -1;  // exit status; -1 when killed by a signal
  std::string out, err;
};

// Runs `bertgrid ARGS` with `input` on stdin, capturing stdout and stderr into `dir`.
inline CommandResult run_bertgrid(const TempDir& dir, const std::string& args,
                                  const std::string& input = "") {
  const std::string in = dir.write(".cmd_in", input);
  const std::string out = dir / ".cmd_out", err = dir / ".cmd_err";
  const std::string cmd =
      std::string(BERTGRID_BINARY) + " " + args + " < " + in + " > " + out + " 2> " + err;
  const int raw = std::system(cmd.c_str());
  CommandResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

// The shell command `mpirun -np NP --oversubscribe bertgrid ARGS` under `timeout 120` (so a hang
// fails instead of blocking), without the Open MPI variables of this (singleton) test process and
// with the two that let root run it.
inline std::string mpi_command(int np, const std::string& args) {
  // BERTGRID_DATA (set by `make test`) would override the configs' own data.dir.
  return "for v in $(env | grep -E -o '^(OMPI|PMIX|OPAL)_[A-Za-z0-9_]*'); do unset $v; done; "
         "unset BERTGRID_DATA; "
         "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 mpirun -np " +
         std::to_string(np) + " --oversubscribe " + std::string(BERTGRID_BINARY) + " " + args;
}

// Runs the shell command `cmd` with no stdin, capturing stdout and stderr into `dir`.
inline CommandResult run_shell(const TempDir& dir, const std::string& cmd) {
  const std::string out = dir / ".mpi_out", err = dir / ".mpi_err";
  const int raw = std::system(("(" + cmd + ") < /dev/null > " + out + " 2> " + err).c_str());
  CommandResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

// Runs mpi_command(np, args), capturing stdout and stderr into `dir`.
inline CommandResult run_mpi(const TempDir& dir, int np, const std::string& args) {
  return run_shell(dir, mpi_command(np, args));
}

}  // namespace bertgrid::testing
