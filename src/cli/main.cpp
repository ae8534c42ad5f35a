// bertgrid: the command-line entry point. Dispatches to one subcommand; see `bertgrid --help`.
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"

namespace bertgrid::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"run", "run a config's whole grid under MPI (the main job)", cmd_run},
      {"merge", "merge the shards of a grid (run --shard K/N) into one run's results", cmd_merge},
      {"train", "train one job of a config (fine-tune or embedding head)", cmd_train},
      {"embed", "frozen-encoder sentence embeddings of a dataset's splits -> embeddings.h5",
       cmd_embed},
      {"predict", "classify stdin lines with a fine-tuned model (JSON lines out)", cmd_predict},
      {"replay", "replay fixed batches through the training step (checks against PyTorch)",
       cmd_replay},
      {"tokenize", "tokenize text from stdin with BERT WordPiece (JSON lines out)", cmd_tokenize},
  };
  return kCommands;
}

}  // namespace bertgrid::cli

namespace {

void print_usage(std::ostream& out) {
  out << "Usage: bertgrid COMMAND [OPTIONS]\n"
         "\n"
         "Runs a grid of DistilBERT experiments (fine-tuning and frozen sentence embeddings)\n"
         "as distributed batch jobs: `mpirun -np N bertgrid run --config configs/X.toml`.\n"
         "\n"
         "Commands:\n";
  for (const auto& c : bertgrid::cli::commands()) {
    std::string name = c.name;
    out << "  " << name << std::string(name.size() < 12 ? 12 - name.size() : 1, ' ') << c.summary
        << "\n";
  }
  out << "\n`bertgrid COMMAND --help` describes a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : bertgrid::cli::commands()) {
    if (c.name != std::string(argv[1])) continue;
    try {
      return c.run(argc, argv, 2);
    } catch (const bertgrid::Error& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "bertgrid: unknown command '" << argv[1] << "'\n\n";
  print_usage(std::cerr);
  return 2;
}
