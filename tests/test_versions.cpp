#include <gtest/gtest.h>
#include <torch/version.h>

#include <map>

#include "grid/versions.h"
#include "tests/support.h"

namespace bertgrid::grid {
namespace {

std::map<std::string, std::string> by_key() {
  std::map<std::string, std::string> out;
  for (const auto& p : library_versions()) out[p.key] = p.version;
  return out;
}

TEST(Versions, ReportsLinkedLibraries) {
  auto v = by_key();
  EXPECT_EQ(v.at("libtorch"), TORCH_VERSION);
  EXPECT_NE(v.at("mpi").find("MPI"), std::string::npos) << v.at("mpi");
  EXPECT_EQ(v.at("hdf5").rfind("1.", 0), 0u) << v.at("hdf5");
  EXPECT_EQ(v.at("tomlplusplus").rfind("3.", 0), 0u) << v.at("tomlplusplus");
  EXPECT_FALSE(v.at("bertgrid").empty());
  EXPECT_FALSE(v.at("commit").empty());
#ifndef BERTGRID_HAVE_NCCL
  EXPECT_EQ(v.at("nccl"), "none");
  EXPECT_EQ(v.count("cuda"), 0u);
#endif
}

// --version prints the same report the manifest records, one line a part.
TEST(Versions, VersionFlagPrintsTheManifestsReport) {
  testing::TempDir dir;
  const auto run = testing::run_bertgrid(dir, "--version");
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, version_text(library_versions()));
  const auto json = versions_json(library_versions());
  for (const auto& p : library_versions()) EXPECT_EQ(json.at(p.key), p.version);
}

}  // namespace
}  // namespace bertgrid::grid
