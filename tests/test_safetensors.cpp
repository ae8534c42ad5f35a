// Tests for model/safetensors: the HF golden files, round trips, HF-identical output, a Python
// cross-check.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "model/safetensors.h"
#include "tests/support.h"

namespace bertgrid::model {
namespace {

namespace fs = std::filesystem;

const std::string kShared = BERTGRID_SHARED_DIR;
const std::string kTinyModel = kShared + "/golden/tiny-distilbert/model.safetensors";
const std::string kForward = kShared + "/golden/forward.safetensors";

// Same dtype, shape and bytes (stricter than torch::equal: NaN payloads and -0 count).
bool bits_equal(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  if (a.numel() == 0) return true;  // data_ptr() may be null: memcmp(nullptr, ...) is UB
  auto ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.numel() * ca.element_size()) == 0;
}

// A fresh temp directory per test, removed afterwards.
class SafetensorsFiles : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return tmp_ / name; }
  testing::TempDir tmp_;
  const fs::path& dir_ = tmp_.path();
};

TEST(Safetensors, LoadsTinyModelNamesShapesInOffsetOrder) {
  // Names and shapes read independently from the header with python3 (json + struct), offset order.
  const std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected = {
      {"classifier.bias", {2}},
      {"classifier.weight", {2, 32}},
      {"distilbert.embeddings.LayerNorm.bias", {32}},
      {"distilbert.embeddings.LayerNorm.weight", {32}},
      {"distilbert.embeddings.position_embeddings.weight", {128, 32}},
      {"distilbert.embeddings.word_embeddings.weight", {30522, 32}},
      {"distilbert.transformer.layer.0.attention.k_lin.bias", {32}},
      {"distilbert.transformer.layer.0.attention.k_lin.weight", {32, 32}},
      {"distilbert.transformer.layer.0.attention.out_lin.bias", {32}},
      {"distilbert.transformer.layer.0.attention.out_lin.weight", {32, 32}},
      {"distilbert.transformer.layer.0.attention.q_lin.bias", {32}},
      {"distilbert.transformer.layer.0.attention.q_lin.weight", {32, 32}},
      {"distilbert.transformer.layer.0.attention.v_lin.bias", {32}},
      {"distilbert.transformer.layer.0.attention.v_lin.weight", {32, 32}},
      {"distilbert.transformer.layer.0.ffn.lin1.bias", {64}},
      {"distilbert.transformer.layer.0.ffn.lin1.weight", {64, 32}},
      {"distilbert.transformer.layer.0.ffn.lin2.bias", {32}},
      {"distilbert.transformer.layer.0.ffn.lin2.weight", {32, 64}},
      {"distilbert.transformer.layer.0.output_layer_norm.bias", {32}},
      {"distilbert.transformer.layer.0.output_layer_norm.weight", {32}},
      {"distilbert.transformer.layer.0.sa_layer_norm.bias", {32}},
      {"distilbert.transformer.layer.0.sa_layer_norm.weight", {32}},
      {"distilbert.transformer.layer.1.attention.k_lin.bias", {32}},
      {"distilbert.transformer.layer.1.attention.k_lin.weight", {32, 32}},
      {"distilbert.transformer.layer.1.attention.out_lin.bias", {32}},
      {"distilbert.transformer.layer.1.attention.out_lin.weight", {32, 32}},
      {"distilbert.transformer.layer.1.attention.q_lin.bias", {32}},
      {"distilbert.transformer.layer.1.attention.q_lin.weight", {32, 32}},
      {"distilbert.transformer.layer.1.attention.v_lin.bias", {32}},
      {"distilbert.transformer.layer.1.attention.v_lin.weight", {32, 32}},
      {"distilbert.transformer.layer.1.ffn.lin1.bias", {64}},
      {"distilbert.transformer.layer.1.ffn.lin1.weight", {64, 32}},
      {"distilbert.transformer.layer.1.ffn.lin2.bias", {32}},
      {"distilbert.transformer.layer.1.ffn.lin2.weight", {32, 64}},
      {"distilbert.transformer.layer.1.output_layer_norm.bias", {32}},
      {"distilbert.transformer.layer.1.output_layer_norm.weight", {32}},
      {"distilbert.transformer.layer.1.sa_layer_norm.bias", {32}},
      {"distilbert.transformer.layer.1.sa_layer_norm.weight", {32}},
      {"pre_classifier.bias", {32}},
      {"pre_classifier.weight", {32, 32}},
  };
  const SafetensorsFile f = load_safetensors(kTinyModel);
  ASSERT_EQ(f.tensors.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(f.tensors[i].first, expected[i].first) << "index " << i;
    EXPECT_EQ(f.tensors[i].second.sizes().vec(), expected[i].second) << expected[i].first;
    EXPECT_EQ(f.tensors[i].second.scalar_type(), torch::kFloat) << expected[i].first;
    EXPECT_TRUE(f.tensors[i].second.device().is_cpu());
  }
  EXPECT_EQ(f.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
}

TEST(Safetensors, TinyModelExactValues) {
  // Values printed by numpy (shortest round-trip float32 repr): exact equality.
  const SafetensorsFile f = load_safetensors(kTinyModel);
  const torch::Tensor* word = f.find("distilbert.embeddings.word_embeddings.weight");
  ASSERT_NE(word, nullptr);
  auto w = word->accessor<float, 2>();
  EXPECT_EQ(w[101][0], -0.023307215f);
  EXPECT_EQ(w[101][1], -0.0010622238f);
  EXPECT_EQ(w[101][2], 0.025211867f);
  EXPECT_EQ(w[101][3], 0.005596526f);
  const torch::Tensor* pre = f.find("pre_classifier.weight");
  ASSERT_NE(pre, nullptr);
  EXPECT_EQ((pre->accessor<float, 2>()[0][0]), -0.00044899023f);
  EXPECT_EQ((pre->accessor<float, 2>()[0][2]), 0.0071437857f);
  const torch::Tensor* lin2 = f.find("distilbert.transformer.layer.1.ffn.lin2.weight");
  ASSERT_NE(lin2, nullptr);
  EXPECT_EQ((lin2->accessor<float, 2>()[31][63]), 0.011684443f);
  EXPECT_TRUE(torch::equal(*f.find("classifier.bias"), torch::zeros({2})));
  EXPECT_TRUE(torch::equal(*f.find("distilbert.embeddings.LayerNorm.weight"), torch::ones({32})));
  EXPECT_EQ(f.find("no.such.tensor"), nullptr);
}

TEST(Safetensors, LoadsForwardGolden) {
  const SafetensorsFile f = load_safetensors(kForward);
  const std::vector<std::string> names = {"attention_mask",
                                          "input_ids",
                                          "labels",
                                          "hidden_state_0",
                                          "hidden_state_1",
                                          "hidden_state_2",
                                          "logits",
                                          "pooled_CLS",
                                          "pooled_LAST2_MAX",
                                          "pooled_LAST2_MAX_unmasked_seed",
                                          "pooled_LAST2_MEAN",
                                          "pooled_LAST2_MEAN_unmasked_seed",
                                          "pooled_LAST_MAX",
                                          "pooled_LAST_MAX_unmasked_seed",
                                          "pooled_LAST_MEAN",
                                          "pooled_LAST_MEAN_unmasked_seed"};
  ASSERT_EQ(f.tensors.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(f.tensors[i].first, names[i]);
  EXPECT_TRUE(f.metadata.empty());  // this file has no "__metadata__"

  const torch::Tensor& ids = *f.find("input_ids");
  ASSERT_EQ(ids.scalar_type(), torch::kLong);
  ASSERT_EQ(ids.sizes().vec(), (std::vector<std::int64_t>{8, 65}));
  std::vector<std::int64_t> row0 = {
      101,  1999, 2344, 2000, 2393,  3623, 1996, 19271, 2015,  22956, 1010, 2009, 2052, 2022,
      2307, 2065, 2035, 4040, 12792, 2545, 2040, 2018,  7858,  6115,  1010, 2071, 4653, 1996,
      2206, 3793, 1999, 1996, 6412,  8378, 1997, 2037,  21345, 7858,  6876, 1012, 102};
  row0.resize(65, 0);
  EXPECT_TRUE(torch::equal(ids[0], torch::tensor(row0)));

  const torch::Tensor& mask = *f.find("attention_mask");
  EXPECT_EQ(mask.scalar_type(), torch::kLong);
  EXPECT_TRUE(torch::equal(
      mask.sum(1), torch::tensor(std::vector<std::int64_t>{41, 29, 29, 11, 65, 46, 20, 37})));
  EXPECT_TRUE(torch::equal(*f.find("labels"),
                           torch::tensor(std::vector<std::int64_t>{0, 1, 1, 0, 0, 1, 1, 1})));

  const torch::Tensor& logits = *f.find("logits");
  ASSERT_EQ(logits.sizes().vec(), (std::vector<std::int64_t>{8, 2}));
  EXPECT_EQ((logits.accessor<float, 2>()[0][0]), 0.009891873f);
  EXPECT_EQ((logits.accessor<float, 2>()[0][1]), 0.008719351f);
  const torch::Tensor& h2 = *f.find("hidden_state_2");
  ASSERT_EQ(h2.sizes().vec(), (std::vector<std::int64_t>{8, 65, 32}));
  auto h = h2.accessor<float, 3>();
  EXPECT_EQ(h[3][5][0], -0.1033034f);
  EXPECT_EQ(h[3][5][1], 0.29533616f);
  EXPECT_EQ(h[3][5][2], -1.4667519f);
  EXPECT_EQ(f.find("pooled_LAST_MEAN")->sizes().vec(), (std::vector<std::int64_t>{8, 32}));
}

TEST(Safetensors, TrainedStateDictsMatchTheTinyModelLayout) {
  // The training goldens hold the same 40 tensors (names, order, shapes), without "__metadata__".
  const SafetensorsFile start = load_safetensors(kTinyModel);
  for (const char* name : {"train_final.safetensors", "train_strong_final.safetensors"}) {
    const SafetensorsFile f = load_safetensors(kShared + "/golden/" + name);
    ASSERT_EQ(f.tensors.size(), start.tensors.size()) << name;
    for (std::size_t i = 0; i < f.tensors.size(); ++i) {
      EXPECT_EQ(f.tensors[i].first, start.tensors[i].first) << name;
      EXPECT_EQ(f.tensors[i].second.sizes(), start.tensors[i].second.sizes()) << name;
    }
    EXPECT_TRUE(f.metadata.empty()) << name;
    // Training moved the weights.
    EXPECT_FALSE(
        torch::equal(*f.find("pre_classifier.weight"), *start.find("pre_classifier.weight")))
        << name;
  }
}

// Every element bit pattern we can make, including NaNs, infinities, -0 and subnormals.
torch::Tensor random_bits(torch::ScalarType type, std::vector<std::int64_t> shape) {
  if (type == torch::kBool) return torch::randint(0, 2, shape).to(torch::kBool);
  const auto bytes = torch::elementSize(type);
  std::vector<std::int64_t> raw_shape = shape;
  raw_shape.push_back(static_cast<std::int64_t>(bytes));
  auto raw = torch::randint(0, 256, raw_shape).to(torch::kByte);
  return raw.view(type).reshape(shape);
}

class SafetensorsRoundTrip : public SafetensorsFiles,
                             public ::testing::WithParamInterface<torch::ScalarType> {};

TEST_P(SafetensorsRoundTrip, SaveThenLoadIsBitIdentical) {
  torch::manual_seed(7);
  const torch::ScalarType type = GetParam();
  std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"a.weight", random_bits(type, {3, 5})},       {"scalar", random_bits(type, {})},
      {"empty", random_bits(type, {0, 4})},          {"b.bias", random_bits(type, {7})},
      {"transposed", random_bits(type, {4, 6}).t()},  // non-contiguous: written contiguous
  };
  const std::string file = path("rt.safetensors");
  save_safetensors(file, tensors, {{"note", "round trip"}});
  const SafetensorsFile back = load_safetensors(file);
  ASSERT_EQ(back.tensors.size(), tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ(back.tensors[i].first, tensors[i].first);
    EXPECT_TRUE(bits_equal(back.tensors[i].second, tensors[i].second)) << tensors[i].first;
    EXPECT_TRUE(back.tensors[i].second.is_contiguous());
  }
  // torch::equal on a NaN-free tensor of this dtype, as model code would compare.
  torch::Tensor plain = torch::arange(12).reshape({3, 4}).to(type);
  save_safetensors(file, {{"plain", plain}});
  EXPECT_TRUE(torch::equal(load_safetensors(file).tensors.at(0).second, plain));
  EXPECT_EQ(load_safetensors(file).metadata,
            (std::map<std::string, std::string>{{"format", "pt"}}));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, SafetensorsRoundTrip,
                         ::testing::Values(torch::kFloat, torch::kHalf, torch::kBFloat16,
                                           torch::kDouble, torch::kLong, torch::kInt, torch::kShort,
                                           torch::kChar, torch::kByte, torch::kBool),
                         [](const auto& info) { return std::string(c10::toString(info.param)); });

