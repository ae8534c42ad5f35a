// Tests for text/tokenizer: HF goldens (sampled_train, tricky strings), edge cases (config,
// missing files, special tokens, truncation, the 100-character limit) and the tokenize CLI.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "text/tokenizer.h"

namespace fs = std::filesystem;
using bertgrid::Error;
using bertgrid::text::Tokenizer;
using bertgrid::text::TokenizerOptions;

namespace {

const std::string kShared = BERTGRID_SHARED_DIR;
const std::string kVocab = kShared + "/data/bert-base-uncased-vocab/vocab.txt";

const Tokenizer& bert() {
  static const Tokenizer tokenizer = Tokenizer::from_vocab_file(kVocab);
  return tokenizer;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A fresh temporary directory, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("bertgrid_tok_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> small_vocab() {
  return {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "Hello", "world",
          "cafe",  "Café",  "ß",     "##ß",   "a",      "##b",   "!"};
}

std::string expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected bertgrid::Error";
  return "";
}

}  // namespace

TEST(Tokenizer, SpecialIdsOfBertUncased) {
  EXPECT_EQ(bert().vocab_size(), 30522u);
  EXPECT_EQ(bert().pad_id(), 0);
  EXPECT_EQ(bert().unk_id(), 100);
  EXPECT_EQ(bert().cls_id(), 101);
  EXPECT_EQ(bert().sep_id(), 102);
  EXPECT_EQ(bert().token(7592), "hello");
}

TEST(Tokenizer, MatchesGoldenSampledTrain) {
  std::ifstream golden(kShared + "/golden/tokens_sampled_train.jsonl");
  ASSERT_TRUE(golden) << "missing golden file";
  std::string line;
  size_t total = 0, equal = 0;
  while (std::getline(golden, line)) {
    auto j = nlohmann::json::parse(line);
    std::string id = j["file_id"].get<std::string>();
    std::string text =
        read_bytes(kShared + "/data/hate-speech-dataset/sampled_train/" + id + ".txt");
    auto want = j["ids"].get<std::vector<int32_t>>();
    ++total;
    if (bert().encode(text) == want)
      ++equal;
    else
      ADD_FAILURE() << "ids differ for file " << id;
  }
  EXPECT_EQ(total, 1914u);
  EXPECT_EQ(equal, 1914u);
}

TEST(Tokenizer, MatchesGoldenTrickyStrings) {
  std::ifstream golden(kShared + "/golden/tokens_tricky.jsonl");
  ASSERT_TRUE(golden) << "missing golden file";
  std::string line;
  size_t total = 0, equal = 0;
  while (std::getline(golden, line)) {
    auto j = nlohmann::json::parse(line);
    std::string text = j["text"].get<std::string>();
    auto want_ids = j["ids"].get<std::vector<int32_t>>();
    auto want_tokens = j["tokens"].get<std::vector<std::string>>();
    auto ids = bert().encode(text);
    std::vector<std::string> tokens = {"[CLS]"};
    for (const auto& t : bert().tokenize(text)) tokens.push_back(t);
    tokens.push_back("[SEP]");
    ++total;
    EXPECT_EQ(ids, want_ids) << j["text"].dump();
    EXPECT_EQ(tokens, want_tokens) << j["text"].dump();
    equal += ids == want_ids && tokens == want_tokens;
  }
  EXPECT_EQ(total, 25u);
  EXPECT_EQ(equal, 25u);
}

TEST(Tokenizer, LowercasesFinalSigmaPerCharacterAsHf) {
  // Rust's char::to_lowercase: a word-final 'Σ' becomes 'σ', never 'ς' (checked with the oracle).
  EXPECT_EQ(bert().tokenize("ΣΟΦΟΣ Σ"),
            (std::vector<std::string>{"σ", "##ο", "##φ", "##ο", "##σ", "σ"}));
}

