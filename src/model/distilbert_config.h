// DistilBertConfig: HF's name for the architecture (core/architecture.h), whose fields copy HF's
// DistilBertConfig so that an HF config.json reads straight into it; reading it from and writing
// it to config.json. The rules it must follow are checked by bertgrid::validate.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/architecture.h"

namespace bertgrid::model {

using DistilBertConfig = Architecture;

// Reads the known keys of an HF config.json object (other keys are ignored, as HF writes many
// generic ones). num_labels comes from "num_labels" or else the size of "id2label". A key of the
// wrong type, or an unknown activation, is an error naming `where` and the key. The result is
// validated (bertgrid::validate).
DistilBertConfig from_json(const nlohmann::json& j, const std::string& where);

// Parses and validates the config.json at `path`; errors name the path.
DistilBertConfig config_from_json_file(const std::string& path);

// An HF-compatible config.json object (model_type "distilbert", architectures
// ["DistilBertForSequenceClassification"], id2label/label2id for num_labels labels).
nlohmann::json to_json(const DistilBertConfig& config);

}  // namespace bertgrid::model
