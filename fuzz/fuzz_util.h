// Helpers shared by the libFuzzer targets: the one rule every target enforces (a bertgrid::Error
// is a clean rejection; any other exception escapes and libFuzzer reports it as a crash), and a
// per-process scratch folder for targets whose entry point takes a path.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/error.h"

namespace bertgrid::fuzz {

// Runs `body`; returns true when it finished, false when it threw bertgrid::Error.
template <typename F>
bool accepts(F&& body) {
  try {
    body();
    return true;
  } catch (const bertgrid::Error&) {
    return false;
  }
}

// Aborts (a libFuzzer crash with this input) when an invariant of a successful parse fails.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

// A file name inside this process's scratch folder (under $TMPDIR), created on first use.
inline std::string scratch_path(const std::string& name) {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("bertgrid-fuzz-" + std::to_string(static_cast<long>(::getpid())));
    std::filesystem::create_directories(d);
    return d;
  }();
  return (dir / name).string();
}

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  require(static_cast<bool>(out), "cannot write the scratch file");
}

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace bertgrid::fuzz
