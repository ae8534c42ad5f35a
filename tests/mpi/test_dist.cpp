// Run under mpirun with 1, 2 and 4 ranks (see tests/CMakeLists.txt).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <numeric>
#include <vector>

#include "core/error.h"
#include "dist/allreduce.h"
#include "dist/collectives.h"
#include "dist/world.h"

using namespace bertgrid::dist;

TEST(World, LocalRanksCoverTheNode) {
  World world(nullptr, nullptr);
  EXPECT_GE(world.size(), 1);
  EXPECT_LT(world.rank(), world.size());
  // One node in these tests: node-local ranks equal world ranks.
  EXPECT_EQ(world.local_size(), world.size());
  EXPECT_EQ(world.local_rank(), world.rank());
  EXPECT_FALSE(world.hostname().empty());
}

TEST(Group, SplitsIntoConsecutiveGroups) {
  World world(nullptr, nullptr);
  for (int per = 1; per <= world.size(); ++per) {
    if (world.size() % per != 0) {
      EXPECT_THROW(Group(world, per), bertgrid::Error);
      continue;
    }
    Group g(world, per);
    EXPECT_EQ(g.size(), per);
    EXPECT_EQ(g.count(), world.size() / per);
    EXPECT_EQ(g.index(), world.rank() / per);
    EXPECT_EQ(g.rank(), world.rank() % per);
  }
}

TEST(Allreduce, MpiSumsWithinEachGroupOnly) {
  World world(nullptr, nullptr);
  const int per = world.size() >= 2 ? 2 : 1;
  Group g(world, per);
  auto ar = make_mpi_allreduce(g.comm());
  EXPECT_EQ(ar->name(), "mpi");
  std::vector<float> buf(1000);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = float(world.rank() + 1) * float(i);
  ar->sum(buf.data(), buf.size());
  // Sum of (r + 1) over the group's world ranks r.
  float factor = 0;
  for (int r = g.index() * per; r < (g.index() + 1) * per; ++r) factor += float(r + 1);
  for (size_t i = 0; i < buf.size(); ++i) ASSERT_EQ(buf[i], factor * float(i)) << i;
}

TEST(Allreduce, NcclAvailabilityMatchesTheBuild) {
#ifdef BERTGRID_HAVE_NCCL
  EXPECT_TRUE(nccl_available());
#else
  EXPECT_FALSE(nccl_available());
  World world(nullptr, nullptr);
  EXPECT_THROW(make_nccl_allreduce(world.comm(), 0, nullptr), bertgrid::Error);
#endif
}

// On a GPU machine: a real NCCL sum over the world, one GPU per rank (NCCL refuses two ranks of
// one communicator on one GPU, so with more ranks than GPUs it is skipped). Without CUDA at run
// time (CI) it is skipped; the build still compiles and links the backend there.
TEST(Allreduce, NcclSumsOnTheGpus) {
  World world(nullptr, nullptr);
  if (!nccl_available() || !torch::cuda::is_available() ||
      world.size() > static_cast<int>(torch::cuda::device_count()))
    GTEST_SKIP() << "needs NCCL and one CUDA device per rank";
  const torch::Device device(torch::kCUDA, static_cast<c10::DeviceIndex>(world.rank()));
  auto ar = make_nccl_allreduce(world.comm(), world.rank(), nullptr);
  EXPECT_EQ(ar->name(), "nccl");
  const int64_t n = (1 << 20) + 3;
  auto buf = torch::arange(n, torch::TensorOptions().dtype(torch::kFloat32).device(device))
                 .mul_(static_cast<double>(world.rank() + 1));
  ar->sum(buf.data_ptr<float>(), static_cast<size_t>(n));
  const double factor = world.size() * (world.size() + 1) / 2.0;
  const auto expected = torch::arange(n, torch::kFloat32).mul_(factor);
  EXPECT_TRUE(torch::equal(buf.cpu(), expected));
}

TEST(Collectives, AgreeBroadcastAndGather) {
  World world(nullptr, nullptr);
  const int r = world.rank(), n = world.size();
  EXPECT_EQ(allreduce_max(world.comm(), r == n - 1 ? 7 : 0), 7);
  EXPECT_EQ(allreduce_sum(world.comm(), r + 1), int64_t(n) * (n + 1) / 2);
  EXPECT_EQ(broadcast_string(world.comm(), r == 0 ? "from zero" : "x"), "from zero");
  auto strings = gather_strings(world.comm(), std::string(size_t(r), 'a' + char(r)));
  auto floats = gather_floats(world.comm(), std::vector<float>(size_t(r + 1), float(r)));
  if (r == 0) {
    ASSERT_EQ(strings.size(), size_t(n));
    for (int i = 0; i < n; ++i) EXPECT_EQ(strings[i], std::string(size_t(i), 'a' + char(i)));
    ASSERT_EQ(floats.size(), size_t(n * (n + 1) / 2));
    EXPECT_EQ(floats.back(), float(n - 1));
  } else {
    EXPECT_TRUE(strings.empty());
    EXPECT_TRUE(floats.empty());
  }
}
