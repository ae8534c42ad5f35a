// Tests for text/dataset: the real Vicomtech splits, user tables, and each error path.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/error.h"
#include "tests/support.h"
#include "text/dataset.h"

namespace fs = std::filesystem;
using bertgrid::Error;
using bertgrid::text::Example;
using bertgrid::text::LabelMap;
using bertgrid::text::read_table;
using bertgrid::text::read_vicomtech_split;

namespace {

const std::string kDataset = std::string(BERTGRID_SHARED_DIR) + "/data/hate-speech-dataset";

using bertgrid::testing::TempDir;

// Runs `fn`, expects a bertgrid::Error, and returns its message.
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected bertgrid::Error";
  return "";
}

int count_label(const std::vector<Example>& examples, int label) {
  return static_cast<int>(std::count_if(examples.begin(), examples.end(),
                                        [&](const Example& e) { return e.label == label; }));
}

std::size_t total_bytes(const std::vector<Example>& examples) {
  return std::accumulate(examples.begin(), examples.end(), std::size_t{0},
                         [](std::size_t n, const Example& e) { return n + e.text.size(); });
}

const char kMetadataHeader[] = "file_id,user_id,subforum_id,num_contexts,label\n";

// A small Vicomtech-shaped dataset: three sentences in "train".
void write_small_dataset(const TempDir& dir) {
  dir.write("annotations_metadata.csv", std::string(kMetadataHeader) +
                                            "b_1,1,10,0,hate\n"
                                            "a_2,1,10,0,noHate\n"
                                            "a_10,2,10,1,noHate\n"
                                            "z_9,3,10,0,relation\n");
  dir.write("train/b_1.txt", "second\n\n");
  dir.write("train/a_2.txt", "caf\xC3\xA9 line\r\nnext");
  dir.write("train/a_10.txt", "");
}

}  // namespace

// Counts computed independently from the shared folder with ls + awk over annotations_metadata.csv;
// byte totals with `cat sampled_*/*.txt | wc -c`; first/last ids with `LC_ALL=C sort`.
TEST(Dataset, ReadsSampledTrain) {
  const auto train = read_vicomtech_split(kDataset, "sampled_train", LabelMap{});
  ASSERT_EQ(train.size(), 1914u);
  EXPECT_EQ(count_label(train, 1), 957);  // hate
  EXPECT_EQ(count_label(train, 0), 957);  // noHate
  EXPECT_EQ(total_bytes(train), 197752u);
  EXPECT_EQ(train.front().file_id, "12834217_2");
  EXPECT_EQ(train.back().file_id, "33677053_1");
  EXPECT_EQ(train.front().label, 0);
  EXPECT_EQ(train.front().text,
            "In order to help increase the booklets downloads , it would be great if all "
            "Stormfronters who had YouTube accounts , could display the following text in the "
            "description boxes of their uploaded YouTube videos .");
}

TEST(Dataset, ReadsSampledTest) {
  const auto test = read_vicomtech_split(kDataset, "sampled_test", LabelMap{});
  ASSERT_EQ(test.size(), 478u);
  EXPECT_EQ(count_label(test, 1), 239);
  EXPECT_EQ(count_label(test, 0), 239);
  EXPECT_EQ(total_bytes(test), 51935u);
  EXPECT_EQ(test.front().file_id, "12845244_10");
  EXPECT_EQ(test.back().file_id, "33677053_2");
}

TEST(Dataset, KeepsNonAsciiBytes) {
  const auto train = read_vicomtech_split(kDataset, "sampled_train", LabelMap{});
  auto it = std::find_if(train.begin(), train.end(),
                         [](const Example& e) { return e.file_id == "13500400_1"; });
  ASSERT_NE(it, train.end());
  EXPECT_EQ(it->text.size(), 147u);
  EXPECT_EQ(it->text.substr(45, 4), "\xD0\xA3\xD1\x82");  // "Ут"
  EXPECT_EQ(it->label, 0);
}

TEST(Dataset, SortsByFileIdAndKeepsBytesAsIs) {
  TempDir dir;
  write_small_dataset(dir);
  const auto ex = read_vicomtech_split(dir.path().string(), "train", LabelMap{});
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].file_id, "a_10");
  EXPECT_EQ(ex[1].file_id, "a_2");
  EXPECT_EQ(ex[2].file_id, "b_1");
  EXPECT_EQ(ex[0].text, "");
  EXPECT_EQ(ex[1].text, "caf\xC3\xA9 line\r\nnext");
  EXPECT_EQ(ex[2].text, "second\n\n");
  EXPECT_EQ(ex[0].label, 0);
  EXPECT_EQ(ex[2].label, 1);
}

TEST(Dataset, UsesCustomLabelMap) {
  TempDir dir;
  write_small_dataset(dir);
  LabelMap labels;
  labels.entries = {{"noHate", 3}, {"hate", 7}};
  const auto ex = read_vicomtech_split(dir.path().string(), "train", labels);
  EXPECT_EQ(ex[0].label, 3);
  EXPECT_EQ(ex[2].label, 7);
}

