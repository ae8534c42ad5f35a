// libFuzzer target: config.json → model::config_from_json_file (via a scratch file) and
// model::from_json (the DistilBertConfig reader and validation) after nlohmann's own parse. A
// config that is accepted must round-trip through to_json.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "model/distilbert_config.h"

using namespace bertgrid;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The file entry point, whose own JSON parse must turn every nlohmann error into ours.
  const std::string path = fuzz::scratch_path("config.json");
  fuzz::write_file(path, fuzz::as_view(data, size));
  fuzz::accepts([&] { model::config_from_json_file(path); });

  const nlohmann::json j =
      nlohmann::json::parse(data, data + size, /*callback=*/nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;  // not JSON: nlohmann's parser is not ours to fuzz
  model::DistilBertConfig c;
  if (!fuzz::accepts([&] { c = model::from_json(j, "config.json"); })) return 0;
  const model::DistilBertConfig back = model::from_json(model::to_json(c), "round trip");
  fuzz::require(back.vocab_size == c.vocab_size && back.dim == c.dim &&
                    back.n_layers == c.n_layers && back.n_heads == c.n_heads &&
                    back.hidden_dim == c.hidden_dim && back.num_labels == c.num_labels &&
                    back.pad_token_id == c.pad_token_id && back.activation == c.activation,
                "config round trip keeps the architecture");
  return 0;
}
