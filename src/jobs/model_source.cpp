#include "jobs/model_source.h"

#include "model/hf_dir.h"

namespace bertgrid::jobs {

std::string vocab_path(const RunConfig& cfg) {
  return !cfg.model.vocab.empty() ? cfg.model.vocab : cfg.model.dir + "/vocab.txt";
}

model::DistilBertConfig model_config(const RunConfig& cfg, int64_t vocab_size) {
  if (cfg.model.init == "pretrained")
    return model::config_from_json_file(cfg.model.dir + "/config.json");
  model::DistilBertConfig c;
  c.vocab_size = vocab_size;
  c.dim = cfg.model.dim;
  c.n_layers = cfg.model.n_layers;
  c.n_heads = cfg.model.n_heads;
  c.hidden_dim = cfg.model.hidden_dim;
  c.max_position_embeddings = cfg.model.max_position_embeddings;
  c.dropout = cfg.model.dropout;
  c.attention_dropout = cfg.model.attention_dropout;
  c.seq_classif_dropout = cfg.model.seq_classif_dropout;
  c.activation = cfg.model.activation;
  model::validate(c, cfg.source + " [model]");
  return c;
}

model::DistilBertForSequenceClassification make_classifier(const RunConfig& cfg,
                                                           const model::DistilBertConfig& arch,
                                                           uint64_t init_seed,
                                                           std::string* report) {
  if (cfg.model.init == "pretrained") {
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
