// JSON-lines text input; see json_lines.h.
#include "text/json_lines.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace bertgrid::text {

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

}  // namespace bertgrid::text