TEST_F(SafetensorsFiles, SavedHeaderIsHfShaped) {
  const std::string file = path("h.safetensors");
  save_safetensors(file,
                   {{"w", torch::ones({2, 3}, torch::kFloat)},
                    {"h", torch::ones({5}, torch::kHalf)},
                    {"b", torch::ones({1, 1, 3}, torch::kBFloat16)}},
                   {{"step", "6"}});
  const std::string bytes = testing::read_file(file);
  ASSERT_GE(bytes.size(), 8u);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + n + 24 + 10 + 6);
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.rfind("{\"__metadata__\":{\"format\":\"pt\",\"step\":\"6\"},\"w\":", 0), 0u)
      << header;
  // Padded with fewer than 8 spaces after the closing brace.
  const std::size_t last = header.find_last_not_of(' ');
  EXPECT_EQ(header[last], '}');
  EXPECT_LT(header.size() - 1 - last, 8u);
  const auto j = nlohmann::json::parse(header);
  EXPECT_EQ(j["__metadata__"], nlohmann::json({{"format", "pt"}, {"step", "6"}}));
  EXPECT_EQ(j["w"]["dtype"], "F32");
  EXPECT_EQ(j["w"]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(j["w"]["data_offsets"], nlohmann::json({0, 24}));
  EXPECT_EQ(j["h"]["dtype"], "F16");
  EXPECT_EQ(j["h"]["data_offsets"], nlohmann::json({24, 34}));
  EXPECT_EQ(j["b"]["dtype"], "BF16");
  EXPECT_EQ(j["b"]["shape"], nlohmann::json({1, 1, 3}));
  EXPECT_EQ(j["b"]["data_offsets"], nlohmann::json({34, 40}));
  EXPECT_EQ(j.size(), 4u);
}