TEST(Tokenizer, MatchesLiteralSpecialTokensBeforeNormalizing) {
  // As HF's added-vocabulary pass: exact, case-sensitive matches of [MASK], [SEP], ...
  EXPECT_EQ(bert().encode("hi [MASK] there[SEP]x [mask]"),
            (std::vector<int32_t>{101, 7632, 103, 2045, 102, 1060, 1031, 7308, 1033, 102}));
}

TEST(Tokenizer, PadsOnlyHfCjkRanges) {
  // U+4E2D is padded into its own word; U+2B820 lies in the gap of HF's ranges and is not.
  EXPECT_EQ(bert().tokenize("a\xe4\xb8\xad"
                            "b"),
            (std::vector<std::string>{"a", "中", "b"}));
  EXPECT_EQ(bert().tokenize("a\xf0\xab\xa0\xa0"
                            "b"),
            (std::vector<std::string>{"[UNK]"}));
}

TEST(Tokenizer, UsesHfUnicodeTablesWhereUtf8procDiffers) {
  // HF's Rust tables are older than utf8proc's: each case below was checked with the oracle.
  using bertgrid::text::Normalizer;
  Normalizer all({true, true, true, true});
  EXPECT_EQ(all.normalize("a\u1AC1b"), "a\u1AC1b");      // Mn since Unicode 14: not stripped
  EXPECT_EQ(all.normalize("a\u1734b"), "ab");            // Mn in HF's table (Mc today): stripped
  EXPECT_EQ(all.normalize("a\u0890b"), "a\u0890b");      // Cf since Unicode 14: kept
  EXPECT_EQ(all.normalize("a\uE000b"), "ab");            // private use: dropped as "other"
  EXPECT_EQ(all.normalize("a\u0378b"), "a\u0378b");      // unassigned: kept
  EXPECT_EQ(all.normalize("\U00010D50"), "\U00010D70");  // lowercase from Rust's newer tables
  EXPECT_EQ(all.normalize("x\u07FD\u1DFAy"), "x\u07FD\u1DFAy");  // no reordering of new marks
  // Po in HF's table (So today): split off; Po since Unicode 10: not split.
  EXPECT_EQ(bert().tokenize("a\u166Db"), (std::vector<std::string>{"a", "[UNK]", "b"}));
  EXPECT_EQ(bert().tokenize("a\u2E43b"), (std::vector<std::string>{"[UNK]"}));
}

TEST(Tokenizer, TruncationKeepsSepLast) {
  auto full = bert().encode("hello world, how are you");
  ASSERT_EQ(full.size(), 8u);
  EXPECT_EQ(bert().encode("hello world, how are you", 4),
            (std::vector<int32_t>{101, 7592, 2088, 102}));
  EXPECT_EQ(bert().encode("hello world, how are you", 2), (std::vector<int32_t>{101, 102}));
  EXPECT_EQ(bert().encode("hello world, how are you", 8), full);
  EXPECT_EQ(bert().encode("hello world, how are you", 100), full);
  EXPECT_NE(expect_error([] { bert().encode("hello", 1); }).find("max_length 1"),
            std::string::npos);
}

TEST(Tokenizer, EncodeTruncatedSaysWhetherWordpiecesWereCut) {
  const auto& tok = bert();
  const auto full = tok.encode("hello world again");  // [CLS] 3 wordpieces [SEP]
  ASSERT_EQ(full.size(), 5u);
  auto cut = tok.encode_truncated("hello world again", 4);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(cut.ids, (std::vector<int32_t>{101, 7592, 2088, 102}));
  auto exact = tok.encode_truncated("hello world again", 5);  // fits exactly: nothing cut
  EXPECT_FALSE(exact.truncated);
  EXPECT_EQ(exact.ids, full);
  auto unlimited = tok.encode_truncated("hello world again", 0);
  EXPECT_FALSE(unlimited.truncated);
  EXPECT_EQ(unlimited.ids, full);
  EXPECT_THROW(tok.encode_truncated("hello", 1), Error);
}

