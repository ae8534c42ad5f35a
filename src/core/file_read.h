// Reading a whole file into memory: the one reader for configs, vocabularies, tables, JSON and
// safetensors files.
#pragma once

#include <string>
#include <string_view>

namespace bertgrid {

// The bytes of the file at `path`, read to its end. Throws bertgrid::Error naming the path, what
// the file is (`what`, e.g. "the config file"; may be empty) and the system's reason:
// "runs/x/config.toml: cannot open the config file: No such file or directory".
std::string read_file(const std::string& path, std::string_view what = "");

}  // namespace bertgrid
