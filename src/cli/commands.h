// The bertgrid subcommands. Each takes the full argv and the index of its first own argument,
// and returns the process exit status.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace bertgrid::cli {

using CommandFn = int (*)(int argc, char** argv, int first);

struct Command {
  const char* name;
  const char* summary;
  CommandFn run;
};

int cmd_tokenize(int argc, char** argv, int first);
int cmd_replay(int argc, char** argv, int first);
int cmd_train(int argc, char** argv, int first);
int cmd_run(int argc, char** argv, int first);
int cmd_merge(int argc, char** argv, int first);

class Args;
// The dataset folder: --data, else $BERTGRID_DATA, else the config's data.dir.
std::string resolve_data_dir(const Args& args, const RunConfig& cfg);
int cmd_embed(int argc, char** argv, int first);
int cmd_predict(int argc, char** argv, int first);

// Every subcommand, in the order `bertgrid --help` lists them.
const std::vector<Command>& commands();

}  // namespace bertgrid::cli
