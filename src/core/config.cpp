#include "core/config.h"

#include <toml++/toml.h>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/file_read.h"

namespace bertgrid {
namespace {

std::string where(const std::string& file, const toml::source_region& src) {
  std::ostringstream out;
  out << file << ":" << src.begin.line << ":" << src.begin.column;
  return out.str();
}

// "section.key" -> "file:line:column" of every key read, for messages about values.
using Positions = std::map<std::string, std::string>;

// Reads one TOML table, remembering which keys were consumed so that leftovers are errors.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string file, std::string path, Positions& positions)
      : table_(table), file_(std::move(file)), path_(std::move(path)), positions_(positions) {}

  // Every key of the table must have been read: a leftover is a typo or an unsupported option.
  void finish() const {
    for (const auto& [key, node] : table_) {
      std::string k(key.str());
      if (!seen_.count(k))
        throw Error(where(file_, key.source()) + ": unknown key '" + qualified(k) + "'");
    }
  }

  bool has(const std::string& key) const { return table_.contains(key); }

  template <typename T>
  void read(const std::string& key, T& out) {
    const toml::node* node = mark(key);
    if (node) out = convert<T>(*node, key);
  }

  template <typename T>
  void read_list(const std::string& key, std::vector<T>& out) {
    const toml::node* node = mark(key);
    if (!node) return;
    out.clear();
    if (const toml::array* arr = node->as_array()) {
      for (const auto& item : *arr) out.push_back(convert<T>(item, key));
      if (out.empty()) throw Error(at(*node) + ": '" + qualified(key) + "' is an empty list");
    } else {
      out.push_back(convert<T>(*node, key));
    }
  }

  const toml::table* sub_table(const std::string& key) {
    const toml::node* node = mark(key);
    if (!node) return nullptr;
    if (!node->is_table()) throw Error(at(*node) + ": '" + qualified(key) + "' must be a table");
    return node->as_table();
  }

  std::string qualified(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  std::string at(const toml::node& node) const { return where(file_, node.source()); }
  const std::string& file() const { return file_; }
  TableReader sub(const toml::table& table, const std::string& key) {
    return TableReader(table, file_, qualified(key), positions_);
  }

 private:
  const toml::node* mark(const std::string& key) {
    seen_.insert(key);
    const toml::node* node = table_.get(key);
    if (node) positions_[qualified(key)] = at(*node);
    return node;
  }

  template <typename T>
  T convert(const toml::node& node, const std::string& key) const {
    if constexpr (IsChoice<T>::value) {
      const std::string name = convert<std::string>(node, key);
      if (auto choice = parse_choice<T>(name)) return *choice;
      throw Error(at(node) + ": '" + qualified(key) + "' must be " + allowed_names<T>() +
                  ", not \"" + name + "\"");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node.value_exact<bool>()) return *v;
      throw type_error(node, key, "a boolean");
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node.value_exact<std::string>()) return *v;
      throw type_error(node, key, "a string");
    } else if constexpr (std::is_floating_point_v<T>) {
      if (auto v = node.value<double>(); v && (node.is_floating_point() || node.is_integer()))
        return static_cast<T>(*v);
      throw type_error(node, key, "a number");
    } else {
      static_assert(std::is_integral_v<T>);
      auto v = node.value_exact<int64_t>();
      if (!v) throw type_error(node, key, "an integer");
      if (std::is_unsigned_v<T> && *v < 0)
        throw Error(at(node) + ": '" + qualified(key) + "' must not be negative");
      return static_cast<T>(*v);
    }
  }

  Error type_error(const toml::node& node, const std::string& key, const char* want) const {
    std::ostringstream got;
    got << node.type();
    return Error(at(node) + ": '" + qualified(key) + "' must be " + want + ", not " + got.str());
  }

  const toml::table& table_;
  std::string file_;
  std::string path_;
  Positions& positions_;
  std::set<std::string> seen_;
};

void read_train(TableReader& r, TrainConfig& t) {
  r.read_list("epochs", t.epochs);
  r.read_list("batch_size", t.batch_size);
  r.read("eval_batch_size", t.eval_batch_size);
  r.read_list("learning_rate", t.learning_rate);
  r.read_list("weight_decay", t.weight_decay);
  r.read_list("warmup_steps", t.warmup_steps);
  if (r.has("warmup_ratio")) r.read("warmup_ratio", t.warmup_ratio.emplace());
  r.read("max_grad_norm", t.max_grad_norm);
  r.read_list("init_seed", t.init_seed);
  r.read_list("data_seed", t.data_seed);
  r.read("logging_steps", t.logging_steps);
  r.read("group_by_length", t.group_by_length);
}

// A name for a folder: letters, digits, '.', '_' and '-', starting with a letter or digit (so
// neither "..", "." nor a path), at most 100 characters.
bool is_plain_name(const std::string& name) {
  static const std::regex plain("[A-Za-z0-9][A-Za-z0-9._-]*");
  return name.size() <= 100 && std::regex_match(name, plain);
}

