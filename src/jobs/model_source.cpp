#include "jobs/model_source.h"

#include "model/hf_dir.h"

namespace bertgrid::jobs {

std::string vocab_path(const RunConfig& cfg) {
  return !cfg.model.vocab.empty() ? cfg.model.vocab : cfg.model.dir + "/vocab.txt";
}

Architecture model_config(const RunConfig& cfg, int64_t vocab_size) {
  if (cfg.model.init == ModelInit::kPretrained)
    return model::config_from_json_file(cfg.model.dir + "/config.json");
  Architecture arch = cfg.model.arch;  // checked when the config was parsed
  arch.vocab_size = vocab_size;
  validate(arch, cfg.source + " [model]");  // the vocabulary must hold pad_token_id
  return arch;
}

namespace {

// A classifier's initial weights, in parameter order, and what loading them reported.
struct InitialWeights {
  std::string key;  // what they were made from
  std::vector<torch::Tensor> values;
  std::string report;
};

InitialWeights& last_initial_weights() {
  static InitialWeights weights;  // jobs run one after the other within a process
  return weights;
}

std::string initial_weights_key(const RunConfig& cfg, const model::DistilBertConfig& arch,
                                uint64_t init_seed) {
  return to_string(cfg.model.init) + "\n" + cfg.model.dir + "\n" + model::to_json(arch).dump() +
         "\n" + std::to_string(init_seed);
}

model::DistilBertForSequenceClassification made_classifier(const RunConfig& cfg,
                                                           const model::DistilBertConfig& arch,
                                                           uint64_t init_seed,
                                                           std::string& report) {
  if (cfg.model.init == ModelInit::kPretrained) {
    auto loaded = model::load_pretrained(cfg.model.dir, init_seed);
    if (!loaded.unused.empty())
      report += std::to_string(loaded.unused.size()) + " checkpoint tensors unused (e.g. " +
                loaded.unused.front() + "). ";
    if (!loaded.newly_initialised.empty())
      report += std::to_string(loaded.newly_initialised.size()) +
                " tensors newly initialised (e.g. " + loaded.newly_initialised.front() + ").";
    return loaded.model;
  }
  model::DistilBertForSequenceClassification m(arch);
  model::init_weights(*m, arch, init_seed);
  return m;
}

}  // namespace

model::DistilBertForSequenceClassification make_classifier(const RunConfig& cfg,
                                                           const model::DistilBertConfig& arch,
                                                           uint64_t init_seed,
                                                           std::string* report) {
  InitialWeights& last = last_initial_weights();
  const std::string key = initial_weights_key(cfg, arch, init_seed);
  torch::NoGradGuard no_grad;
  if (last.key == key) {
    model::DistilBertForSequenceClassification m(arch);
    const auto params = m->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(last.values.at(i));
    if (report) *report = last.report;
    return m;
  }
  last = InitialWeights{};  // a failed load leaves nothing behind
  std::string notes;
  auto m = made_classifier(cfg, arch, init_seed, notes);
  for (const auto& p : m->parameters()) last.values.push_back(p.detach().clone());
  last.report = notes;
  last.key = key;
  if (report) *report = notes;
  return m;
}

}  // namespace bertgrid::jobs
