#include "train/checkpoint.h"

#include "core/error.h"
#include "core/file_read.h"
#include "model/safetensors.h"

namespace bertgrid::train {
namespace {

constexpr const char* kMetaKey = "bertgrid_checkpoint";
constexpr int kFormatVersion = 1;

nlohmann::json history_to_json(const std::vector<HistoryEntry>& history) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : history)
    out.push_back({{"kind", to_string(h.kind)},
                   {"step", h.step},
                   {"epoch", h.epoch},
                   {"loss", h.loss},
                   {"lr", h.lr},
                   {"grad_norm", h.grad_norm}});
  return out;
}

std::vector<HistoryEntry> history_from_json(const nlohmann::json& j) {
  std::vector<HistoryEntry> out;
  for (const auto& h : j)
    out.push_back({choice_from_string<HistoryKind>(h.at("kind").get<std::string>()),
                   h.at("step").get<int64_t>(), h.at("epoch").get<double>(),
                   h.at("loss").get<double>(), h.at("lr").get<double>(),
                   h.at("grad_norm").get<double>()});
  return out;
}

torch::Tensor cpu_rng_state() {
  return at::detail::getDefaultCPUGenerator().get_state();
}

}  // namespace

void save_checkpoint(const std::string& path, Trainer& trainer, const nlohmann::json& job) {
  const auto& pos = trainer.position();
  const auto& adam = trainer.optimizer().state();
  nlohmann::json meta = {{"version", kFormatVersion},
                         {"step", pos.step},
                         {"epoch", pos.epoch},
                         {"batch", pos.batch},
                         {"loss_since_log", pos.loss_since_log},
                         {"steps_since_log", pos.steps_since_log},
                         {"adam_step", adam.step},
                         {"local_examples", trainer.local_examples()},
                         {"history", history_to_json(trainer.history())},
                         {"job", job}};
  model::save_safetensors(path,
                          {{"params", trainer.flat().params()},
                           {"exp_avg", adam.exp_avg},
                           {"exp_avg_sq", adam.exp_avg_sq},
                           {"rng_cpu", cpu_rng_state()}},
                          {{kMetaKey, meta.dump()}});
}

namespace {

// The file parsed; damage (not an I/O error) throws CorruptCheckpoint.
model::SafetensorsFile parse_checkpoint_file(const std::string& path) {
  const std::string bytes = read_file(path, "checkpoint");
  try {
    return model::parse_safetensors(bytes, path);
  } catch (const Error& e) {
    throw CorruptCheckpoint(e.what());
  }
}

}  // namespace

nlohmann::json load_checkpoint(const std::string& path, Trainer& trainer) {
  auto file = parse_checkpoint_file(path);
  auto it = file.metadata.find(kMetaKey);
  if (it == file.metadata.end())
    throw CorruptCheckpoint(path + ": not a bertgrid checkpoint (no metadata)");
  auto tensor = [&](const char* name) {
    const torch::Tensor* t = file.find(name);
    if (!t) throw CorruptCheckpoint(path + ": checkpoint has no tensor '" + name + "'");
    return *t;
  };
  try {
    const auto meta = nlohmann::json::parse(it->second);
    if (meta.at("version").get<int>() != kFormatVersion)
      throw Error(path + ": checkpoint format " + meta.at("version").dump() + ", expected " +
                  std::to_string(kFormatVersion));
    torch::Tensor params = tensor("params");
    if (params.numel() != trainer.flat().numel())
      throw CorruptCheckpoint(path + ": checkpoint holds " + std::to_string(params.numel()) +
                              " parameters, the model has " +
                              std::to_string(trainer.flat().numel()));
    {
      torch::NoGradGuard no_grad;
      trainer.flat().params().copy_(params);
    }
    AdamWState adam;
    adam.exp_avg = tensor("exp_avg");
    adam.exp_avg_sq = tensor("exp_avg_sq");
    adam.step = meta.at("adam_step").get<int64_t>();
    trainer.optimizer().load_state(adam);
    at::Generator cpu = at::detail::getDefaultCPUGenerator();  // a handle on the global one
    cpu.set_state(tensor("rng_cpu"));
    TrainerPosition pos;
    pos.step = meta.at("step").get<int64_t>();
    pos.epoch = meta.at("epoch").get<int64_t>();
    pos.batch = meta.at("batch").get<int64_t>();
    pos.loss_since_log = meta.at("loss_since_log").get<double>();
    pos.steps_since_log = meta.at("steps_since_log").get<int64_t>();
    trainer.restore(pos, history_from_json(meta.at("history")),
                    meta.at("local_examples").get<int64_t>());
    return meta.at("job");
  } catch (const nlohmann::json::exception& e) {
    throw CorruptCheckpoint(path + ": bad checkpoint metadata: " + e.what());
  }
}

}  // namespace bertgrid::train
