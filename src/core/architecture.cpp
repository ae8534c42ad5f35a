// The architecture's rules (see architecture.h).
#include "core/architecture.h"

#include <sstream>

#include "core/error.h"

namespace bertgrid {
namespace {

template <typename T>
std::string in_parens(T value) {
  std::ostringstream os;
  os << "(" << value << ")";
  return os.str();
}

}  // namespace

std::optional<ArchitectureFault> find_fault(const Architecture& a) {
  const std::pair<const char*, int64_t> sizes[] = {
      {"vocab_size", a.vocab_size},
      {"max_position_embeddings", a.max_position_embeddings},
      {"dim", a.dim},
      {"n_layers", a.n_layers},
      {"n_heads", a.n_heads},
      {"hidden_dim", a.hidden_dim},
      {"num_labels", a.num_labels}};
  for (const auto& [field, value] : sizes)
    if (value <= 0) return ArchitectureFault{field, in_parens(value) + " must be positive"};
  if (a.dim % a.n_heads != 0)
    return ArchitectureFault{
        "n_heads", in_parens(a.n_heads) + " must divide dim " + in_parens(a.dim) + " evenly"};
  const std::pair<const char*, double> dropouts[] = {
      {"dropout", a.dropout},
      {"attention_dropout", a.attention_dropout},
      {"seq_classif_dropout", a.seq_classif_dropout}};
  for (const auto& [field, value] : dropouts)
    if (!(value >= 0.0 && value < 1.0))
      return ArchitectureFault{field, in_parens(value) + " must be in [0, 1)"};
  if (!(a.initializer_range > 0.0))
    return ArchitectureFault{"initializer_range",
                             in_parens(a.initializer_range) + " must be positive"};
  if (a.pad_token_id < 0 || a.pad_token_id >= a.vocab_size)
    return ArchitectureFault{
        "pad_token_id",
        in_parens(a.pad_token_id) + " must be in [0, vocab_size " + in_parens(a.vocab_size) + ")"};
  return std::nullopt;
}

void validate(const Architecture& arch, const std::string& where) {
  if (auto fault = find_fault(arch))
    throw Error(where + ": " + fault->field + " " + fault->problem);
}

}  // namespace bertgrid
