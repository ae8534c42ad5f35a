// Loading and saving HF DistilBERT model directories (see hf_dir.h).
#include "model/hf_dir.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"
#include "model/safetensors.h"

namespace bertgrid::model {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrefix = "distilbert.";

std::string shape_string(torch::IntArrayRef sizes) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < sizes.size(); ++i) os << (i ? ", " : "") << sizes[i];
  os << "]";
  return os.str();
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string conversion_hint(const std::string& dir) {
  return dir +
         ": has pytorch_model.bin but no model.safetensors; bertgrid reads "
         "safetensors only. "
         "Convert it once with Python:\n"
         "  import torch; from safetensors.torch import save_file\n"
         "  sd = torch.load(\"" +
         dir +
         "/pytorch_model.bin\", map_location=\"cpu\")\n"
         "  save_file({k: v.clone().contiguous() for k, v in sd.items()}, \"" +
         dir +
         "/model.safetensors\", metadata={\"format\": \"pt\"})\n"
         "(or load it with transformers and call save_pretrained(dir, "
         "safe_serialization=True))";
}

}  // namespace

LoadedModel load_pretrained(const std::string& dir, uint64_t init_seed) {
  const fs::path root(dir);
  const fs::path weights_path = root / "model.safetensors";
  if (!fs::is_directory(root)) throw Error(dir + ": not a directory");
  if (!fs::exists(weights_path)) {
    if (fs::exists(root / "pytorch_model.bin")) throw Error(conversion_hint(dir));
    throw Error(dir + ": no model.safetensors");
  }

  LoadedModel out;
  out.config = config_from_json_file((root / "config.json").string());
  out.model = DistilBertForSequenceClassification(out.config);

  auto params = out.model->named_parameters(/*recurse=*/true);
  const SafetensorsFile file = load_safetensors(weights_path.string());
  const std::string where = weights_path.string();

  std::map<std::string, std::string> source_of;  // our parameter name -> file tensor name
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : file.tensors) {
    std::string target;
    if (params.contains(name)) {
      target = name;
    } else if (params.contains(kPrefix + name)) {
      target = kPrefix + name;
    } else {
      out.unused.push_back(name);
      continue;
    }
    auto inserted = source_of.emplace(target, name);
    if (!inserted.second) {
      throw Error(where + ": tensors \"" + inserted.first->second + "\" and \"" + name +
                  "\" both map to " + target);
    }
    auto& param = params[target];
    if (param.sizes() != tensor.sizes()) {
      throw Error(where + ": tensor \"" + name + "\" has shape " + shape_string(tensor.sizes()) +
                  " but the model's " + target + " has shape " + shape_string(param.sizes()));
    }
    if (!tensor.is_floating_point()) {
      throw Error(where + ": tensor \"" + name + "\" has non-floating dtype " +
                  std::string(c10::toString(tensor.scalar_type())));
    }
    param.copy_(tensor.to(torch::kFloat32));
  }

  bool init_pre_classifier = false;
  bool init_classifier = false;
  for (const auto& p : params) {
    if (source_of.count(p.key())) continue;
    if (starts_with(p.key(), kPrefix)) {
      const bool sinusoidal_positions =
          out.config.sinusoidal_pos_embds &&
          p.key() == "distilbert.embeddings.position_embeddings.weight";
      if (sinusoidal_positions) continue;  // filled at construction, frozen
      throw Error(where + ": missing tensor \"" + p.key() + "\" (also looked for \"" +
                  p.key().substr(std::string(kPrefix).size()) + "\")");
    }
    (starts_with(p.key(), "pre_classifier.") ? init_pre_classifier : init_classifier) = true;
  }
  // A head module with any tensor missing is drawn whole, HF-style, in a fixed
  // order (pre_classifier, then classifier) from one generator seeded with init_seed.
  std::vector<torch::nn::Module*> to_init;
  if (init_pre_classifier) to_init.push_back(out.model->pre_classifier.get());
  if (init_classifier) to_init.push_back(out.model->classifier.get());
  if (!to_init.empty()) init_weights(to_init, out.config, init_seed);
  // A module drawn as a whole is reported whole (its loaded tensors, if any,
  // were overwritten).
  for (const auto& p : params) {
    const bool drawn = (init_pre_classifier && starts_with(p.key(), "pre_classifier.")) ||
                       (init_classifier && starts_with(p.key(), "classifier."));
    if (drawn) out.newly_initialised.push_back(p.key());
  }
  std::sort(out.unused.begin(), out.unused.end());
  std::sort(out.newly_initialised.begin(), out.newly_initialised.end());
  out.model->eval();
  return out;
}

void save_pretrained(const std::string& dir, DistilBertForSequenceClassification& model,
                     const DistilBertConfig& config, const std::string& vocab_path) {
  const fs::path root(dir);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw Error(dir + ": cannot create directory: " + ec.message());

  const std::string vocab = read_file(vocab_path, "the vocabulary");  // before writing anything

  write_file_atomic((root / "config.json").string(), to_json(config).dump(2) + "\n");

  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  {
    torch::NoGradGuard no_grad;
    for (const auto& p : model->named_parameters()) {
      tensors.emplace_back(p.key(),
                           p.value().detach().to(torch::kCPU, torch::kFloat32).contiguous());
    }
  }
  save_safetensors((root / "model.safetensors").string(), tensors);  // atomic, {"format": "pt"}

  write_file_atomic((root / "vocab.txt").string(), vocab);

  const nlohmann::json tokenizer_config = {
      {"tokenizer_class", "DistilBertTokenizer"},
      {"do_lower_case", true},
      {"model_max_length", 512},
      {"tokenize_chinese_chars", true},
      {"strip_accents", nullptr},
      {"cls_token", "[CLS]"},
      {"sep_token", "[SEP]"},
      {"pad_token", "[PAD]"},
      {"unk_token", "[UNK]"},
      {"mask_token", "[MASK]"},
  };
  write_file_atomic((root / "tokenizer_config.json").string(), tokenizer_config.dump(2) + "\n");
}

}  // namespace bertgrid::model
