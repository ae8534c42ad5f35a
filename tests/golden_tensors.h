// Test-only: a minimal reader of the golden .safetensors files (F32 and I64 only), used by the
// model tests until the project's safetensors module (src/model/safetensors.h) is merged.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

namespace bertgrid::testing {

inline std::map<std::string, torch::Tensor> read_golden_tensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  uint64_t header_len = 0;
  in.read(reinterpret_cast<char*>(&header_len), 8);
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = nlohmann::json::parse(header);
  std::map<std::string, torch::Tensor> out;
  for (auto& [name, info] : j.items()) {
    if (name == "__metadata__") continue;
    const std::string dtype = info.at("dtype");
    std::vector<int64_t> shape = info.at("shape");
    const auto begin = info.at("data_offsets").at(0).get<size_t>();
    const auto end = info.at("data_offsets").at(1).get<size_t>();
    torch::ScalarType type;
    if (dtype == "F32") {
      type = torch::kFloat32;
    } else if (dtype == "I64") {
      type = torch::kInt64;
    } else {
      throw std::runtime_error(path + ": unsupported dtype " + dtype);
    }
    auto t = torch::empty(shape, type);
    if (static_cast<size_t>(t.nbytes()) != end - begin)
      throw std::runtime_error(path + ": bad size");
    std::memcpy(t.data_ptr(), data.data() + begin, end - begin);
    out[name] = t;
  }
  return out;
}

}  // namespace bertgrid::testing
