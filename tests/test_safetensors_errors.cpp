// Tests for model/safetensors: every malformed input is rejected with a message naming the file
// and, where there is one, the tensor at fault.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.h"
#include "model/safetensors.h"
#include "tests/support.h"

namespace bertgrid::model {
namespace {

namespace fs = std::filesystem;

const std::string kName = "bad.safetensors";

std::string u64_le(std::uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

// A file with the given header text and `buffer_size` zero bytes of data.
std::string file_with(const std::string& header, std::size_t buffer_size = 0) {
  return u64_le(header.size()) + header + std::string(buffer_size, '\0');
}

// The error message parse_safetensors gives, or "no error".
std::string parse_error(const std::string& bytes) {
  try {
    parse_safetensors(bytes, kName);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::string load_error(const std::string& path) {
  try {
    load_safetensors(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// Asserts that `message` starts with the file name and contains every part.
void expect_message(const std::string& message, const std::string& file,
                    const std::vector<std::string>& parts) {
  EXPECT_EQ(message.rfind(file + ": ", 0), 0u) << message;
  for (const auto& p : parts)
    EXPECT_NE(message.find(p), std::string::npos) << "missing '" << p << "' in: " << message;
}

class SafetensorsErrorFiles : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  testing::TempDir tmp_;
  const fs::path& dir_ = tmp_.path();
};

TEST_F(SafetensorsErrorFiles, MissingFile) {
  const std::string p = (dir_ / "absent.safetensors").string();
  expect_message(load_error(p), p, {"cannot open", "No such file or directory"});
}

TEST_F(SafetensorsErrorFiles, TruncatedBelowEightBytes) {
  const std::string p = write("short.safetensors", std::string("\x10\0\0\0\0", 5));
  expect_message(load_error(p), p, {"truncated file: 5 bytes"});
  const std::string empty = write("empty.safetensors", "");
  expect_message(load_error(empty), empty, {"truncated file: 0 bytes"});
}

TEST_F(SafetensorsErrorFiles, HeaderLengthPastEndOfFile) {
  const std::string p = write("cut.safetensors", u64_le(100) + std::string("{\"a\":1}"));
  expect_message(load_error(p), p, {"header length 100 goes past the end of the file (15 bytes"});
}

TEST(SafetensorsErrors, HugeHeaderLengthIsCapped) {
  expect_message(parse_error(u64_le(100'000'001) + "{}"), kName,
                 {"header length 100000001 exceeds the limit of 100000000 bytes"});
  expect_message(parse_error(u64_le(~0ULL) + "{}"), kName,
                 {"header length 18446744073709551615 exceeds"});
}

TEST(SafetensorsErrors, MalformedHeaderJson) {
  expect_message(parse_error(file_with("{\"a\": {\"dtype\": ")), kName,
                 {"malformed header JSON", "parse error"});
  expect_message(parse_error(file_with("")), kName, {"malformed header JSON"});
  expect_message(parse_error(file_with("{} trailing")), kName, {"malformed header JSON"});
  expect_message(parse_error(file_with("{\"\xff\": 1}")), kName,
                 {"malformed header JSON"});  // not UTF-8
  expect_message(parse_error(file_with("[1, 2]")), kName,
                 {"the header is not a JSON object: it is a JSON array"});
}

TEST(SafetensorsErrors, EntryMissingAField) {
  expect_message(parse_error(file_with(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4)),
                 kName, {"tensor \"w\": header entry has no \"dtype\""});
  expect_message(parse_error(file_with(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", 4)),
                 kName, {"tensor \"w\": header entry has no \"shape\""});
  expect_message(parse_error(file_with(R"({"w": {"dtype": "F32", "shape": [1]}})", 4)), kName,
                 {"tensor \"w\": header entry has no \"data_offsets\""});
}

TEST(SafetensorsErrors, EntryFieldsOfWrongType) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"w": [1, 2]})", "tensor \"w\": header entry is not a JSON object"},
      {R"({"w": {"dtype": 5, "shape": [1], "data_offsets": [0, 4]}})",
       "tensor \"w\": \"dtype\" is not a string: 5"},
      {R"({"w": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}})",
       "\"shape\" is not an array of non-negative integers: \"1\""},
      {R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
       "\"shape\" is not an array of non-negative integers: [-1]"},
      {R"({"w": {"dtype": "F32", "shape": [1.0], "data_offsets": [0, 4]}})",
       "\"shape\" is not an array of non-negative integers: [1.0]"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4]}})",
       "\"data_offsets\" is not an array of two non-negative integers: [4]"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, "4"]}})",
       "\"data_offsets\" is not an array of two non-negative integers"},
      {R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})",
       "\"data_offsets\" is not an array of two non-negative integers"},
      {R"({"__metadata__": ["format", "pt"]})", "\"__metadata__\" is not a JSON object"},
      {R"({"__metadata__": {"format": 1}})",
       "\"__metadata__\" value of \"format\" is not a string: 1"},
  };
  for (const auto& [header, part] : cases)
    expect_message(parse_error(file_with(header, 4)), kName, {part});
}

TEST(SafetensorsErrors, OffsetsPastTheBuffer) {
  expect_message(
      parse_error(
          file_with(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 8)),
      kName, {"tensor \"w\": data_offsets [4, 12] go past the end of the data buffer (8 bytes)"});
}

TEST(SafetensorsErrors, BeginAfterEnd) {
  expect_message(
      parse_error(file_with(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8)),
      kName, {"tensor \"w\": data_offsets [8, 4] have begin > end"});
}

