// libFuzzer target: the WordPiece tokenizer (bert-base-uncased vocab) on arbitrary bytes. The vocab
// path is $BERTGRID_FUZZ_VOCAB, else the compile definition BERTGRID_FUZZ_VOCAB. The first input
// byte picks a max_length (0 = none) so truncation is fuzzed too.
#include <cstdlib>

#include "fuzz/fuzz_util.h"
#include "text/tokenizer.h"

using namespace bertgrid;

namespace {

const text::Tokenizer& tokenizer() {
  static const text::Tokenizer tok = [] {
    const char* env = std::getenv("BERTGRID_FUZZ_VOCAB");
    return text::Tokenizer::from_vocab_file(env && *env ? env : BERTGRID_FUZZ_VOCAB);
  }();
  return tok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const text::Tokenizer& tok = tokenizer();
  if (size == 0) return 0;
  const size_t max_length = data[0] < 2 ? 0 : data[0];
  const std::string_view text = fuzz::as_view(data + 1, size - 1);
  std::vector<int32_t> ids;
  if (!fuzz::accepts([&] { ids = tok.encode(text, max_length); })) return 0;
  fuzz::require(ids.size() >= 2 && ids.front() == tok.cls_id() && ids.back() == tok.sep_id(),
                "[CLS] ... [SEP]");
  fuzz::require(max_length == 0 || ids.size() <= max_length, "max_length respected");
  for (int32_t id : ids)
    fuzz::require(id >= 0 && static_cast<size_t>(id) < tok.vocab_size(), "ids in the vocabulary");
  if (max_length == 0) {
    const std::vector<std::string> pieces = tok.tokenize(text);
    fuzz::require(pieces.size() + 2 == ids.size(), "tokenize() agrees with encode()");
  }
  return 0;
}
