// The golden training traces, replayed through `bertgrid replay` (the real training step):
// per-step loss, pre-clip grad norm and learning rate, and the final weights, against what
// HuggingFace Trainer semantics give in PyTorch (../shared/golden/README.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "model/safetensors.h"
#include "tests/support.h"

using namespace bertgrid::testing;

namespace {

struct Trace {
  const char* name;        // the trace: train_trace or train_strong
  const char* final_file;  // its final parameters
  double weight_tol;       // on the final parameters, absolute
  const char* packing;     // --packing: each step's sentences padded (off) or packed (on)
};

class GoldenReplay : public ::testing::TestWithParam<Trace> {};

std::string replay_args(const nlohmann::json& golden, const std::string& out,
                        const std::string& packing) {
  std::ostringstream args;
  args.precision(17);
  args << "replay --model " << shared_path("golden/tiny-distilbert") << " --batches "
       << shared_path("golden/forward.safetensors") << " --rows-per-step 4 --steps "
       << golden.at("total_steps").get<int>() << " --lr " << golden.at("lr").get<double>()
       << " --weight-decay " << golden.at("weight_decay").get<double>() << " --warmup-steps "
       << golden.at("warmup_steps").get<int>() << " --max-grad-norm "
       << golden.at("max_grad_norm").get<double>() << " --out " << out << " --packing " << packing;
  return args.str();
}

}  // namespace

TEST_P(GoldenReplay, StepsAndFinalWeightsMatchPyTorch) {
  const Trace trace = GetParam();
  const auto golden =
      nlohmann::json::parse(read_file(shared_path(std::string("golden/") + trace.name + ".json")));
  TempDir dir;
  const std::string final_path = dir / "final.safetensors";
  auto r = run_bertgrid(dir, replay_args(golden, final_path, trace.packing));
  ASSERT_EQ(r.status, 0) << r.err;

  // Per step: loss, grad norm before clipping, learning rate within 1e-5.
  std::istringstream lines(r.out);
  std::string line;
  size_t step = 0;
  const auto& expected = golden.at("trace");
  while (std::getline(lines, line)) {
    ASSERT_LT(step, expected.size()) << line;
    auto got = nlohmann::json::parse(line);
    const auto& want = expected[step];
    EXPECT_EQ(got.at("step"), want.at("step"));
    EXPECT_NEAR(got.at("loss").get<double>(), want.at("loss").get<double>(), 1e-5) << step;
    EXPECT_NEAR(got.at("grad_norm_preclip").get<double>(),
                want.at("grad_norm_preclip").get<double>(), 1e-5)
        << step;
    EXPECT_NEAR(got.at("lr").get<double>(), want.at("lr").get<double>(), 1e-5) << step;
    ++step;
  }
  EXPECT_EQ(step, expected.size());

  // Every final parameter, by HF name.
  auto want =
      bertgrid::model::load_safetensors(shared_path(std::string("golden/") + trace.final_file));
  auto got = bertgrid::model::load_safetensors(final_path);
  ASSERT_EQ(got.tensors.size(), want.tensors.size());
  double worst = 0;
  for (const auto& [name, tensor] : want.tensors) {
    const torch::Tensor* mine = got.find(name);
    ASSERT_NE(mine, nullptr) << name;
    ASSERT_EQ(mine->sizes(), tensor.sizes()) << name;
    const double diff = (*mine - tensor).abs().max().item<double>();
    EXPECT_LE(diff, trace.weight_tol) << name;
    worst = std::max(worst, diff);
  }
  std::cout << trace.name << ": max |param - golden| = " << worst << "\n";
}

INSTANTIATE_TEST_SUITE_P(
    Golden, GoldenReplay,
    ::testing::Values(Trace{"train_trace", "train_final.safetensors", 1e-5, "off"},
                      Trace{"train_strong", "train_strong_final.safetensors", 5e-5, "off"},
                      Trace{"train_trace", "train_final.safetensors", 1e-5, "on"},
                      Trace{"train_strong", "train_strong_final.safetensors", 5e-5, "on"}),
    [](const auto& info) {
      return std::string(info.param.name) + "_packing_" + info.param.packing;
    });

TEST(Replay, RejectsBatchesWithoutLabels) {
  TempDir dir;
  auto r = run_bertgrid(dir, "replay --model " + shared_path("golden/tiny-distilbert") +
                                 " --batches " + shared_path("golden/train_final.safetensors") +
                                 " --rows-per-step 4 --steps 1 --lr 1e-3 --weight-decay 0 "
                                 "--warmup-steps 0 --max-grad-norm 1");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no tensor 'input_ids'"), std::string::npos) << r.err;
}

TEST(Replay, MissingOptionIsNamed) {
  TempDir dir;
  auto r = run_bertgrid(dir, "replay --model " + shared_path("golden/tiny-distilbert"));
  EXPECT_EQ(r.status, 2);  // a usage error
  EXPECT_NE(r.err.find("--batches is required"), std::string::npos) << r.err;
}
