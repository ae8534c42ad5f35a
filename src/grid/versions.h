// Versions of bertgrid and of the libraries it was built with and runs on, assembled from each
// floor's own report: one source for `bertgrid --version` and the manifest's "versions".
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bertgrid::grid {

struct VersionPart {
  std::string key;      // the manifest's key: "bertgrid", "commit", "libtorch", "mpi", ...
  std::string name;     // what --version calls it: "bertgrid", "commit", "libtorch", "MPI", ...
  std::string version;  // "none" for NCCL in a build without it
};

// bertgrid, its commit, libtorch, CUDA (builds with CUDA only), NCCL, MPI, HDF5, TOML++.
std::vector<VersionPart> library_versions();

std::string version_text(const std::vector<VersionPart>& parts);      // one "name version" a line
nlohmann::json versions_json(const std::vector<VersionPart>& parts);  // {key: version}

}  // namespace bertgrid::grid
