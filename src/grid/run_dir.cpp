#include "grid/run_dir.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/sha256.h"

namespace bertgrid::grid {
namespace fs = std::filesystem;

std::string config_hash(const RunConfig& cfg) {
  return sha256_hex(cfg.text);
}

void prepare_run_dir(const std::string& dir, const RunConfig& cfg, bool resume, bool force) {
  const std::string saved = dir + "/config.toml";
  if (fs::exists(saved)) {
    if (resume) {
      std::ifstream in(saved, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      const std::string before = sha256_hex(text.str()), now = config_hash(cfg);
      if (before != now)
        throw Error("--resume: " + dir + " was run with a different config (" + saved +
                    " has sha256 " + before.substr(0, 12) + ", " + cfg.source + " has " +
                    now.substr(0, 12) + "); use a new --out, or --force to start over");
      return;
    }
    if (!force)
      throw Error(dir +
                  " already holds a run: use --resume to continue it or --force to replace it");
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().filename() != "embeddings.h5") fs::remove_all(entry.path());
  } else if (fs::exists(dir) && !fs::is_empty(dir) && !force) {
    throw Error(dir + " exists and is not a bertgrid run: choose another --out, or --force");
  }
  fs::create_directories(dir);
  write_file_atomic(saved, cfg.text);
}

void link_shared_embeddings(const std::string& dir, const std::string& shared) {
  const std::string own = dir + "/embeddings.h5";
  if (shared.empty() || !fs::exists(shared) || fs::exists(own)) return;
  std::error_code linked;
  fs::create_hard_link(shared, own, linked);
  if (linked) copy_file_atomic(shared, own);  // another file system: a durable copy
}

}  // namespace bertgrid::grid
