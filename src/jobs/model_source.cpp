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

model::DistilBertForSequenceClassification make_classifier(const RunConfig& cfg,
                                                           const model::DistilBertConfig& arch,
                                                           uint64_t init_seed,
                                                           std::string* report) {
  if (cfg.model.init == ModelInit::kPretrained) {
    auto loaded = model::load_pretrained(cfg.model.dir, init_seed);
    if (report) {
      report->clear();
      if (!loaded.unused.empty())
        *report += std::to_string(loaded.unused.size()) + " checkpoint tensors unused (e.g. " +
                   loaded.unused.front() + "). ";
      if (!loaded.newly_initialised.empty())
        *report += std::to_string(loaded.newly_initialised.size()) +
                   " tensors newly initialised (e.g. " + loaded.newly_initialised.front() + ").";
    }
    return loaded.model;
  }
  model::DistilBertForSequenceClassification m(arch);
  model::init_weights(*m, arch, init_seed);
  return m;
}

}  // namespace bertgrid::jobs
