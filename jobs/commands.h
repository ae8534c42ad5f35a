// The bertgrid subcommands. Each takes the full argv and the index of its first own argument,
// and returns the process exit status.
#pragma once

#include <string>
#include <vector>

namespace bertgrid::cli {

using CommandFn = int (*)(int argc, char** argv, int first);

struct Command {
  const char* name;
  const char* summary;
  CommandFn run;
};

int cmd_tokenize(int argc, char** argv, int first);
int cmd_embed(int argc, char** argv, int first);
int cmd_predict(int argc, char** argv, int first);

// Every subcommand, in the order `bertgrid --help` lists them.
const std::vector<Command>& commands();

}  // namespace bertgrid::cli
