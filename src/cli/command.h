// A bertgrid subcommand, the CLI11 way (one file per command): setup_X(app) adds the subcommand
// `X` to `app`, binds its options to an options struct and returns how to run it; main lists the
// commands, parses, and runs the one named on the command line.
//
// Exit statuses shared by every command: 0 done; 1 a runtime error (a message "error: ..."); 2 a
// usage error: an unknown option, a missing value or required option, a stray argument, a value
// out of range, options that exclude each other.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "core/error.h"

namespace bertgrid::cli {

constexpr int kExitUsage = 2;

// A usage error found after parsing (a value out of range, a missing option that only some
// choices need): exits 2, as CLI11's own parse errors do.
class UsageError : public Error {
 public:
  using Error::Error;
};

struct Command {
  CLI::App* app;             // the subcommand; app->parsed() after a parse that named it
  std::function<int()> run;  // runs it with the parsed options; returns the exit status
};

// Adds subcommand `name` to `parent`: `summary` is its line in `bertgrid --help`; its own
// --help prints `usage` (usage line, description, exit statuses) and then its options.
CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& summary,
                      const std::string& usage);

// `bertgrid --help`: the commands, one line each, after `intro`.
void set_top_help(CLI::App& app, const std::string& intro, const std::string& outro);

Command setup_run(CLI::App& app);
Command setup_merge(CLI::App& app);
Command setup_train(CLI::App& app);
Command setup_embed(CLI::App& app);
Command setup_predict(CLI::App& app);
Command setup_replay(CLI::App& app);
Command setup_tokenize(CLI::App& app);

}  // namespace bertgrid::cli