TEST(Dataset, MissingFolderIsNamed) {
  const std::string msg = error_of([] { read_vicomtech_split("/no/such/dir", "train", {}); });
  EXPECT_EQ(msg, "dataset folder not found: /no/such/dir");
}

TEST(Dataset, MissingMetadataCsvIsNamed) {
  TempDir dir;
  dir.write("train/a.txt", "x");
  const std::string msg = error_of([&] { read_vicomtech_split(dir.path().string(), "train", {}); });
  EXPECT_EQ(msg,
            "dataset metadata not found: " + (dir.path() / "annotations_metadata.csv").string());
}

TEST(Dataset, MissingSplitFolderIsNamed) {
  TempDir dir;
  write_small_dataset(dir);
  const std::string msg = error_of([&] { read_vicomtech_split(dir.path().string(), "dev", {}); });
  EXPECT_EQ(msg, "split folder not found: " + (dir.path() / "dev").string());
}

TEST(Dataset, TxtWithoutRowNamesTheFile) {
  TempDir dir;
  write_small_dataset(dir);
  const std::string orphan = dir.write("train/c_5.txt", "orphan");
  const std::string msg = error_of([&] { read_vicomtech_split(dir.path().string(), "train", {}); });
  EXPECT_EQ(msg, orphan + ": no row for file_id 'c_5' in " +
                     (dir.path() / "annotations_metadata.csv").string());
}

TEST(Dataset, LabelOutsideMapNamesFileAndLabel) {
  TempDir dir;
  write_small_dataset(dir);
  dir.write("train/z_9.txt", "related");
  const std::string msg = error_of([&] { read_vicomtech_split(dir.path().string(), "train", {}); });
  EXPECT_EQ(msg, (dir.path() / "annotations_metadata.csv").string() +
                     " line 5 (for z_9.txt): label 'relation' is not one of: hate, noHate");
}

TEST(Dataset, InvalidUtf8NamesFileAndOffset) {
  TempDir dir;
  write_small_dataset(dir);
  const std::string bad = dir.write("train/b_1.txt", "ok \xC3\xA9 then \xC3(");
  const std::string msg = error_of([&] { read_vicomtech_split(dir.path().string(), "train", {}); });
  EXPECT_EQ(msg, bad + ": invalid UTF-8 at byte offset 11");
}

TEST(Dataset, EmptySplitIsAnError) {
  TempDir dir;
  write_small_dataset(dir);
  dir.write("empty/notes.md", "not a sentence");
  const std::string msg = error_of([&] { read_vicomtech_split(dir.path().string(), "empty", {}); });
  EXPECT_EQ(msg, "split folder has no .txt files: " + (dir.path() / "empty").string());
}

TEST(Dataset, MalformedMetadataRowNamesLine) {
  TempDir dir;
  write_small_dataset(dir);
  const std::string csv = dir.write("annotations_metadata.csv",
                                    std::string(kMetadataHeader) + "b_1,1,10,0,hate\na_2,1,10\n");
  const std::string msg = error_of([&] { read_vicomtech_split(dir.path().string(), "train", {}); });
  EXPECT_EQ(msg, csv + " line 3: expected 5 fields, found 3");
}

TEST(Dataset, MetadataMissingColumnIsNamed) {
  TempDir dir;
  write_small_dataset(dir);
  const std::string csv =
      dir.write("annotations_metadata.csv", "file_id,user_id,class\nb_1,1,hate\n");
  const std::string msg = error_of([&] { read_vicomtech_split(dir.path().string(), "train", {}); });
  EXPECT_EQ(msg, csv + ": missing column 'label' (columns: file_id, user_id, class)");
}

TEST(Dataset, DuplicateMetadataRowIsNamed) {
  TempDir dir;
  write_small_dataset(dir);
  const std::string csv =
      dir.write("annotations_metadata.csv",
                std::string(kMetadataHeader) + "b_1,1,10,0,hate\nb_1,1,10,0,noHate\n");
  const std::string msg = error_of([&] { read_vicomtech_split(dir.path().string(), "train", {}); });
  EXPECT_EQ(msg, csv + " line 3: duplicate file_id 'b_1' (first on line 2)");
}

TEST(Table, ReadsQuotedCsv) {
  TempDir dir;
  const std::string path = dir.write("data.csv",
                                     "label,extra,text,id\r\n"
                                     "hate,x,\"commas, inside\",b\r\n"
                                     "noHate,,\"she said \"\"no\"\"\nand left\n\",a\r\n"
                                     "\r\n"
                                     "hate,y,plain,c");
  const auto ex = read_table(path, LabelMap{});
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].file_id, "a");
  EXPECT_EQ(ex[0].text, "she said \"no\"\nand left\n");
  EXPECT_EQ(ex[0].label, 0);
  EXPECT_EQ(ex[1].file_id, "b");
  EXPECT_EQ(ex[1].text, "commas, inside");
  EXPECT_EQ(ex[1].label, 1);
  EXPECT_EQ(ex[2].file_id, "c");
  EXPECT_EQ(ex[2].text, "plain");
}