TEST(SafetensorsErrors, ByteSizeDiffersFromShapeTimesItemsize) {
  expect_message(parse_error(file_with(
                     R"({"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}})", 24)),
                 kName,
                 {"tensor \"w\" (shape [2, 3], F32) has 20 bytes (data_offsets [0, 20]) but needs "
                  "24 = 6 elements x 4 bytes"});
  expect_message(
      parse_error(file_with(
          R"({"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 0]}})")),
      kName,
      {"tensor \"w\" (shape [4611686018427387904, 4], F32): the shape has too many elements"});
}

TEST(SafetensorsErrors, OverlappingTensorsNameBoth) {
  const std::string header = R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                             R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})";
  expect_message(parse_error(file_with(header, 12)), kName,
                 {"tensors \"a\" (data_offsets [0, 8]) and \"b\" (data_offsets [4, 12]) overlap"});
  // A tensor inside a longer one, listed first: still caught.
  const std::string nested = R"({"in": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]},)"
                             R"( "out": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]}})";
  expect_message(parse_error(file_with(nested, 8)), kName, {"\"out\"", "\"in\"", "overlap"});
}

TEST(SafetensorsErrors, UnknownDtypeIsNamed) {
  expect_message(parse_error(file_with(
                     R"({"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})", 1)),
                 kName,
                 {"tensor \"w\": unsupported dtype \"F8_E4M3\" (supported: F64, F32, F16, BF16"});
  expect_message(
      parse_error(file_with(R"({"w": {"dtype": "f32", "shape": [1], "data_offsets": [0, 4]}})", 4)),
      kName, {"unsupported dtype \"f32\""});
}

TEST(SafetensorsErrors, DuplicateNames) {
  const std::string header = R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},)"
                             R"( "w": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}})";
  expect_message(parse_error(file_with(header, 2)), kName, {"duplicate name \"w\" in the header"});
}

TEST(SafetensorsErrors, BoolBytesMustBeZeroOrOne) {
  std::string bytes =
      file_with(R"({"m": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}})", 3);
  bytes[bytes.size() - 2] = 7;
  expect_message(parse_error(bytes), kName, {"tensor \"m\" (BOOL): byte 1 is 7, not 0 or 1"});
}

TEST(SafetensorsErrors, ValidEdgeCasesAreAccepted) {
  // Empty tensors may sit anywhere (even inside another's range), gaps and trailing bytes are
  // tolerated, the header may be padded with spaces, and metadata is optional.
  const std::string header = R"({"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [2, 2]},)"
                             R"( "s": {"dtype": "I16", "shape": [], "data_offsets": [0, 2]},)"
                             R"( "t": {"dtype": "U8", "shape": [2], "data_offsets": [4, 6]}}   )";
  std::string bytes = file_with(header, 8);
  const std::size_t data = bytes.size() - 8;
  bytes[data + 0] = 0x34;
  bytes[data + 1] = 0x12;
  bytes[data + 4] = 9;
  bytes[data + 5] = static_cast<char>(200);
  const SafetensorsFile f = parse_safetensors(bytes, kName);
  ASSERT_EQ(f.tensors.size(), 3u);
  EXPECT_EQ(f.tensors[0].first, "s");
  EXPECT_EQ(f.tensors[0].second.dim(), 0);
  EXPECT_EQ(f.tensors[0].second.item<std::int16_t>(), 0x1234);
  EXPECT_EQ(f.tensors[1].first, "e");
  EXPECT_EQ(f.tensors[1].second.sizes().vec(), (std::vector<std::int64_t>{0, 3}));
  EXPECT_EQ(f.tensors[2].first, "t");
  EXPECT_TRUE(torch::equal(f.tensors[2].second, torch::tensor({9, 200}, torch::kByte)));
  EXPECT_TRUE(f.metadata.empty());
}

TEST(SafetensorsErrors, HugeDimensionsOfAnEmptyTensor) {
  // numel 0 whatever the other dimensions: accepted, no overflow in torch either.
  const SafetensorsFile f = parse_safetensors(
      file_with(
          R"({"e": {"dtype": "F32", "shape": [4611686018427387904, 0, 4611686018427387904], "data_offsets": [0, 0]}})"),
      kName);
  ASSERT_EQ(f.tensors.size(), 1u);
  EXPECT_EQ(f.tensors[0].second.numel(), 0);
}

TEST(SafetensorsErrors, MutatedFilesParseOrThrowError) {
  // A small fuzz: random byte edits and truncations of a valid file must either parse or throw
  // bertgrid::Error, never anything else. Counts both outcomes so the test sees each happen.
  const std::string valid =
      serialize_safetensors({{"a", torch::arange(6, torch::kFloat).reshape({2, 3})},
                             {"b", torch::ones({2}, torch::kBool)},
                             {"c", torch::zeros({0}, torch::kHalf)}},
                            {{"k", "v"}});
  std::mt19937 rng(1234);
  int parsed = 0, rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % bytes.size();
      const char* pool = "0123456789[]{}\",:-. e";
      bytes[at] = (rng() % 2) ? pool[rng() % 21] : static_cast<char>(rng() & 0xff);
    }
    if (rng() % 8 == 0) bytes.resize(rng() % bytes.size());
    try {
      parse_safetensors(bytes, kName);
      ++parsed;
    } catch (const Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "round " << round << ": non-bertgrid exception: " << e.what();
    }
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace bertgrid::model
