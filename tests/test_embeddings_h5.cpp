// Tests for io/embeddings_h5: bit-exact round trip, layout validation, and that h5py reads it.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <stdlib.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "io/embeddings_h5.h"
#include "tests/support.h"

namespace fs = std::filesystem;
using bertgrid::io::EmbeddingsFile;
using bertgrid::io::read_embeddings_h5;
using bertgrid::io::read_fingerprint;
using bertgrid::io::SplitEmbeddings;
using bertgrid::io::write_embeddings_h5;

namespace {

using bertgrid::testing::TempDir;

// Deterministic values including ones that only survive a bit-exact copy.
torch::Tensor values(int64_t rows, int64_t cols, float offset) {
  torch::Tensor t = torch::arange(rows * cols, torch::kFloat32).reshape({rows, cols});
  t = t * 0.1f + offset;
  if (rows > 1 && cols > 2) {
    t[0][0] = std::nextafter(1.0f, 2.0f);
    t[0][1] = -0.0f;
    t[1][2] = std::numeric_limits<float>::denorm_min();
  }
  return t;
}

EmbeddingsFile sample(int64_t train_rows = 3, int64_t test_rows = 2, int64_t dim = 4) {
  EmbeddingsFile f;
  f.attrs_str = {{"model", "distilbert-base-uncased"},
                 {"pooling", "masked"},
                 {"precision", "fp32"},
                 {"fingerprint", "sha256:abc123"}};
  f.attrs_int = {{"max_length", 128}};
  SplitEmbeddings train;
  for (int64_t i = 0; i < train_rows; ++i) {
    train.file_ids.push_back("1283421" + std::to_string(i) + "_1");
    train.labels.push_back(static_cast<int32_t>(i % 2));
  }
  train.by_strategy["CLS"] = values(train_rows, dim, 0.5f);
  train.by_strategy["LAST2_MAX"] = values(train_rows, dim, -3.25f);
  SplitEmbeddings test;
  for (int64_t i = 0; i < test_rows; ++i) {
    test.file_ids.push_back("t" + std::to_string(i));
    test.labels.push_back(1);
  }
  test.by_strategy["CLS"] = values(test_rows, dim, 7.0f);
  test.by_strategy["LAST2_MAX"] = values(test_rows, dim, 9.0f);
  f.splits = {{"train", train}, {"test", test}};
  return f;
}

template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const bertgrid::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected bertgrid::Error";
  return "";
}

// Opens a written file read-write with the raw C API, for building broken fixtures.
struct RawFile {
  explicit RawFile(const std::string& path) : id(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {
    EXPECT_GE(id, 0);
  }
  ~RawFile() { H5Fclose(id); }
  hid_t id;
};

void replace_dataset(const std::string& path, const char* name, hid_t type,
                     std::vector<hsize_t> dims) {
  RawFile f(path);
  ASSERT_GE(H5Ldelete(f.id, name, H5P_DEFAULT), 0);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dset = H5Dcreate2(f.id, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(dset, 0);
  H5Dclose(dset);
  H5Sclose(space);
}

std::string run(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  *status = pclose(pipe);
  return out;
}

}  // namespace

TEST(EmbeddingsH5, RoundTripIsBitExact) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  const EmbeddingsFile in = sample();
  write_embeddings_h5(path, in);
  EXPECT_EQ(dir.entries(), 1u);  // the temp file was renamed
  const EmbeddingsFile out = read_embeddings_h5(path);
  EXPECT_EQ(out.attrs_str, in.attrs_str);
  EXPECT_EQ(out.attrs_int, in.attrs_int);
  ASSERT_EQ(out.splits.size(), 2u);
  for (const auto& [name, split] : in.splits) {
    const SplitEmbeddings& got = out.splits.at(name);
    EXPECT_EQ(got.file_ids, split.file_ids) << name;
    EXPECT_EQ(got.labels, split.labels) << name;
    ASSERT_EQ(got.by_strategy.size(), split.by_strategy.size()) << name;
    for (const auto& [strategy, t] : split.by_strategy) {
      const torch::Tensor& r = got.by_strategy.at(strategy);
      ASSERT_EQ(r.sizes(), t.sizes()) << name << "/" << strategy;
      ASSERT_EQ(r.scalar_type(), torch::kFloat32);
      EXPECT_EQ(std::memcmp(r.data_ptr<float>(), t.data_ptr<float>(), t.numel() * sizeof(float)), 0)
          << name << "/" << strategy;
    }
  }
  // The signed zero and the denormal survived as bits.
  EXPECT_TRUE(std::signbit(out.splits.at("train").by_strategy.at("CLS")[0][1].item<float>()));
  EXPECT_EQ(out.splits.at("train").by_strategy.at("CLS")[1][2].item<float>(),
            std::numeric_limits<float>::denorm_min());
}

