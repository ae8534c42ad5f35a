#include "cli/args.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"

namespace bertgrid::cli {

Args::Args(const std::string& command, std::vector<OptionSpec> specs, int argc, char** argv,
           int first)
    : command_(command), specs_(std::move(specs)) {
  specs_.push_back({"help", false, "show this help and exit"});
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs_)
      if (s.name == name) spec = &s;
    if (!spec) throw Error("bertgrid " + command_ + ": unknown option --" + name + " (see --help)");
    if (!spec->takes_value) {
      if (inline_value) throw Error("bertgrid " + command_ + ": --" + name + " takes no value");
      values_[name] = "1";
    } else if (inline_value) {
      values_[name] = *inline_value;
    } else if (i + 1 < argc) {
      values_[name] = argv[++i];
    } else {
      throw Error("bertgrid " + command_ + ": --" + name + " needs a value");
    }
  }
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::require(const std::string& name) const {
  auto v = get(name);
  if (!v) throw Error("bertgrid " + command_ + ": --" + name + " is required (see --help)");
  return *v;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

long long Args::get_int(const std::string& name, long long fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    long long x = std::stoll(*v, &used);
    if (used != v->size()) throw std::invalid_argument(*v);
    return x;
  } catch (const std::exception&) {
    throw Error("bertgrid " + command_ + ": --" + name + " expects an integer, got '" + *v + "'");
  }
}

double Args::get_double(const std::string& name, double fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    double x = std::stod(*v, &used);
    if (used != v->size()) throw std::invalid_argument(*v);
    return x;
  } catch (const std::exception&) {
    throw Error("bertgrid " + command_ + ": --" + name + " expects a number, got '" + *v + "'");
  }
}

std::string Args::options_help() const {
  std::ostringstream out;
  out << "Options:\n";
  for (const auto& s : specs_) {
    std::string lhs = "  --" + s.name + (s.takes_value ? " " + s.metavar : "");
    out << lhs;
    out << std::string(lhs.size() < 30 ? 30 - lhs.size() : 1, ' ') << s.help << "\n";
  }
  return out.str();
}

std::string text_of_json_line(const std::string& line, long long line_no) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    throw Error("stdin line " + std::to_string(line_no) + ": invalid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
    throw Error("stdin line " + std::to_string(line_no) +
                ": expected a JSON object with a string \"text\"");
  return j["text"].get<std::string>();
}

}  // namespace bertgrid::cli
