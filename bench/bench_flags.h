// Command-line flags of the benchmark programs: "--name value" pairs with defaults, and --help.
#pragma once

#include <cstdio>
#include <string>

namespace bertgrid::bench {

// The value after "--name", or `fallback` when the flag is absent.
inline std::string flag(int argc, char** argv, const std::string& name,
                        const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
  return fallback;
}

// Prints `usage` and answers true when --help or -h is among the arguments.
inline bool wants_help(int argc, char** argv, const char* usage) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return true;
    }
  }
  return false;
}

}  // namespace bertgrid::bench
