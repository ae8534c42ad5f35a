#include "core/versions.h"

#include <torch/version.h>

#ifndef BERTGRID_VERSION
#define BERTGRID_VERSION "unknown"
#endif
#ifndef BERTGRID_GIT_COMMIT
#define BERTGRID_GIT_COMMIT "unknown"
#endif

namespace bertgrid {

std::string bertgrid_version() {
  return BERTGRID_VERSION;
}

std::string bertgrid_commit() {
  return BERTGRID_GIT_COMMIT;
}

std::string libtorch_version() {
  return TORCH_VERSION;
}

}  // namespace bertgrid