TEST(Tokenizer, WordOver100CharactersIsUnknown) {
  Tokenizer tok(small_vocab(), TokenizerOptions{});
  std::string word;
  for (int i = 0; i < 100; ++i) word += "\xc3\x9f";  // 'ß': 100 characters, 200 bytes
  auto ids = tok.encode(word);
  EXPECT_EQ(ids.size(), 102u);
  EXPECT_EQ(ids[1], 10);
  EXPECT_EQ(ids[2], 11);
  EXPECT_EQ(tok.encode(word + "\xc3\x9f"), (std::vector<int32_t>{2, 1, 3}));
  EXPECT_EQ(bert().tokenize(std::string(101, 'a')), (std::vector<std::string>{"[UNK]"}));
  // 100 characters: "aaa" + 48 x "##aa" + "##a" (as the oracle gives).
  auto pieces = bert().tokenize(std::string(100, 'a'));
  ASSERT_EQ(pieces.size(), 50u);
  EXPECT_EQ(pieces[0], "aaa");
  EXPECT_EQ(pieces[1], "##aa");
}

TEST(Tokenizer, WordWithoutFullMatchIsUnknown) {
  Tokenizer tok(small_vocab(), TokenizerOptions{});
  EXPECT_EQ(tok.tokenize("ab abc hello!"),
            (std::vector<std::string>{"a", "##b", "[UNK]", "hello", "!"}));
}

TEST(Tokenizer, CasedConfigKeepsCaseAndAccents) {
  TempDir dir;
  write_file(dir.path / "vocab.txt", [] {
    std::string s;
    for (const auto& t : small_vocab()) s += t + "\n";
    return s;
  }());
  write_file(dir.path / "tokenizer_config.json", R"({"do_lower_case": false})");
  auto tok = Tokenizer::from_vocab_file((dir.path / "vocab.txt").string());
  EXPECT_FALSE(tok.options().lowercase);
  EXPECT_FALSE(tok.options().strip_accents);
  EXPECT_EQ(tok.tokenize("Hello Café hello"), (std::vector<std::string>{"Hello", "Café", "hello"}));

  write_file(dir.path / "tokenizer_config.json",
             R"({"do_lower_case": false, "strip_accents": true})");
  auto stripping = Tokenizer::from_vocab_file((dir.path / "vocab.txt").string());
  EXPECT_EQ(stripping.tokenize("Hello Café"), (std::vector<std::string>{"Hello", "[UNK]"}));

  write_file(dir.path / "tokenizer_config.json", R"({"do_lower_case": true})");
  auto uncased = Tokenizer::from_vocab_file((dir.path / "vocab.txt").string());
  EXPECT_EQ(uncased.tokenize("Hello Café"), (std::vector<std::string>{"hello", "cafe"}));
}