TEST(EmbeddingsH5, ReadsFingerprint) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  EXPECT_EQ(read_fingerprint(path), std::nullopt);  // missing file
  write_embeddings_h5(path, sample());
  EXPECT_EQ(read_fingerprint(path), std::optional<std::string>("sha256:abc123"));
  {
    RawFile f(path);
    ASSERT_GE(H5Adelete(f.id, "fingerprint"), 0);
  }
  EXPECT_EQ(read_fingerprint(path), std::nullopt);
  std::ofstream(dir / "junk.h5") << "not hdf5";
  EXPECT_EQ(read_fingerprint(dir / "junk.h5"), std::nullopt);
}

TEST(EmbeddingsH5, OverwritesAtomically) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  write_embeddings_h5(path, sample(3, 2));
  write_embeddings_h5(path, sample(5, 1));
  const EmbeddingsFile out = read_embeddings_h5(path);
  EXPECT_EQ(out.splits.at("train").labels.size(), 5u);
  EXPECT_EQ(out.splits.at("test").labels.size(), 1u);
  EXPECT_EQ(dir.entries(), 1u);
}

TEST(EmbeddingsH5, WriterRejectsMismatchedRowsAndLeavesNoFile) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  EmbeddingsFile f = sample();
  f.splits.at("train").by_strategy["CLS"] = values(4, 4, 0.0f);
  EXPECT_EQ(error_of([&] { write_embeddings_h5(path, f); }),
            path + ": /train/CLS has shape [4, 4] but there are 3 labels");
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(EmbeddingsH5, WriterRejectsWrongDtypeAndMissingAttribute) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  EmbeddingsFile f = sample();
  f.splits.at("test").by_strategy["CLS"] = values(2, 4, 0.0f).to(torch::kFloat64);
  EXPECT_EQ(error_of([&] { write_embeddings_h5(path, f); }),
            path + ": /test/CLS must be a 2-D float32 CPU tensor, got [2, 4] Double on cpu");
  f = sample();
  f.attrs_int.clear();
  EXPECT_EQ(error_of([&] { write_embeddings_h5(path, f); }),
            path + ": missing integer attribute 'max_length'");
  EXPECT_EQ(dir.entries(), 0u);
}

TEST(EmbeddingsH5, ReaderRejectsMismatchedRows) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  write_embeddings_h5(path, sample());
  replace_dataset(path, "/train/LAST2_MAX", H5T_IEEE_F32LE, {5, 4});
  EXPECT_EQ(
      error_of([&] { read_embeddings_h5(path); }),
      path + ": /train/LAST2_MAX has shape [5, 4] but " + path + ": /train/labels has shape [3]");
}

TEST(EmbeddingsH5, ReaderRejectsMismatchedFileIds) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  write_embeddings_h5(path, sample());
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 8);
  replace_dataset(path, "/test/file_ids", str, {3});
  H5Tclose(str);
  EXPECT_EQ(error_of([&] { read_embeddings_h5(path); }),
            path + ": /test/file_ids has shape [3] but /test/labels has shape [2]");
}

TEST(EmbeddingsH5, ReaderRejectsMissingDataset) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  write_embeddings_h5(path, sample());
  {
    RawFile f(path);
    ASSERT_GE(H5Ldelete(f.id, "/test/labels", H5P_DEFAULT), 0);
  }
  EXPECT_EQ(error_of([&] { read_embeddings_h5(path); }), path + ": /test/labels is missing");
}

TEST(EmbeddingsH5, ReaderRejectsStrategyMissingFromOneSplit) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  write_embeddings_h5(path, sample());
  {
    RawFile f(path);
    ASSERT_GE(H5Ldelete(f.id, "/train/CLS", H5P_DEFAULT), 0);
  }
  EXPECT_EQ(error_of([&] { read_embeddings_h5(path); }),
            path + ": /train/CLS is missing (present in /test)");
}

