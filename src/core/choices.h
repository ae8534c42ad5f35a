// The typed choices of a run: model initialisation, activation, pooling, padding, precision,
// device, the embedding strategies, and what a job is (kind, status, history entry kind). Code
// passes these enums; their names exist only here, and strings appear only where TOML, CSV, JSON or
// HDF5 attributes are read or written: to_string(choice) gives the name written, parse_choice /
// choice_from_string read it back.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace bertgrid {

enum class ModelInit {
  kPretrained,  // weights from an HF directory (model.dir)
  kRandom,      // weights drawn from the init seed, for a configured architecture
};

enum class Activation {
  kGelu,  // the exact (erf) form, as HF's "gelu"
  kRelu,
};

enum class PoolingMode {
  // MEAN/MAX over positions 1..T-1 whose attention_mask is 1: [SEP] included, [CLS] and padding
  // excluded. A sequence with no such position pools to zeros.
  kMasked,
  // The notebook's h[:, 1:].mean(1) / h[:, 1:].max(1): padding included.
  kNotebook,
};

enum class PaddingMode {
  kDynamic,  // each batch padded to its longest sequence
  kCorpus,   // every batch padded to the split's longest sequence (the notebook's choice)
};

enum class Precision {
  kFp32,
  kBf16,  // autocast: matrix products in bfloat16
};

// Packed batches: the sentences of a batch laid end to end in rows, attention kept within each
// sentence (model/packing.h), instead of each sentence padded to the batch's longest.
enum class Packing {
  kAuto,  // evaluations and the embedding stage packed (results change only by float rounding)
  kOn,    // training packed too (dropout masks then differ from a padded run's)
  kOff,   // nothing packed
};

enum class DeviceChoice {
  kAuto,  // a GPU when libtorch sees one, else the CPU
  kCpu,
  kCuda,  // an error without a usable GPU
};

// The five sentence-embedding strategies of the paper (see model/pooling.h).
enum class Strategy { CLS, LAST_MEAN, LAST_MAX, LAST2_MEAN, LAST2_MAX };

// A job of the grid: fine-tuning the whole model, or a head on frozen embeddings.
enum class JobKind { kFinetune, kHead };

// A job's state in its record: not yet run (or lost), done, failed (with its error), or stopped on
// request at a step boundary with a checkpoint to resume from.
enum class JobStatus { kPending, kOk, kFailed, kStopped };

// A line of a job's history: the training loss every `logging_steps` steps, or an evaluation.
enum class HistoryKind { kTrain, kEval };

constexpr int kNumStrategies = 5;
constexpr std::array<Strategy, kNumStrategies> kAllStrategies = {
    Strategy::CLS, Strategy::LAST_MEAN, Strategy::LAST_MAX, Strategy::LAST2_MEAN,
    Strategy::LAST2_MAX};

// Each choice's names, in enumerator order, and what a message calls it. Only the
// specialisations below have members.
template <typename E>
struct ChoiceNames {};

template <>
struct ChoiceNames<ModelInit> {
  static constexpr const char* kWhat = "model init";
  static constexpr std::array<const char*, 2> kNames = {"pretrained", "random"};
};
template <>
struct ChoiceNames<Activation> {
  static constexpr const char* kWhat = "activation";
  static constexpr std::array<const char*, 2> kNames = {"gelu", "relu"};
};
template <>
struct ChoiceNames<PoolingMode> {
  static constexpr const char* kWhat = "pooling";
  static constexpr std::array<const char*, 2> kNames = {"masked", "notebook"};
};
template <>
struct ChoiceNames<PaddingMode> {
  static constexpr const char* kWhat = "padding";
  static constexpr std::array<const char*, 2> kNames = {"dynamic", "corpus"};
};
template <>
struct ChoiceNames<Precision> {
  static constexpr const char* kWhat = "precision";
  static constexpr std::array<const char*, 2> kNames = {"fp32", "bf16"};
};
template <>
struct ChoiceNames<Packing> {
  static constexpr const char* kWhat = "packing";
  static constexpr std::array<const char*, 3> kNames = {"auto", "on", "off"};
};
template <>
struct ChoiceNames<DeviceChoice> {
  static constexpr const char* kWhat = "device";
  static constexpr std::array<const char*, 3> kNames = {"auto", "cpu", "cuda"};
};
template <>
struct ChoiceNames<Strategy> {
  static constexpr const char* kWhat = "strategy";
  static constexpr std::array<const char*, kNumStrategies> kNames = {"CLS", "LAST_MEAN", "LAST_MAX",
                                                                     "LAST2_MEAN", "LAST2_MAX"};
};

template <>
struct ChoiceNames<JobKind> {
  static constexpr const char* kWhat = "job kind";
  static constexpr std::array<const char*, 2> kNames = {"finetune", "head"};
};
template <>
struct ChoiceNames<JobStatus> {
  static constexpr const char* kWhat = "job status";
  static constexpr std::array<const char*, 4> kNames = {"pending", "ok", "failed", "stopped"};
};
template <>
struct ChoiceNames<HistoryKind> {
  static constexpr const char* kWhat = "history kind";
  static constexpr std::array<const char*, 2> kNames = {"train", "eval"};
};

template <typename E, typename = void>
struct IsChoice : std::false_type {};
template <typename E>
struct IsChoice<E, std::void_t<decltype(ChoiceNames<E>::kNames)>> : std::true_type {};
template <typename E>
using IfChoice = std::enable_if_t<IsChoice<E>::value>;

namespace detail {
// "\"a\" or \"b\"", "\"a\", \"b\" or \"c\"".
std::string quoted_alternatives(const char* const* names, std::size_t count);
[[noreturn]] void throw_unknown_choice(const char* what, std::string_view name,
                                       const char* const* names, std::size_t count);
}  // namespace detail

// The name written to files: "pretrained", "gelu", "masked", "fp32", "auto", "CLS", ...
template <typename E, typename = IfChoice<E>>
std::string to_string(E value) {
  return ChoiceNames<E>::kNames.at(static_cast<std::size_t>(value));
}

// The choice called `name` (exact, case-sensitive), or nullopt.
template <typename E, typename = IfChoice<E>>
std::optional<E> parse_choice(std::string_view name) {
  const auto& names = ChoiceNames<E>::kNames;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (name == names[i]) return static_cast<E>(i);
  return std::nullopt;
}

// The allowed names, quoted, for messages: "\"fp32\" or \"bf16\"".
template <typename E, typename = IfChoice<E>>
std::string allowed_names() {
  return detail::quoted_alternatives(ChoiceNames<E>::kNames.data(), ChoiceNames<E>::kNames.size());
}

// parse_choice, or bertgrid::Error: unknown precision "fp16" (must be "fp32" or "bf16").
template <typename E, typename = IfChoice<E>>
E choice_from_string(std::string_view name) {
  if (auto value = parse_choice<E>(name)) return *value;
  detail::throw_unknown_choice(ChoiceNames<E>::kWhat, name, ChoiceNames<E>::kNames.data(),
                               ChoiceNames<E>::kNames.size());
}

}  // namespace bertgrid
