// End-to-end tests of `bertgrid embed` and `bertgrid predict` with the golden tiny model: the
// HDF5 read back equals the embedder's output (1e-6), predict's p_hate equals the model's softmax
// computed here (1e-5), and bad input fails with a message naming it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/embeddings_h5.h"
#include "model/embedder.h"
#include "model/hf_dir.h"
#include "tests/tensor_compare.h"
#include "text/dataset.h"

namespace bertgrid {
using bertgrid::testing::max_abs_diff;

namespace {

namespace fs = std::filesystem;
const std::string kTiny = std::string(BERTGRID_SHARED_DIR) + "/golden/tiny-distilbert";

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("bertgrid_cli_infer_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the bertgrid binary with `args`, stdin from `in`; returns the exit status.
int run(const std::string& args, const fs::path& in, const fs::path& out, const fs::path& err) {
  const std::string cmd = std::string(BERTGRID_BINARY) + " " + args + " < '" + in.string() +
                          "' > '" + out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A Vicomtech-layout dataset: 5 train and 3 test sentences.
void make_dataset(const fs::path& dir) {
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> rows = {
      {"1_1", "train", "hate", "They should all be sent back where they came from ."},
      {"1_2", "train", "noHate", "The weather was nice today ."},
      {"1_3", "train", "noHate", "Download the booklet here ."},
      {"1_4", "train", "hate", "I can't stand those people , what a disgrace !"},
      {"1_5", "train", "noHate", "Thank you in advance ."},
      {"2_1", "test", "noHate", "See you at the meeting ."},
      {"2_2", "test", "hate", "Get them out of our country ."},
      {"2_3", "test", "noHate", "Great post , thanks for sharing the link ."}};
  std::string csv = "file_id,user_id,subforum_id,num_contexts,label\n";
  for (const auto& [id, split, label, text] : rows) {
    csv += id + ",1,1,0," + label + "\n";
    write(dir / split / (id + ".txt"), text + "\n");
  }
  write(dir / "annotations_metadata.csv", csv);
}

TEST(CliEmbed, WritesTheEmbedderOutput) {
  TempDir tmp;
  make_dataset(tmp.path / "data");
  write(tmp.path / "empty", "");
  const fs::path h5 = tmp.path / "emb.h5";
  const int rc = run("embed --model " + kTiny + " --data " + (tmp.path / "data").string() +
                         " --out " + h5.string() +
                         " --train-split train --test-split test --batch-size 2"
                         " --strategies CLS,LAST2_MAX --threads 1",
                     tmp.path / "empty", tmp.path / "out", tmp.path / "err");
  ASSERT_EQ(rc, 0) << slurp(tmp.path / "err");
  const std::string err = slurp(tmp.path / "err");
  EXPECT_NE(err.find("embed: 8 sentences, 0 truncated to 128 tokens"), std::string::npos) << err;
  EXPECT_NE(err.find("train batch 3/3"), std::string::npos) << err;

  const auto file = io::read_embeddings_h5(h5.string());
  EXPECT_EQ(file.attrs_str.at("pooling"), "masked");
  EXPECT_EQ(file.attrs_str.at("padding"), "dynamic");
  EXPECT_EQ(file.attrs_str.at("precision"), "fp32");
  EXPECT_EQ(file.attrs_str.at("fingerprint").size(), 64u);
  EXPECT_EQ(file.attrs_int.at("max_length"), 128);  // capped at max_position_embeddings

  auto loaded = model::load_pretrained(kTiny, 0);
  const auto tokenizer = text::Tokenizer::from_vocab_file(kTiny + "/vocab.txt");
  for (const std::string split : {"train", "test"}) {
    const auto examples = text::read_vicomtech_split((tmp.path / "data").string(), split, {});
    std::vector<std::string> texts;
    for (const auto& e : examples) texts.push_back(e.text);
    model::EmbedOptions options;
    options.strategies = {Strategy::CLS, Strategy::LAST2_MAX};
    const auto expected = model::embed_all(
        loaded.model->distilbert, model::tokenize_texts(tokenizer, texts, 128).ids, options);
    const auto& got = file.splits.at(split);
    ASSERT_EQ(got.file_ids.size(), examples.size());
    EXPECT_EQ(got.file_ids[0], examples[0].file_id);
    EXPECT_EQ(got.labels[0], examples[0].label);
    EXPECT_EQ(got.by_strategy.size(), 2u);
    EXPECT_LT(max_abs_diff(got.by_strategy.at("CLS"), expected.by_strategy[0]), 1e-6) << split;
    EXPECT_LT(max_abs_diff(got.by_strategy.at("LAST2_MAX"), expected.by_strategy[1]), 1e-6)
        << split;
  }
  EXPECT_EQ(file.splits.at("train").labels, (std::vector<int32_t>{1, 0, 0, 1, 0}));
}

TEST(CliEmbed, FailsOnMissingModelDir) {
  TempDir tmp;
  make_dataset(tmp.path / "data");
  write(tmp.path / "empty", "");
  const int rc = run("embed --model " + (tmp.path / "nope").string() + " --data " +
                         (tmp.path / "data").string() + " --out " + (tmp.path / "e.h5").string(),
                     tmp.path / "empty", tmp.path / "out", tmp.path / "err");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(slurp(tmp.path / "err").find("nope: model directory not found"), std::string::npos)
      << slurp(tmp.path / "err");
  EXPECT_FALSE(fs::exists(tmp.path / "e.h5"));
}

TEST(CliEmbed, FailsOnUnknownStrategy) {
  TempDir tmp;
  make_dataset(tmp.path / "data");
  write(tmp.path / "empty", "");
  const int rc = run("embed --model " + kTiny + " --data " + (tmp.path / "data").string() +
                         " --out " + (tmp.path / "e.h5").string() + " --strategies CLS,FIRST_MEAN",
                     tmp.path / "empty", tmp.path / "out", tmp.path / "err");
  EXPECT_EQ(rc, 2);  // a usage error
  EXPECT_NE(slurp(tmp.path / "err").find("FIRST_MEAN"), std::string::npos)
      << slurp(tmp.path / "err");
}

TEST(CliPredict, ProbabilitiesEqualTheModelSoftmax) {
  TempDir tmp;
  const std::vector<std::string> texts = {"Get them out of our country .", "Hello there",
                                          "Thank you in advance . \u00e9t\u00e9 \"quoted\""};
  std::string in;
  for (const auto& t : texts) in += nlohmann::json({{"text", t}}).dump() + "\n";
  write(tmp.path / "in.jsonl", in);
  const int rc = run("predict --model " + kTiny + " --batch-size 2", tmp.path / "in.jsonl",
                     tmp.path / "out", tmp.path / "err");
  ASSERT_EQ(rc, 0) << slurp(tmp.path / "err");

  auto loaded = model::load_pretrained(kTiny, 0);
  const auto tokenizer = text::Tokenizer::from_vocab_file(kTiny + "/vocab.txt");
  std::istringstream lines(slurp(tmp.path / "out"));
  std::string line;
  size_t i = 0;
  torch::NoGradGuard no_grad;
  for (; std::getline(lines, line); ++i) {
    ASSERT_LT(i, texts.size());
    const auto j = nlohmann::json::parse(line);
    const auto ids = tokenizer.encode(texts[i], 128);
    auto input = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).unsqueeze(0);
    const auto probs = torch::softmax(loaded.model->forward(input), 1)[0];
    const double p_hate = probs[1].item<double>();  // tiny model: no id2label, hate = 1
    EXPECT_NEAR(j.at("p_hate").get<double>(), p_hate, 1e-5) << "line " << i;
    EXPECT_EQ(j.at("label").get<std::string>(), p_hate > 0.5 ? "hate" : "noHate") << "line " << i;
  }
  EXPECT_EQ(i, texts.size());
}

TEST(CliPredict, BadJsonLineIsNamed) {
  TempDir tmp;
  write(tmp.path / "in.jsonl", "{\"text\": \"fine\"}\n{\"text\": oops}\n");
  const int rc =
      run("predict --model " + kTiny, tmp.path / "in.jsonl", tmp.path / "out", tmp.path / "err");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(slurp(tmp.path / "err").find("stdin line 2: invalid JSON"), std::string::npos)
      << slurp(tmp.path / "err");
  EXPECT_EQ(slurp(tmp.path / "out"), "");
}

}  // namespace
}  // namespace bertgrid
