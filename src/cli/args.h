// A small command-line parser for the bertgrid subcommands: `--name value`, `--name=value` and
// `--flag`, each declared up front, so unknown or incomplete options are errors that name them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bertgrid::cli {

struct OptionSpec {
  std::string name;  // without the leading "--"
  bool takes_value;
  std::string help;
  std::string metavar = "VALUE";
};

class Args {
 public:
  // Parses argv[first..argc). Throws bertgrid::Error for unknown options or missing values.
  Args(const std::string& command, std::vector<OptionSpec> specs, int argc, char** argv, int first);

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  bool help() const { return has("help"); }
  std::optional<std::string> get(const std::string& name) const;
  std::string require(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  long long get_int(const std::string& name, long long fallback) const;
  double get_double(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

  // "Options:" block listing every declared option with its help text.
  std::string options_help() const;

 private:
  std::string command_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// The "text" of one stdin JSON line {"text": "..."}; errors name the line number.
std::string text_of_json_line(const std::string& line, long long line_no);

}  // namespace bertgrid::cli