TEST_F(SafetensorsFiles, ResavingTinyModelReproducesHfFileByteForByte) {
  const SafetensorsFile f = load_safetensors(kTinyModel);
  const std::string file = path("model.safetensors");
  save_safetensors(file, f.tensors);
  const SafetensorsFile back = load_safetensors(file);
  ASSERT_EQ(back.tensors.size(), f.tensors.size());
  for (std::size_t i = 0; i < f.tensors.size(); ++i) {
    EXPECT_EQ(back.tensors[i].first, f.tensors[i].first);
    EXPECT_TRUE(torch::equal(back.tensors[i].second, f.tensors[i].second)) << f.tensors[i].first;
  }
  // HF writes the same compact header (metadata first, offset order) and padding.
  EXPECT_TRUE(testing::read_file(file) == testing::read_file(kTinyModel));
  EXPECT_TRUE(serialize_safetensors(f.tensors) == testing::read_file(kTinyModel));
}

TEST_F(SafetensorsFiles, SaveReplacesAtomicallyAndLeavesNoTempFiles) {
  const std::string file = path("m.safetensors");
  save_safetensors(file, {{"x", torch::zeros({4})}});
  save_safetensors(file, {{"y", torch::ones({2})}});
  const SafetensorsFile f = load_safetensors(file);
  ASSERT_EQ(f.tensors.size(), 1u);
  EXPECT_EQ(f.tensors[0].first, "y");
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(dir_))
    entries.push_back(e.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{"m.safetensors"});
}

