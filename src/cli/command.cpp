// Subcommand registration and the help texts; see command.h.
#include "cli/command.h"

#include <memory>
#include <sstream>

namespace bertgrid::cli {
namespace {

// `lhs` padded to a column of 30 (at least one space), then `rhs`.
std::string column(const std::string& lhs, const std::string& rhs, size_t width) {
  return lhs + std::string(lhs.size() < width ? width - lhs.size() : 1, ' ') + rhs + "\n";
}

// A command's --help: its usage text, then "Options:" with one line per option, --help last.
class CommandHelp : public CLI::FormatterBase {
 public:
  explicit CommandHelp(std::string usage) : usage_(std::move(usage)) {}
  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const override {
    std::ostringstream out;
    out << usage_ << "Options:\n";
    const CLI::Option* help = app->get_help_ptr();
    for (const CLI::Option* opt : app->get_options())
      if (opt != help) out << line(*opt);
    if (help) out << line(*help);
    return out.str();
  }

 private:
  static std::string line(const CLI::Option& opt) {
    std::string lhs = "  --" + opt.get_lnames().at(0);
    if (opt.get_expected_max() != 0) lhs += " " + opt.get_type_name();  // not a flag
    return column(lhs, opt.get_description(), 30);
  }
  std::string usage_;
};

// `bertgrid --help`: the intro, "Commands:" with each command's summary, the outro.
class TopHelp : public CLI::FormatterBase {
 public:
  TopHelp(std::string intro, std::string outro)
      : intro_(std::move(intro)), outro_(std::move(outro)) {}
  std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const override {
    std::ostringstream out;
    out << intro_ << "Commands:\n";
    for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
      out << column("  " + sub->get_name(), sub->get_description(), 14);
    out << outro_;
    return out.str();
  }

 private:
  std::string intro_, outro_;
};

}  // namespace

CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& summary,
                      const std::string& usage) {
  CLI::App* app = parent.add_subcommand(name, summary);
  app->formatter(std::make_shared<CommandHelp>(usage));
  return app;
}

void set_top_help(CLI::App& app, const std::string& intro, const std::string& outro) {
  app.formatter(std::make_shared<TopHelp>(intro, outro));
}

}  // namespace bertgrid::cli