TEST(Table, ReadsJsonl) {
  TempDir dir;
  const std::string path =
      dir.write("data.jsonl",
                "{\"id\": \"s2\", \"text\": \"two\\n\", \"label\": \"hate\"}\n"
                "\n"
                "{\"id\": 10, \"text\": \"caf\xC3\xA9\", \"label\": \"noHate\", "
                "\"note\": 1}\n");
  const auto ex = read_table(path, LabelMap{});
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].file_id, "10");
  EXPECT_EQ(ex[0].text, "caf\xC3\xA9");
  EXPECT_EQ(ex[0].label, 0);
  EXPECT_EQ(ex[1].file_id, "s2");
  EXPECT_EQ(ex[1].text, "two\n");
  EXPECT_EQ(ex[1].label, 1);
}

TEST(Table, UnterminatedQuoteNamesStartLine) {
  TempDir dir;
  const std::string path =
      dir.write("bad.csv", "id,text,label\na,ok,hate\nb,\"never closed\nstill going,hate\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }), path + " line 3: unterminated quoted field 2");
}

TEST(Table, WrongFieldCountNamesLineAfterMultilineRecord) {
  TempDir dir;
  const std::string path =
      dir.write("bad.csv", "id,text,label\na,\"two\nlines\",hate\nb,too,many,fields\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }), path + " line 4: expected 3 fields, found 4");
}

TEST(Table, StrayQuoteNamesLine) {
  TempDir dir;
  const std::string path = dir.write("bad.csv", "id,text,label\na,say \"hi\",hate\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }),
            path +
                " line 2: quote inside unquoted field 2 (quote the whole field and write \"\" "
                "for \")");
}

TEST(Table, MissingCsvColumnIsNamed) {
  TempDir dir;
  const std::string path = dir.write("bad.csv", "id,sentence,label\na,x,hate\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }),
            path + ": missing column 'text' (columns: id, sentence, label)");
}

TEST(Table, LabelOutsideMapNamesLineAndLabel) {
  TempDir dir;
  const std::string path = dir.write("bad.csv", "id,text,label\na,x,hate\nb,y,idk/skip\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }),
            path + " line 3: label 'idk/skip' is not one of: hate, noHate");
}

TEST(Table, DuplicateIdIsNamed) {
  TempDir dir;
  const std::string path = dir.write("bad.csv", "id,text,label\na,x,hate\na,y,noHate\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }), path + ": duplicate id 'a' (first on line 2)");
}

TEST(Table, InvalidUtf8NamesOffset) {
  TempDir dir;
  const std::string path = dir.write("bad.csv", "id,text,label\na,\xFF,hate\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }), path + ": invalid UTF-8 at byte offset 16");
}

// Found by fuzz/fuzz_csv.cpp: a number too large for a double is nlohmann's out_of_range, not a
// parse_error, and escaped the reader as a non-bertgrid exception.
TEST(Table, JsonlNumberOverflowIsAnInvalidJsonError) {
  TempDir dir;
  const std::string path =
      dir.write("big.jsonl", "{\"id\":\"a\",\"text\":\"x\",\"label\":\"hate\",\"n\":4e4444}\n");
  const std::string msg = error_of([&] { read_table(path, {}); });
  EXPECT_EQ(msg.rfind(path + " line 1: invalid JSON: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("number overflow"), std::string::npos) << msg;
}

TEST(Table, InvalidJsonNamesLine) {
  TempDir dir;
  const std::string path = dir.write(
      "bad.jsonl", "{\"id\":\"a\",\"text\":\"x\",\"label\":\"hate\"}\n{\"id\":\"b\",\"text\":\n");
  const std::string msg = error_of([&] { read_table(path, {}); });
  EXPECT_EQ(msg.rfind(path + " line 2: invalid JSON: ", 0), 0u) << msg;
}

TEST(Table, JsonlMissingKeyIsNamed) {
  TempDir dir;
  const std::string path = dir.write("bad.jsonl", "{\"id\":\"a\",\"label\":\"hate\"}\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }), path + " line 1: missing key 'text'");
}

TEST(Table, JsonlNonStringLabelIsNamed) {
  TempDir dir;
  const std::string path = dir.write("bad.jsonl", "{\"id\":\"a\",\"text\":\"x\",\"label\":1}\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }),
            path + " line 1: 'label' must be a string, got 1");
}

TEST(Table, UnsupportedExtensionIsNamed) {
  TempDir dir;
  const std::string path = dir.write("data.tsv", "id\ttext\tlabel\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }),
            path + ": unsupported table extension '.tsv' (expected .csv or .jsonl)");
}

TEST(Table, MissingFileIsNamed) {
  EXPECT_EQ(error_of([] { read_table("/no/such/data.csv", {}); }),
            "table not found: /no/such/data.csv");
}

TEST(Table, HeaderOnlyIsAnError) {
  TempDir dir;
  const std::string path = dir.write("empty.csv", "id,text,label\n");
  EXPECT_EQ(error_of([&] { read_table(path, {}); }), path + ": no records");
}
