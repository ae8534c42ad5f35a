// `bertgrid tokenize`: BERT WordPiece over stdin, one {"ids":[...]} JSON line out per line in.
//
// Usage: bertgrid tokenize --vocab PATH [--max-length N] [--plain] < in.jsonl > out.jsonl
//   Input lines are JSON objects {"text": "..."} (or plain text lines with --plain); each gives
//   [CLS] wordpieces [SEP] ids, truncated to N ids keeping [SEP] last when --max-length is given.
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.h"
#include "core/error.h"
#include "text/json_lines.h"
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
    "\n"
    "Exit status: 0 done, 1 error, 2 usage.\n\n";

struct TokenizeOptions {
  std::string vocab;
  long long max_length = 0;
  bool plain = false;
};

int run_tokenize(const TokenizeOptions& o) {
  if (o.max_length < 0 || o.max_length == 1)
    throw UsageError("bertgrid tokenize: --max-length must be 0 (no limit) or at least 2, got " +
                     std::to_string(o.max_length));
  const auto tokenizer = text::Tokenizer::from_vocab_file(o.vocab);
  std::ios::sync_with_stdio(false);
  std::string line, out;
  long long line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    const auto ids = tokenizer.encode(o.plain ? line : text::text_of_json_line(line, line_no),
                                      static_cast<size_t>(o.max_length));
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

}  // namespace

Command setup_tokenize(CLI::App& parent) {
  auto o = std::make_shared<TokenizeOptions>();
  CLI::App* app = add_command(
      parent, "tokenize", "tokenize text from stdin with BERT WordPiece (JSON lines out)", kUsage);
  app->add_option("--vocab", o->vocab, "vocab.txt of the model (required)")
      ->type_name("PATH")
      ->required();
  app->add_option("--max-length", o->max_length,
                  "truncate to N ids, [SEP] kept last (default: no limit)")
      ->type_name("N");
  app->add_flag("--plain", o->plain, "read plain text lines instead of JSON lines");
  return {app, [o] { return run_tokenize(*o); }};
}

}  // namespace bertgrid::cli
