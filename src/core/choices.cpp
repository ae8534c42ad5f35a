// Messages about the typed choices (see choices.h).
#include "core/choices.h"

#include "core/error.h"

namespace bertgrid::detail {

std::string quoted_alternatives(const char* const* names, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += i + 1 == count ? " or " : ", ";
    out += "\"" + std::string(names[i]) + "\"";
  }
  return out;
}

void throw_unknown_choice(const char* what, std::string_view name, const char* const* names,
                          std::size_t count) {
  throw Error("unknown " + std::string(what) + " \"" + std::string(name) + "\" (must be " +
              quoted_alternatives(names, count) + ")");
}

}  // namespace bertgrid::detail
