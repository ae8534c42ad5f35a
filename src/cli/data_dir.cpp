// The dataset folder of a command; see data_dir.h.
#include "cli/data_dir.h"

#include <cstdlib>

#include "core/error.h"

namespace bertgrid::cli {

std::string resolve_data_dir(const std::string& flag, const RunConfig& cfg) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("BERTGRID_DATA"); env && *env) return env;
  if (cfg.data.dir.empty())
    throw Error(cfg.source + ": no dataset folder: set data.dir, BERTGRID_DATA or --data");
  return cfg.data.dir;
}

}  // namespace bertgrid::cli
