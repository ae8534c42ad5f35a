// bertgrid::Error: the one exception type for bad input and failed operations.
// Messages name the file, key, line or value at fault, so a user can act on them alone.
#pragma once

#include <stdexcept>
#include <string>

namespace bertgrid {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace bertgrid
