// Where a command's dataset lives: its --data flag, else $BERTGRID_DATA, else the config's
// data.dir (run, train and embed agree on this order).
#pragma once

#include <string>

#include "core/config.h"

namespace bertgrid::cli {

// `flag` is --data's value ("" when not given). Errors name the config when none is set.
std::string resolve_data_dir(const std::string& flag, const RunConfig& cfg);

}  // namespace bertgrid::cli
