#include "core/versions.h"

#include <torch/version.h>

namespace bertgrid {

std::string bertgrid_version() {
  return "0.1.0";
}

std::string libtorch_version() {
  return TORCH_VERSION;
}

}  // namespace bertgrid
