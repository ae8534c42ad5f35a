#include "grid/plan.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace bertgrid::grid {
namespace {

// Every combination of a section's lists, `strategy` fixed.
void expand(JobKind kind, const std::string& strategy, const TrainConfig& t,
            std::vector<jobs::JobSpec>& out) {
  for (auto epochs : t.epochs)
    for (auto batch : t.batch_size)
      for (auto lr : t.learning_rate)
        for (auto wd : t.weight_decay)
          for (auto warmup : t.warmup_steps)
            for (auto init_seed : t.init_seed)
              for (auto data_seed : t.data_seed) {
                jobs::JobSpec s = jobs::spec_from_config(kind, t);
                s.strategy = strategy;
                s.epochs = epochs;
                s.batch_size = batch;
                s.learning_rate = lr;
                s.weight_decay = wd;
                s.warmup_steps = warmup;
                s.init_seed = init_seed;
                s.data_seed = data_seed;
                s.job_id = jobs::make_job_id(s);
                out.push_back(s);
              }
}

}  // namespace

std::vector<jobs::JobSpec> expand_grid(const RunConfig& cfg) {
  std::vector<jobs::JobSpec> jobs;
  if (cfg.finetune_enabled) expand(JobKind::kFinetune, "", cfg.finetune, jobs);
  if (cfg.embeddings.enabled)
    for (const auto& strategy : cfg.embeddings.strategies)
      expand(JobKind::kHead, to_string(strategy), cfg.embeddings.head, jobs);
  return jobs;
}

double job_cost(const jobs::JobSpec& spec) {
  return static_cast<double>(spec.epochs) * (spec.kind == JobKind::kFinetune ? 1.0 : 0.01);
}

std::vector<int> assign_groups(const std::vector<jobs::JobSpec>& jobs, int n_groups) {
  std::vector<size_t> order(jobs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return job_cost(jobs[a]) > job_cost(jobs[b]); });
  std::vector<double> load(static_cast<size_t>(n_groups), 0.0);
  std::vector<int> group_of(jobs.size(), 0);
  for (size_t j : order) {
    const auto g = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    group_of[j] = g;
    load[static_cast<size_t>(g)] += job_cost(jobs[j]);
  }
  return group_of;
}

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  auto number = [&](const std::string& part) {
    if (part.empty() || part.size() > 6 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      throw Error("--shard: expected K/N with 0 <= K < N, got '" + text + "'");
    return std::stoi(part);
  };
  if (slash == std::string::npos)
    throw Error("--shard: expected K/N with 0 <= K < N, got '" + text + "'");
  Shard s{number(text.substr(0, slash)), number(text.substr(slash + 1))};
  if (s.count < 1 || s.index >= s.count)
    throw Error("--shard: expected K/N with 0 <= K < N, got '" + text + "'");
  return s;
}

std::string shard_dir_name(const Shard& shard) {
  return "shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count);
}

std::vector<jobs::JobSpec> shard_jobs(const std::vector<jobs::JobSpec>& jobs, const Shard& shard) {
  std::vector<jobs::JobSpec> out;
  for (size_t i = static_cast<size_t>(shard.index); i < jobs.size();
       i += static_cast<size_t>(shard.count))
    out.push_back(jobs[i]);
  return out;
}

}  // namespace bertgrid::grid
