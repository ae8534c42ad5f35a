// The command line's exit statuses, for each command: 2 for every usage error (an unknown
// option, a missing value or required option, a stray argument, options that exclude each other,
// a value out of range), 0 for --help (its text on stdout), 1 for a runtime error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support.h"

namespace bertgrid::testing {
namespace {

// The smallest valid-looking arguments of each command, up to its first runtime step (the files
// named need not exist: usage is checked before any is read).
struct Minimal {
  std::string command, args;
};
const std::vector<Minimal> kCommands = {
    {"run", "--config none.toml"},
    {"merge", "--out none"},
    {"train", "--config none.toml --job finetune"},
    {"embed", "--model none --out none.h5"},
    {"predict", "--model none"},
    {"replay",
     "--model none --batches none --rows-per-step 1 --steps 1 --lr 1 --weight-decay 0 "
     "--warmup-steps 0 --max-grad-norm 1"},
    {"tokenize", "--vocab none.txt"},
};

class CliUsage : public ::testing::TestWithParam<Minimal> {};

TEST_P(CliUsage, HelpExitsZeroWithTheUsageLineAndOptions) {
  TempDir dir;
  const auto r = run_bertgrid(dir, GetParam().command + " --help");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Usage: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bertgrid " + GetParam().command), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Exit status:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Options:\n"), std::string::npos) << r.out;
  // Today's layout: the option and its metavar in a column of 30, then the help text.
  EXPECT_NE(r.out.find("  --help" + std::string(22, ' ') + "show this help and exit\n"),
            std::string::npos)
      << r.out;
}

TEST_P(CliUsage, UnknownOptionExitsTwoNamingIt) {
  TempDir dir;
  const auto r = run_bertgrid(dir, GetParam().command + " " + GetParam().args + " --no-such-flag");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bertgrid " + GetParam().command), std::string::npos) << r.err;
}

TEST_P(CliUsage, StrayArgumentExitsTwo) {
  TempDir dir;
  const auto r = run_bertgrid(dir, GetParam().command + " " + GetParam().args + " stray");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("stray"), std::string::npos) << r.err;
}

TEST_P(CliUsage, MissingRequiredOptionExitsTwo) {
  TempDir dir;
  const auto r = run_bertgrid(dir, GetParam().command);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("required"), std::string::npos) << r.err;
}

TEST_P(CliUsage, OptionWithoutItsValueExitsTwo) {
  TempDir dir;
  // The first option of the minimal arguments, its value left out.
  const std::string first = GetParam().args.substr(0, GetParam().args.find(' '));
  const auto r = run_bertgrid(dir, GetParam().command + " " + first);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(first), std::string::npos) << r.err;
}

TEST_P(CliUsage, RuntimeErrorExitsOne) {
  TempDir dir;
  const auto r = run_bertgrid(dir, GetParam().command + " " + GetParam().args);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("none"), std::string::npos) << r.err;  // names the missing file
}

INSTANTIATE_TEST_SUITE_P(Commands, CliUsage, ::testing::ValuesIn(kCommands),
                         [](const auto& info) { return info.param.command; });

TEST(CliUsage, ExclusiveAndOutOfRangeOptionsExitTwo) {
  TempDir dir;
  for (const std::string args :
       {"run --config none.toml --resume --force",
        "run --config none.toml --shard 0/2 --embeddings-only",
        "train --config none.toml --job finetune --epochs many",
        "tokenize --vocab none.txt --max-length 1", "predict --model none --batch-size 0",
        "embed --model none --out e.h5 --pooling mean", "embed --out e.h5"}) {
    const auto r = run_bertgrid(dir, args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
  }
}

TEST(CliUsage, BareCommandLineAndUnknownCommand) {
  TempDir dir;
  auto r = run_bertgrid(dir, "");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("Usage: bertgrid COMMAND"), std::string::npos) << r.err;
  r = run_bertgrid(dir, "frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  r = run_bertgrid(dir, "--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Commands:\n  run         run a config's whole grid"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  tokenize    tokenize text from stdin"), std::string::npos) << r.out;
  r = run_bertgrid(dir, "--bogus");
  EXPECT_EQ(r.status, 2) << r.err;
}

}  // namespace
}  // namespace bertgrid::testing
