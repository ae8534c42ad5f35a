#include "grid/run_inputs.h"

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"
#include "core/sha256.h"
#include "jobs/model_source.h"

namespace bertgrid::grid {
namespace {

std::string file_path(const std::string& dir) {
  return dir + "/" + kInputsFile;
}

// "dataset: a differs; vocab differs" for the names in both whose digests differ.
std::string changed(const RunInputs& recorded, const RunInputs& now) {
  std::vector<std::string> names;
  for (const auto& [name, digest] : recorded.digests) {
    const auto it = now.digests.find(name);
    if (it != now.digests.end() && it->second != digest) names.push_back(name);
  }
  std::string out;
  for (size_t i = 0; i < names.size() && i < 3; ++i) out += (i ? "; " : "") + names[i] + " differs";
  if (names.size() > 3) out += " (and " + std::to_string(names.size() - 3) + " more)";
  return out;
}

// "dataset: 2 files more (first: x)" for names in `a` but not `b`.
std::string extra(const RunInputs& a, const RunInputs& b, const char* word) {
  std::vector<std::string> names;
  for (const auto& [name, digest] : a.digests)
    if (!b.digests.count(name)) names.push_back(name);
  if (names.empty()) return "";
  return std::to_string(names.size()) + " input file(s) " + word + " (first: " + names.front() +
         ")";
}

}  // namespace

RunInputs digest_inputs(const RunConfig& cfg, const jobs::PreparedData& data,
                        const std::string& data_dir) {
  RunInputs inputs;
  for (const auto& [name, path] : jobs::data_files(cfg, data, data_dir))
    inputs.digests["dataset: " + name] = sha256_file_hex(path);
  inputs.digests["vocab"] = sha256_file_hex(jobs::vocab_path(cfg));
  if (cfg.model.init == ModelInit::kPretrained)
    inputs.digests["weights"] = sha256_file_hex(cfg.model.dir + "/model.safetensors");
  return inputs;
}

nlohmann::json to_json(const RunInputs& inputs) {
  return {{"sha256", inputs.digests}};
}

std::optional<RunInputs> read_run_inputs(const std::string& dir) {
  const std::string path = file_path(dir);
  if (!std::filesystem::exists(path)) return std::nullopt;
  const auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  RunInputs inputs;
  try {
    if (j.is_discarded()) throw Error("not valid JSON");
    inputs.digests = j.at("sha256").get<std::map<std::string, std::string>>();
  } catch (const std::exception& e) {
    throw Error(path + ": not a record of the run's inputs (" + e.what() +
                "); remove it to resume without checking them");
  }
  return inputs;
}

void write_run_inputs(const std::string& dir, const RunInputs& inputs) {
  write_file_atomic(file_path(dir), to_json(inputs).dump(1) + "\n");
}

std::string inputs_difference(const RunInputs& recorded, const RunInputs& now) {
  std::string out = changed(recorded, now);
  for (const std::string& part : {extra(now, recorded, "more"), extra(recorded, now, "fewer")})
    if (!part.empty()) out += (out.empty() ? "" : "; ") + part;
  return out;
}

}  // namespace bertgrid::grid
