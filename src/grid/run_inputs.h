// What a run's results depend on besides its config: the bytes of every data file it read, of
// the vocab, and of a pretrained model's weights (a random initialisation is fixed by the config).
// A run records them in DIR/inputs.json when it starts; `--resume` and `merge` compare, so that
// no run continues on other data. Files are compared by their stable names (relative to the data
// folder), so a dataset moved elsewhere with the same content still matches.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/config.h"
#include "jobs/data.h"

namespace bertgrid::grid {

constexpr const char* kInputsFile = "inputs.json";

// Each input's SHA-256 by name: "dataset: <stable name>", "vocab", "weights".
struct RunInputs {
  std::map<std::string, std::string> digests;
};

RunInputs digest_inputs(const RunConfig& cfg, const jobs::PreparedData& data,
                        const std::string& data_dir);

nlohmann::json to_json(const RunInputs& inputs);
// DIR/inputs.json, or nullopt when there is none (a run made before bertgrid recorded them).
// Throws bertgrid::Error naming the file when it cannot be read.
std::optional<RunInputs> read_run_inputs(const std::string& dir);
void write_run_inputs(const std::string& dir, const RunInputs& inputs);

// What differs, e.g. "dataset: sampled_train/12834217_1.txt differs" or "dataset: 2 files
// fewer (first: sampled_test/1_1.txt)"; "" when they match.
std::string inputs_difference(const RunInputs& recorded, const RunInputs& now);

}  // namespace bertgrid::grid
