// Reading and writing HuggingFace safetensors files (the weights format of HF model directories).
//
// Layout: an 8-byte little-endian u64 N, then N bytes of JSON header
//   {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"<key>": "<value>"}}   (metadata optional)
// then the data buffer; offsets are relative to the buffer start; tensors are row-major
// little-endian.
//
// The reader checks everything it is given (sizes, types, ranges, overlaps, duplicate names) and
// throws bertgrid::Error naming the file and the tensor at fault. Gaps between tensors and trailing
// bytes are tolerated; overlapping tensors are not. The writer produces what HF's
// `safetensors.torch.save_file` produces: compact JSON with "__metadata__" first, packed offsets,
// header padded with spaces to a multiple of 8 bytes. Supported dtypes: F64 F32 F16 BF16 I64 I32
// I16 I8 U8 BOOL.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bertgrid::model {

// HF's limit on the JSON header (safetensors' MAX_HEADER_SIZE): larger headers are rejected unread.
constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// The contents of one safetensors file.
struct SafetensorsFile {
  // In file order of their data offsets; CPU tensors that own their memory, dtype as stored
  // (F32 -> kFloat, F16 -> kHalf, BF16 -> kBFloat16, ...).
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  // The "__metadata__" entries (HF writes {"format": "pt"}); empty when the file has none.
  std::map<std::string, std::string> metadata;

  // The tensor called `name`, or nullptr when there is none.
  const torch::Tensor* find(const std::string& name) const;
};

// Parses a whole safetensors file held in memory. `name_for_errors` (usually the path) starts every
// error message. The tensors are copies: `bytes` may be freed afterwards.
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name_for_errors);

// Reads the whole file at `path` (core/file_read.h) and parses it.
SafetensorsFile load_safetensors(const std::string& path);

// The bytes of a safetensors file holding `tensors` (in the given order, offsets packed) with
// "__metadata__" = {"format": "pt"} plus `metadata`. Tensors may be on any device and
// non-contiguous.
std::string serialize_safetensors(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

// Streams the same bytes to `path` atomically and durably (core/atomic_file.h), without holding
// the whole file in memory.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace bertgrid::model
