// What the benchmark programs share: "--name value" flags with defaults, --help, the shared
// folder, and the two model shapes they time.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "model/distilbert_config.h"

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

// --shared, else $BERTGRID_SHARED, else ../shared.
inline std::string shared_dir(int argc, char** argv) {
  const char* env = std::getenv("BERTGRID_SHARED");
  return flag(argc, argv, "shared", env ? env : "../shared");
}

// "base": distilbert-base-uncased (HF's defaults); "tiny": dim 32, 2 layers, 4 heads, hidden 64.
inline model::DistilBertConfig shape_config(const std::string& shape) {
  model::DistilBertConfig c;
  if (shape == "tiny") {
    c.dim = 32;
    c.n_layers = 2;
    c.n_heads = 4;
    c.hidden_dim = 64;
  } else if (shape != "base") {
    throw Error("--shape must be tiny or base, got '" + shape + "'");
  }
  return c;
}

}  // namespace bertgrid::bench
