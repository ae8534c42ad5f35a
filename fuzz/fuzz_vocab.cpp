// libFuzzer target: vocab.txt (text::Vocab::parse) and the tokenizer built on it. Every token of
// an accepted vocabulary must be found again under an id that spells it.
#include "fuzz/fuzz_util.h"
#include "text/tokenizer.h"
#include "text/vocab.h"

using namespace bertgrid;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  text::Vocab vocab;
  if (!fuzz::accepts([&] { vocab = text::Vocab::parse(fuzz::as_view(data, size), "vocab.txt"); }))
    return 0;
  std::vector<std::string> tokens;
  for (size_t i = 0; i < vocab.size(); ++i) {
    const std::string& t = vocab.token(static_cast<int32_t>(i));
    const int32_t id = vocab.find(t);
    fuzz::require(id >= static_cast<int32_t>(i), "a token maps to its last line");
    fuzz::require(vocab.token(id) == t, "find() returns an id that spells the token");
    tokens.push_back(t);
  }
  fuzz::accepts([&] {
    const text::Tokenizer tok(tokens, text::TokenizerOptions{});
    const std::vector<int32_t> ids = tok.encode("Hello, unaffable world! \xC3\xA9t\xC3\xA9 ##x");
    for (int32_t id : ids) fuzz::require(id >= 0 && size_t(id) < vocab.size(), "ids in range");
  });
  return 0;
}
