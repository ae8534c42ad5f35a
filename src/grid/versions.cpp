#include "grid/versions.h"

#include "core/config.h"
#include "core/versions.h"
#include "dist/library_version.h"
#include "io/library_version.h"

namespace bertgrid::grid {

std::vector<VersionPart> library_versions() {
  std::vector<VersionPart> parts = {{"bertgrid", "bertgrid", bertgrid_version()},
                                    {"commit", "commit", bertgrid_commit()},
                                    {"libtorch", "libtorch", libtorch_version()}};
  const std::string cuda = dist::cuda_runtime_version();
  if (!cuda.empty()) parts.push_back({"cuda", "CUDA runtime", cuda});
  parts.push_back({"nccl", "NCCL", dist::nccl_version()});
  parts.push_back({"mpi", "MPI", dist::mpi_library_version()});
  parts.push_back({"hdf5", "HDF5", io::hdf5_version()});
  parts.push_back({"tomlplusplus", "TOML++", tomlplusplus_version()});
  return parts;
}

std::string version_text(const std::vector<VersionPart>& parts) {
  std::string text;
  for (const auto& p : parts) text += p.name + " " + p.version + "\n";
  return text;
}

nlohmann::json versions_json(const std::vector<VersionPart>& parts) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& p : parts) j[p.key] = p.version;
  return j;
}

}  // namespace bertgrid::grid
