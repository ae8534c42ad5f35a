// `bertgrid tokenize`: BERT WordPiece over stdin, one {"ids":[...]} JSON line out per line in.
//
// Usage: bertgrid tokenize --vocab PATH [--max-length N] [--plain] < in.jsonl > out.jsonl
//   Input lines are JSON objects {"text": "..."} (or plain text lines with --plain); each gives
//   [CLS] wordpieces [SEP] ids, truncated to N ids keeping [SEP] last when --max-length is given.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "text/tokenizer.h"

namespace bertgrid::cli {
namespace {

constexpr const char* kUsage =
    "Usage: bertgrid tokenize --vocab PATH [--max-length N] [--plain] < in.jsonl > out.jsonl\n"
    "\n"
    "Tokenizes each stdin line with BERT WordPiece (HF BertTokenizer semantics; a\n"
    "tokenizer_config.json beside the vocab sets do_lower_case / strip_accents) and writes one\n"
    "{\"ids\":[...]} line per input line: [CLS] wordpieces [SEP]. Input lines are JSON objects\n"
    "{\"text\": \"...\"}, or raw text with --plain.\n"
    "\n";

}  // namespace

int cmd_tokenize(int argc, char** argv, int first) {
  Args args("tokenize",
            {{"vocab", true, "vocab.txt of the model (required)", "PATH"},
             {"max-length", true, "truncate to N ids, [SEP] kept last (default: no limit)", "N"},
             {"plain", false, "read plain text lines instead of JSON lines"}},
            argc, argv, first);
  if (args.help()) {
    std::cout << kUsage << args.options_help();
    return 0;
  }
  const auto tokenizer = text::Tokenizer::from_vocab_file(args.require("vocab"));
  long long max_length = args.get_int("max-length", 0);
  if (max_length < 0 || max_length == 1)
    throw Error("bertgrid tokenize: --max-length must be 0 (no limit) or at least 2, got " +
                std::to_string(max_length));
  const bool plain = args.has("plain");

  std::ios::sync_with_stdio(false);
  std::string line, out;
  long long line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    auto ids =
        plain ? tokenizer.encode(line, static_cast<size_t>(max_length))
              : tokenizer.encode(text_of_json_line(line, line_no), static_cast<size_t>(max_length));
    out = "{\"ids\":[";
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(ids[i]);
    }
    out += "]}\n";
    std::cout << out;
  }
  std::cout.flush();
  if (!std::cout) throw Error("bertgrid tokenize: failed writing stdout");
  return 0;
}

}  // namespace bertgrid::cli