TEST_F(SafetensorsFiles, SaveErrorsNameTheProblem) {
  auto message = [&](const std::vector<std::pair<std::string, torch::Tensor>>& t,
                     const std::map<std::string, std::string>& meta = {}) -> std::string {
    try {
      save_safetensors(path("e.safetensors"), t, meta);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(
      message({{"a", torch::ones(1)}, {"a", torch::ones(1)}}).find("duplicate tensor name \"a\""),
      std::string::npos);
  EXPECT_NE(message({{"c", torch::ones(2, torch::kComplexFloat)}})
                .find("tensor \"c\": cannot store dtype"),
            std::string::npos);
  EXPECT_NE(message({{"u", torch::Tensor()}}).find("tensor \"u\" is undefined"), std::string::npos);
  EXPECT_NE(message({{"__metadata__", torch::ones(1)}}).find("cannot be named"), std::string::npos);
  EXPECT_NE(message({{"a", torch::ones(1)}}, {{"format", "np"}}).find("\"format\" must be \"pt\""),
            std::string::npos);
  EXPECT_NE(message({{"a", torch::ones(1)}}).find("no error"), std::string::npos);
  const std::string missing_dir = path("no/such/dir/x.safetensors");
  try {
    save_safetensors(missing_dir, {{"a", torch::ones(1)}});
    ADD_FAILURE() << "saving into a missing folder did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing_dir), std::string::npos) << e.what();
  }
}

// An independent reader: json + numpy.frombuffer (BF16 widened to float32 by a 16-bit shift).
const char* kPythonReader = R"PY(
import json, struct, sys
import numpy as np
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
base = 8 + n
for name, info in header.items():
    if name == "__metadata__":
        print("meta", json.dumps(info, sort_keys=True))
        continue
    b, e = info["data_offsets"]
    raw = data[base + b:base + e]
    if info["dtype"] == "BF16":
        arr = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        arr = np.frombuffer(raw, {"F32": "<f4", "F16": "<f2", "I64": "<i8"}[info["dtype"]])
    arr = arr.reshape(info["shape"])
    print(name, info["dtype"], list(arr.shape), repr(float(arr.astype(np.float64).sum())))
)PY";

TEST_F(SafetensorsFiles, PythonNumpyReaderAgrees) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with numpy is not available";
  // Multiples of 1/8 in a small range: every sum is exact in float64, so sums compare exactly.
  auto eighths = [](std::int64_t n, std::int64_t offset) {
    return (torch::arange(n) - offset).to(torch::kDouble) / 8.0;
  };
  const std::string file = path("py.safetensors");
  save_safetensors(file,
                   {{"f32", eighths(12, 40).to(torch::kFloat).reshape({3, 4})},
                    {"f16", eighths(10, 3).to(torch::kHalf)},
                    {"bf16", eighths(6, 100).to(torch::kBFloat16).reshape({2, 3})},
                    {"ids", torch::arange(5, torch::kLong) * 1000000007}},
                   {{"origin", "test"}});
  std::ofstream(path("reader.py")) << kPythonReader;
  const std::string command = "/usr/bin/python3 " + path("reader.py") + " " + file;
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  ASSERT_EQ(::pclose(pipe), 0) << out;
  // Expected sums: f32 = sum(k-40, k<12)/8 = -414/8; f16 = (45-30)/8; bf16 = (15-600)/8; ids =
  // 10*1000000007.
  const std::string expected =
      "meta {\"format\": \"pt\", \"origin\": \"test\"}\n"
      "f32 F32 [3, 4] -51.75\n"
      "f16 F16 [10] 1.875\n"
      "bf16 BF16 [2, 3] -73.125\n"
      "ids I64 [5] 10000000070.0\n";
  EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace bertgrid::model
