// libFuzzer target: model::parse_safetensors on arbitrary bytes (header length, JSON header,
// tensor table, offsets). A file that parses must survive a write/read round trip unchanged.
#include <cstring>

#include "fuzz/fuzz_util.h"
#include "model/safetensors.h"

using namespace bertgrid;

namespace {

bool same_bytes(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  if (a.numel() == 0) return true;
  const auto ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.numel() * ca.element_size()) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  model::SafetensorsFile file;
  if (!fuzz::accepts([&] { file = model::parse_safetensors(fuzz::as_view(data, size), "fuzz"); }))
    return 0;
  // The writer always writes "format": "pt" itself (and refuses another value); the reader
  // accepts any metadata, so the round trip leaves "format" out.
  std::map<std::string, std::string> metadata = file.metadata;
  metadata.erase("format");
  const std::string again = model::serialize_safetensors(file.tensors, metadata);
  const model::SafetensorsFile back = model::parse_safetensors(again, "fuzz round trip");
  fuzz::require(back.tensors.size() == file.tensors.size(), "round trip keeps the tensor count");
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    fuzz::require(back.tensors[i].first == file.tensors[i].first, "round trip keeps names");
    fuzz::require(same_bytes(back.tensors[i].second, file.tensors[i].second),
                  "round trip keeps dtype, shape and bytes");
  }
  return 0;
}
