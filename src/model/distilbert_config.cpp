// DistilBertConfig <-> HF config.json, and validation.
#include "model/distilbert_config.h"

#include "core/error.h"
#include "core/file_read.h"

namespace bertgrid::model {
namespace {

using nlohmann::json;

std::string type_name(const json& v) {
  return v.type_name();
}

void read_int(const json& j, const std::string& where, const char* key, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_number_integer()) {
    throw Error(where + ": key \"" + key + "\" must be an integer, got " + type_name(*it) + " " +
                it->dump());
  }
  out = it->get<int64_t>();
}

void read_double(const json& j, const std::string& where, const char* key, double& out) {
  auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_number()) {
    throw Error(where + ": key \"" + key + "\" must be a number, got " + type_name(*it) + " " +
                it->dump());
  }
  out = it->get<double>();
}

void read_string(const json& j, const std::string& where, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_string()) {
    throw Error(where + ": key \"" + key + "\" must be a string, got " + type_name(*it) + " " +
                it->dump());
  }
  out = it->get<std::string>();
}

void read_activation(const json& j, const std::string& where, Activation& out) {
  std::string name = to_string(out);
  read_string(j, where, "activation", name);
  if (auto activation = parse_choice<Activation>(name)) {
    out = *activation;
    return;
  }
  throw Error(where + ": key \"activation\" must be " + allowed_names<Activation>() + ", got \"" +
              name + "\"");
}

void read_bool(const json& j, const std::string& where, const char* key, bool& out) {
  auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_boolean()) {
    throw Error(where + ": key \"" + key + "\" must be true or false, got " + type_name(*it) + " " +
                it->dump());
  }
  out = it->get<bool>();
}

}  // namespace

DistilBertConfig from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": expected a JSON object, got " + type_name(j));
  DistilBertConfig c;
  read_int(j, where, "vocab_size", c.vocab_size);
  read_int(j, where, "max_position_embeddings", c.max_position_embeddings);
  read_int(j, where, "dim", c.dim);
  read_int(j, where, "n_layers", c.n_layers);
  read_int(j, where, "n_heads", c.n_heads);
  read_int(j, where, "hidden_dim", c.hidden_dim);
  read_double(j, where, "dropout", c.dropout);
  read_double(j, where, "attention_dropout", c.attention_dropout);
  read_double(j, where, "seq_classif_dropout", c.seq_classif_dropout);
  read_double(j, where, "initializer_range", c.initializer_range);
  read_activation(j, where, c.activation);
  read_bool(j, where, "sinusoidal_pos_embds", c.sinusoidal_pos_embds);
  read_int(j, where, "pad_token_id", c.pad_token_id);
  auto labels = j.find("id2label");
  if (labels != j.end()) {
    if (!labels->is_object()) {
      throw Error(where + ": key \"id2label\" must be an object, got " + type_name(*labels));
    }
    c.num_labels = static_cast<int64_t>(labels->size());
  }
  read_int(j, where, "num_labels", c.num_labels);
  validate(c, where);
  return c;
}

DistilBertConfig config_from_json_file(const std::string& path) {
  const std::string text = read_file(path, "the model config");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(path + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  } catch (const json::exception& e) {  // out_of_range: a number too large for a double
    throw Error(path + ": invalid JSON: " + e.what());
  }
  return from_json(j, path);
}

json to_json(const DistilBertConfig& c) {
  json id2label = json::object();
  json label2id = json::object();
  for (int64_t i = 0; i < c.num_labels; ++i) {
    const std::string name = "LABEL_" + std::to_string(i);
    id2label[std::to_string(i)] = name;
    label2id[name] = i;
  }
  return json{{"activation", to_string(c.activation)},
              {"architectures", json::array({"DistilBertForSequenceClassification"})},
              {"attention_dropout", c.attention_dropout},
              {"dim", c.dim},
              {"dropout", c.dropout},
              {"dtype", "float32"},
              {"hidden_dim", c.hidden_dim},
              {"id2label", id2label},
              {"initializer_range", c.initializer_range},
              {"label2id", label2id},
              {"max_position_embeddings", c.max_position_embeddings},
              {"model_type", "distilbert"},
              {"n_heads", c.n_heads},
              {"n_layers", c.n_layers},
              {"pad_token_id", c.pad_token_id},
              {"qa_dropout", 0.1},
              {"seq_classif_dropout", c.seq_classif_dropout},
              {"sinusoidal_pos_embds", c.sinusoidal_pos_embds},
              {"tie_word_embeddings", true},
              {"vocab_size", c.vocab_size}};
}

}  // namespace bertgrid::model