TEST(Tokenizer, RejectsMalformedConfig) {
  TempDir dir;
  write_file(dir.path / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
  write_file(dir.path / "tokenizer_config.json", R"({"do_lower_case": "no"})");
  auto msg = expect_error([&] { Tokenizer::from_vocab_file((dir.path / "vocab.txt").string()); });
  EXPECT_NE(msg.find("do_lower_case"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tokenizer_config.json"), std::string::npos) << msg;
  write_file(dir.path / "tokenizer_config.json", "{not json");
  msg = expect_error([&] { Tokenizer::from_vocab_file((dir.path / "vocab.txt").string()); });
  EXPECT_NE(msg.find("invalid JSON"), std::string::npos) << msg;
}

TEST(Tokenizer, RejectsMissingVocabFile) {
  auto msg = expect_error([] { Tokenizer::from_vocab_file("/nonexistent/dir/vocab.txt"); });
  EXPECT_NE(msg.find("/nonexistent/dir/vocab.txt"), std::string::npos) << msg;
}

TEST(Tokenizer, RejectsEmptyVocab) {
  TempDir dir;
  write_file(dir.path / "vocab.txt", "");
  auto msg = expect_error([&] { Tokenizer::from_vocab_file((dir.path / "vocab.txt").string()); });
  EXPECT_NE(msg.find("empty vocabulary"), std::string::npos) << msg;
  msg = expect_error([] { Tokenizer({}, TokenizerOptions{}); });
  EXPECT_NE(msg.find("empty vocabulary"), std::string::npos) << msg;
}

TEST(Tokenizer, RejectsMissingSpecialToken) {
  TempDir dir;
  write_file(dir.path / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\nhello\n");
  auto msg = expect_error([&] { Tokenizer::from_vocab_file((dir.path / "vocab.txt").string()); });
  EXPECT_NE(msg.find("missing special token [SEP]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("vocab.txt"), std::string::npos) << msg;
  msg = expect_error([] { Tokenizer({"[UNK]", "[CLS]", "[SEP]"}, TokenizerOptions{}); });
  EXPECT_NE(msg.find("missing special token [PAD]"), std::string::npos) << msg;
}

TEST(Tokenizer, VocabReadsCrlfLinesAndLaterDuplicatesWin) {
  TempDir dir;
  write_file(dir.path / "vocab.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhi\r\nhi\r\n");
  auto tok = Tokenizer::from_vocab_file((dir.path / "vocab.txt").string());
  EXPECT_EQ(tok.vocab_size(), 6u);
  EXPECT_EQ(tok.encode("hi"), (std::vector<int32_t>{2, 5, 3}));
}

// ---- the CLI ----------------------------------------------------------------

namespace {

struct CliResult {
  int status;
  std::string out, err;
};

CliResult run_cli(const TempDir& dir, const std::string& args, const std::string& input) {
  write_file(dir.path / "in.txt", input);
  std::string cmd = std::string(BERTGRID_BINARY) + " tokenize " + args + " < " +
                    (dir.path / "in.txt").string() + " > " + (dir.path / "out.txt").string() +
                    " 2> " + (dir.path / "err.txt").string();
  int raw = std::system(cmd.c_str());
  int status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return {status, read_bytes((dir.path / "out.txt").string()),
          read_bytes((dir.path / "err.txt").string())};
}

}  // namespace

TEST(TokenizerCli, WritesIdsPerJsonLine) {
  TempDir dir;
  auto r = run_cli(dir, "--vocab " + kVocab, "{\"text\": \"Hello, World!\"}\n{\"text\": \"\"}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "{\"ids\":[101,7592,1010,2088,999,102]}\n{\"ids\":[101,102]}\n");
}

TEST(TokenizerCli, PlainLinesAndMaxLength) {
  TempDir dir;
  auto r = run_cli(dir, "--vocab " + kVocab + " --plain --max-length 4", "Hello, World!\n\nhi\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"ids\":[101,7592,1010,102]}\n{\"ids\":[101,102]}\n{\"ids\":[101,7632,102]}\n");
}

TEST(TokenizerCli, BadJsonLineNamesLineNumber) {
  TempDir dir;
  auto r = run_cli(dir, "--vocab " + kVocab, "{\"text\": \"ok\"}\n{\"text\": oops}\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  r = run_cli(dir, "--vocab " + kVocab, "{\"txt\": \"ok\"}\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("line 1"), std::string::npos) << r.err;
}

TEST(TokenizerCli, HelpListsOptions) {
  TempDir dir;
  auto r = run_cli(dir, "--help", "");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("Usage: bertgrid tokenize"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--max-length N"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--plain"), std::string::npos) << r.out;
}

TEST(TokenizerCli, MissingVocabFails) {
  TempDir dir;
  auto r = run_cli(dir, "--vocab " + (dir.path / "nope.txt").string(), "x\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("nope.txt"), std::string::npos) << r.err;
}