TEST(EmbeddingsH5, ReaderRejectsWrongDtype) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  write_embeddings_h5(path, sample());
  replace_dataset(path, "/train/CLS", H5T_IEEE_F64LE, {3, 4});
  EXPECT_EQ(error_of([&] { read_embeddings_h5(path); }),
            path + ": /train/CLS has type float64, expected float32");
  replace_dataset(path, "/train/CLS", H5T_IEEE_F32LE, {3, 4, 1});
  EXPECT_EQ(error_of([&] { read_embeddings_h5(path); }),
            path + ": /train/CLS has shape [3, 4, 1], expected 2-D");
  replace_dataset(path, "/train/CLS", H5T_IEEE_F32LE, {3, 4});
  replace_dataset(path, "/train/labels", H5T_STD_I64LE, {3});
  EXPECT_EQ(error_of([&] { read_embeddings_h5(path); }),
            path + ": /train/labels has type int64, expected int32");
}

TEST(EmbeddingsH5, ReaderRejectsMissingAttribute) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  write_embeddings_h5(path, sample());
  {
    RawFile f(path);
    ASSERT_GE(H5Adelete(f.id, "precision"), 0);
  }
  EXPECT_EQ(error_of([&] { read_embeddings_h5(path); }),
            path + ": missing root attribute 'precision' (a string)");
}

TEST(EmbeddingsH5, ReaderRejectsNonHdf5File) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  std::ofstream(path) << "file_id,label\n";
  const std::string msg = error_of([&] { read_embeddings_h5(path); });
  EXPECT_EQ(msg.rfind(path + ": cannot open as HDF5", 0), 0u) << msg;
  EXPECT_NE(msg.find("signature"), std::string::npos) << msg;  // HDF5's reason is passed on
  EXPECT_EQ(error_of([&] { read_embeddings_h5(dir / "absent.h5"); }),
            "embeddings file not found: " + dir / "absent.h5");
}

TEST(EmbeddingsH5, ReaderRejectsTruncatedFile) {
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  write_embeddings_h5(path, sample(200, 50, 64));
  const auto size = fs::file_size(path);
  fs::resize_file(path, size / 2);
  const std::string msg = error_of([&] { read_embeddings_h5(path); });
  EXPECT_EQ(msg.rfind(path + ": cannot open as HDF5", 0), 0u) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(EmbeddingsH5, H5pyReadsLayout) {
  const std::string python = "/usr/bin/python3";
  int status = -1;
  run(python + " -c 'import h5py' 2>/dev/null", &status);
  if (status != 0) GTEST_SKIP() << python << " has no h5py";
  TempDir dir;
  const std::string path = dir / "embeddings.h5";
  write_embeddings_h5(path, sample());
  const std::string script =
      "import sys, h5py\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "d = lambda x: x.decode() if isinstance(x, bytes) else x\n"
      "print(sorted(f.keys()), sorted(f['train'].keys()))\n"
      "print(f['train/CLS'].shape, f['train/CLS'].dtype, f['test/LAST2_MAX'].shape)\n"
      "print(f['train/labels'].dtype, list(f['train/labels'][:]))\n"
      "print([d(x) for x in f['train/file_ids'][:]], d(f['test/file_ids'][1]))\n"
      "print(repr(float(f['train/CLS'][2, 3])), repr(float(f['test/LAST2_MAX'][1, 0])))\n"
      "print(d(f.attrs['model']), int(f.attrs['max_length']), d(f.attrs['pooling']),\n"
      "      d(f.attrs['precision']), d(f.attrs['fingerprint']))\n";
  const std::string script_path = dir / "check.py";
  std::ofstream(script_path) << script;
  const std::string out = run(python + " " + script_path + " " + path + " 2>&1", &status);
  ASSERT_EQ(status, 0) << out;
  // train/CLS[2,3] = 11 * 0.1 + 0.5 and test/LAST2_MAX[1,0] = 4 * 0.1 + 9 in float32.
  EXPECT_EQ(out,
            "['test', 'train'] ['CLS', 'LAST2_MAX', 'file_ids', 'labels']\n"
            "(3, 4) float32 (2, 4)\n"
            "int32 [0, 1, 0]\n"
            "['12834210_1', '12834211_1', '12834212_1'] t1\n"
            "1.600000023841858 9.399999618530273\n"
            "distilbert-base-uncased 128 masked fp32 sha256:abc123\n");
}
