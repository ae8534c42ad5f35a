// JSON-lines text input (what `bertgrid tokenize` and `predict` read on stdin): one object
// {"text": "..."} per line.
#pragma once

#include <string>

namespace bertgrid::text {

// The "text" of one JSON line {"text": "..."}; errors name the line number ("stdin line N").
std::string text_of_json_line(const std::string& line, long long line_no);

}  // namespace bertgrid::text
