// libFuzzer target: the TOML run config (bertgrid::parse_run_config: TOML++ parse, key/type
// checks, validation) on arbitrary text.
#include "core/config.h"
#include "fuzz/fuzz_util.h"

using namespace bertgrid;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(fuzz::as_view(data, size));
  fuzz::accepts([&] { parse_run_config(text, "fuzz.toml"); });
  return 0;
}
