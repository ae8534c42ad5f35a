#include "grid/run_dir.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"
#include "core/sha256.h"

namespace bertgrid::grid {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMarkerText =
    "A bertgrid run directory. `bertgrid run --force` removes only the files bertgrid made here.\n";

// "a, b, c" (at most `shown` names, then how many more).
std::string listed(const std::vector<std::string>& names, size_t shown = 10) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > shown) out += " and " + std::to_string(names.size() - shown) + " more";
  return out;
}

void check_same_config(const std::string& dir, const RunConfig& cfg) {
  const std::string saved = dir + "/config.toml";
  const std::string before = sha256_hex(read_file(saved)), now = config_hash(cfg);
  if (before != now)
    throw Error("--resume: " + dir + " was run with a different config (" + saved + " has sha256 " +
                before.substr(0, 12) + ", " + cfg.source + " has " + now.substr(0, 12) +
                "); use a new --out, or --force to start over");
}

// --force: removes bertgrid's names but the embeddings cache, the lock and the marker.
void remove_bertgrid_entries(const std::string& dir) {
  const std::set<std::string> kept = {"embeddings.h5", kRunLock, kRunMarker};
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (is_bertgrid_name(name) && kept.count(name) == 0) fs::remove_all(entry.path());
  }
}

}  // namespace

std::string config_hash(const RunConfig& cfg) {
  return sha256_hex(cfg.text);
}

bool is_shard_folder_name(const std::string& name) {
  static const std::regex shard("shard-[0-9]+-of-[0-9]+");
  return std::regex_match(name, shard);
}

bool is_bertgrid_name(const std::string& name) {
  static const std::set<std::string> names = {"config.toml",
                                              "history.csv",
                                              "manifest.json",
                                              "jobs",
                                              "heartbeat",
                                              "embeddings.h5",
                                              "report.md",
                                              "learning_curves.png",
                                              "report.md.tmp",
                                              "inputs.json",
                                              "accuracy_by_config.png",
                                              "confusion_matrices.png",
                                              "embeddings_pca.png",
                                              kRunLock,
                                              kRunMarker};
  if (names.count(name) || name.rfind("results.", 0) == 0 || is_shard_folder_name(name))
    return true;
  // The atomic writer's temporary file for NAME: ".NAME.tmp.<suffix>".
  const auto tmp = name.find(".tmp.");
  return name.size() > 1 && name[0] == '.' && tmp != std::string::npos && tmp > 1 &&
         is_bertgrid_name(name.substr(1, tmp - 1));
}

std::vector<std::string> foreign_entries(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!is_bertgrid_name(name)) out.push_back(name + (entry.is_directory() ? "/" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void refuse_foreign_dir(const std::string& dir, bool resume) {
  const bool has_run = fs::exists(dir + "/config.toml");
  const bool marked = fs::exists(dir + "/" + kRunMarker);
  const auto foreign = foreign_entries(dir);
  if (!marked && !foreign.empty() && !(has_run && resume))
    throw Error(dir + " is not a bertgrid run directory (no " + kRunMarker +
                ") and holds entries bertgrid did not make: " + listed(foreign) +
                "; nothing was changed: choose another --out");
}

std::vector<std::string> prepare_run_dir(const std::string& dir, const RunConfig& cfg, bool resume,
                                         bool force) {
  refuse_foreign_dir(dir, resume);
  const bool has_run = fs::exists(dir + "/config.toml");
  const bool marked = fs::exists(dir + "/" + kRunMarker);
  const auto foreign = foreign_entries(dir);
  if (has_run && resume) {
    check_same_config(dir, cfg);
  } else if (has_run && !force) {
    throw Error(dir + " already holds a run: use --resume to continue it or --force to replace it");
  } else if (has_run) {
    remove_bertgrid_entries(dir);
  }
  fs::create_directories(dir);
  if (!marked) write_file_atomic(dir + "/" + kRunMarker, kMarkerText);
  if (!(has_run && resume)) write_file_atomic(dir + "/config.toml", cfg.text);
  std::vector<std::string> notes;
  if (!foreign.empty() && has_run && force && !resume)
    notes.push_back(dir + ": kept " + std::to_string(foreign.size()) +
                    " entries that bertgrid did not make: " + listed(foreign));
  return notes;
}

void link_shared_embeddings(const std::string& dir, const std::string& shared) {
  const std::string own = dir + "/embeddings.h5";
  if (shared.empty() || !fs::exists(shared) || fs::exists(own)) return;
  std::error_code linked;
  fs::create_hard_link(shared, own, linked);
  if (linked) copy_file_atomic(shared, own);  // another file system: a durable copy
}

}  // namespace bertgrid::grid