// Validation: each failed check names the key, its position in the file and the bad value.
class Checker {
 public:
  Checker(const std::string& file, const Positions& positions)
      : file_(file), positions_(positions) {}

  std::string at(const std::string& key) const {
    auto it = positions_.find(key);
    return it != positions_.end() ? it->second : file_;
  }
  void require(bool ok, const std::string& key, const std::string& rule) const {
    if (!ok) throw Error(at(key) + ": '" + key + "' " + rule);
  }
  template <typename T, typename Pred>
  void each(const std::vector<T>& xs, const std::string& key, Pred ok,
            const std::string& rule) const {
    for (const auto& x : xs) {
      if (ok(x)) continue;
      std::ostringstream msg;
      msg << at(key) << ": '" << key << "' has " << x << ": " << rule;
      throw Error(msg.str());
    }
  }

 private:
  const std::string& file_;
  const Positions& positions_;
};

void validate_train(const TrainConfig& t, const Checker& c, const std::string& s) {
  auto positive = [](auto x) { return x > 0; };
  auto non_negative = [](auto x) { return x >= 0; };
  c.require(!t.epochs.empty(), s + ".epochs", "is an empty list");
  c.each(t.epochs, s + ".epochs", positive, "must be positive");
  c.each(t.batch_size, s + ".batch_size", positive, "must be positive");
  c.each(t.learning_rate, s + ".learning_rate", positive, "must be positive");
  c.each(t.weight_decay, s + ".weight_decay", non_negative, "must not be negative");
  c.each(t.warmup_steps, s + ".warmup_steps", non_negative, "must not be negative");
  c.require(!t.warmup_ratio || (*t.warmup_ratio >= 0 && *t.warmup_ratio <= 1), s + ".warmup_ratio",
            "must be in [0, 1]");
  c.require(t.eval_batch_size > 0, s + ".eval_batch_size", "must be positive");
  c.require(t.max_grad_norm > 0, s + ".max_grad_norm", "must be positive");
  c.require(t.logging_steps > 0, s + ".logging_steps", "must be positive");
}

// The [model] section: the architecture's own rules (core/architecture), named as TOML keys.
void validate_model(const ModelConfig& m, const Checker& c) {
  c.require(m.init != ModelInit::kPretrained || !m.dir.empty(), "model.dir",
            "is required when model.init = \"pretrained\"");
  c.require(m.init != ModelInit::kRandom || !m.vocab.empty(), "model.vocab",
            "is required when model.init = \"random\"");
  if (auto fault = find_fault(m.arch)) c.require(false, "model." + fault->field, fault->problem);
}

void validate_embeddings(const EmbeddingConfig& e, const Checker& c) {
  validate_train(e.head, c, "embeddings");
  c.require(e.encode_batch_size > 0, "embeddings.encode_batch_size", "must be positive");
}

void validate_run(const RunSettings& r, const Checker& c) {
  c.require(r.ranks_per_job > 0, "run.ranks_per_job", "must be positive");
  c.require(r.threads_per_rank >= 0, "run.threads_per_rank", "must not be negative");
  c.require(r.stall_timeout > 0, "run.stall_timeout", "must be positive");
  c.require(r.lock_stale_after > 0, "run.lock_stale_after", "must be positive");
  c.require(r.pad_to_multiple_of > 0, "run.pad_to_multiple_of", "must be positive");
  c.require(!r.cuda_graphs || r.device != DeviceChoice::kCpu, "run.cuda_graphs",
            "needs a CUDA device, but run.device is \"cpu\"");
}

void validate(const RunConfig& cfg, const Checker& c) {
  c.require(!cfg.name.empty(), "name", "is required (it names the run directory)");
  c.require(is_plain_name(cfg.name), "name",
            "'" + cfg.name +
                "' is not a plain name: it names the run directory runs/<name>, so it must "
                "match ^[A-Za-z0-9][A-Za-z0-9._-]*$ and be at most 100 characters");
  validate_model(cfg.model, c);
  c.require(cfg.data.max_length >= 2, "data.max_length", "must be at least 2");
  c.require(cfg.data.validation_fraction >= 0 && cfg.data.validation_fraction < 1,
            "data.validation_fraction", "must be in [0, 1)");
  c.require(cfg.data.limit_train >= 0, "data.limit_train", "must not be negative");
  c.require(cfg.data.limit_test >= 0, "data.limit_test", "must not be negative");
  c.require(!cfg.data.labels.empty(), "data.labels", "must map at least one label");
  if (cfg.finetune_enabled) validate_train(cfg.finetune, c, "finetune");
  if (cfg.embeddings.enabled) validate_embeddings(cfg.embeddings, c);
  c.require(cfg.finetune_enabled || cfg.embeddings.enabled, "finetune.enabled",
            "and embeddings.enabled are both false: nothing to run");
  c.require(!cfg.embeddings.head.group_by_length, "embeddings.group_by_length",
            "does not apply: the heads train on embeddings, which have no length");
  validate_run(cfg.run, c);
}

