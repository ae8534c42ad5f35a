// Comparing tensors against references in the tests: the largest absolute difference (shapes
// must agree), and numbers in scientific notation for failure messages.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>
#include <string>

namespace bertgrid::testing {

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<double>();
}

inline std::string sci(double v) {
  std::ostringstream os;
  os << std::scientific << v;
  return os.str();
}

}  // namespace bertgrid::testing
