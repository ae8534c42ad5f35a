// bertgrid: the command-line entry point. Lists the subcommands (one file each, src/cli/cmd_*.cpp),
// parses with CLI11 and runs the one named; see `bertgrid --help`. Exit status 2 for every usage
// error, 1 for a runtime error, else the command's own status.
#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <vector>

#include "cli/command.h"
#include "core/error.h"
#include "grid/versions.h"

namespace {

using bertgrid::cli::Command;

constexpr const char* kIntro =
    "Usage: bertgrid COMMAND [OPTIONS]\n"
    "\n"
    "Runs a grid of DistilBERT experiments (fine-tuning and frozen sentence embeddings)\n"
    "as distributed batch jobs: `mpirun -np N bertgrid run --config configs/X.toml`.\n"
    "\n";
constexpr const char* kOutro =
    "\n`bertgrid COMMAND --help` describes a command's options; `bertgrid --version` prints\n"
    "the versions of bertgrid and of the libraries it runs on.\n";

// Every subcommand, in the order `bertgrid --help` lists them.
std::vector<Command> setup_commands(CLI::App& app) {
  using namespace bertgrid::cli;
  return {setup_run(app),     setup_merge(app),  setup_train(app),   setup_embed(app),
          setup_predict(app), setup_replay(app), setup_tokenize(app)};
}

// A parse error: help exits 0; anything else is a usage error, named with its command (exit 2).
int parse_failure(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
  std::string command = "bertgrid";
  for (const CLI::App* sub : app.get_subcommands()) command += " " + sub->get_name();
  std::cerr << "error: " << command << ": " << e.what() << " (see " << command << " --help)\n";
  return bertgrid::cli::kExitUsage;
}

int run_command(const Command& command) {
  try {
    return command.run();
  } catch (const bertgrid::cli::UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return bertgrid::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("bertgrid", "bertgrid");
  app.set_help_flag("--help", "show this help and exit");
  app.require_subcommand(1, 1);
  bertgrid::cli::set_top_help(app, kIntro, kOutro);
  const auto commands = setup_commands(app);
  if (argc < 2) {
    std::cerr << app.help();
    return bertgrid::cli::kExitUsage;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::cout << bertgrid::grid::version_text(bertgrid::grid::library_versions());
    return 0;
  }
  if (!std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::cout << app.help();
    return 0;
  }
  bool known = argv[1][0] == '-';
  for (const auto& c : commands) known |= c.app->get_name() == argv[1];
  if (!known) {
    std::cerr << "bertgrid: unknown command '" << argv[1] << "'\n\n" << app.help();
    return bertgrid::cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_failure(app, e);
  }
  for (const auto& c : commands)
    if (c.app->parsed()) return run_command(c);
  return bertgrid::cli::kExitUsage;  // not reached: require_subcommand(1, 1)
}