void read_data(TableReader& d, DataConfig& data) {
  d.read("dir", data.dir);
  d.read("train_split", data.train_split);
  d.read("test_split", data.test_split);
  d.read("max_length", data.max_length);
  d.read("validation_fraction", data.validation_fraction);
  d.read("validation_seed", data.validation_seed);
  d.read("limit_train", data.limit_train);
  d.read("limit_test", data.limit_test);
  if (const auto* labels = d.sub_table("labels")) {
    data.labels.clear();
    TableReader l = d.sub(*labels, "labels");
    for (const auto& [key, node] : *labels) {
      int value = 0;
      l.read(std::string(key.str()), value);
      data.labels.emplace_back(std::string(key.str()), value);
    }
  }
}

void read_model(TableReader& m, ModelConfig& model) {
  m.read("init", model.init);
  m.read("dir", model.dir);
  m.read("vocab", model.vocab);
  Architecture& a = model.arch;
  m.read("dim", a.dim);
  m.read("n_layers", a.n_layers);
  m.read("n_heads", a.n_heads);
  m.read("hidden_dim", a.hidden_dim);
  m.read("max_position_embeddings", a.max_position_embeddings);
  m.read("dropout", a.dropout);
  m.read("attention_dropout", a.attention_dropout);
  m.read("seq_classif_dropout", a.seq_classif_dropout);
  m.read("activation", a.activation);
}

void read_finetune(TableReader& ft, RunConfig& c) {
  ft.read("enabled", c.finetune_enabled);
  read_train(ft, c.finetune);
}

void read_embeddings(TableReader& e, EmbeddingConfig& embeddings) {
  e.read("enabled", embeddings.enabled);
  e.read_list("strategies", embeddings.strategies);
  e.read("pooling", embeddings.pooling);
  e.read("padding", embeddings.padding);
  e.read("encode_batch_size", embeddings.encode_batch_size);
  read_train(e, embeddings.head);
}

void read_run(TableReader& u, RunSettings& run) {
  u.read("ranks_per_job", run.ranks_per_job);
  u.read("threads_per_rank", run.threads_per_rank);
  u.read("stall_timeout", run.stall_timeout);
  u.read("lock_stale_after", run.lock_stale_after);
  u.read("device", run.device);
  u.read("precision", run.precision);
  u.read("save_models", run.save_models);
  u.read("fused_adamw", run.fused_adamw);
  u.read("async_copies", run.async_copies);
  u.read("epoch_checkpoints", run.epoch_checkpoints);
  u.read("cuda_graphs", run.cuda_graphs);
  u.read("pad_to_multiple_of", run.pad_to_multiple_of);
  u.read("packing", run.packing);
}

// Reads the section `key` of the root, if present, with `read_section`; unknown keys are errors.
template <typename ReadSection>
void read_section(TableReader& root, const std::string& key, ReadSection read_section) {
  if (const auto* table = root.sub_table(key)) {
    TableReader section = root.sub(*table, key);
    read_section(section);
    section.finish();
  }
}

}  // namespace

RunConfig parse_run_config(const std::string& text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw Error(where(source_name, e.source()) + ": " + std::string(e.description()));
  }
  RunConfig c;
  c.source = source_name;
  c.text = text;
  c.finetune.epochs = {2, 3, 4};
  c.embeddings.head.epochs = {2};
  Positions positions;
  TableReader r(root, source_name, "", positions);
  r.read("name", c.name);
  read_section(r, "data", [&](TableReader& t) { read_data(t, c.data); });
  read_section(r, "model", [&](TableReader& t) { read_model(t, c.model); });
  read_section(r, "finetune", [&](TableReader& t) { read_finetune(t, c); });
  read_section(r, "embeddings", [&](TableReader& t) { read_embeddings(t, c.embeddings); });
  read_section(r, "run", [&](TableReader& t) { read_run(t, c.run); });
  r.finish();
  validate(c, Checker(source_name, positions));
  return c;
}

RunConfig load_run_config(const std::string& path) {
  RunConfig cfg = parse_run_config(read_file(path, "the config file"), path);
  // Relative paths in the file are relative to the file's own folder, wherever the run starts.
  const auto base = std::filesystem::path(path).parent_path();
  for (std::string* p : {&cfg.data.dir, &cfg.model.dir, &cfg.model.vocab})
    if (!p->empty() && std::filesystem::path(*p).is_relative())
      *p = (base / *p).lexically_normal().string();
  return cfg;
}

std::string tomlplusplus_version() {
  return std::to_string(TOML_LIB_MAJOR) + "." + std::to_string(TOML_LIB_MINOR) + "." +
         std::to_string(TOML_LIB_PATCH);
}

}  // namespace bertgrid
