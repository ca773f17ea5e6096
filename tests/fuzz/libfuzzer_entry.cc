// libFuzzer's entry for one target: built once per target by tests/fuzz/libfuzzer/ with
// FAULTLINE_FUZZ_TARGET naming its function (fuzz_targets.h). A failed property is printed
// before the abort, so the crash report says which property the saved input broke.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    return faultline::fuzz::FAULTLINE_FUZZ_TARGET(data, size);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz target threw: %s\n", e.what());
    std::abort();
  }
}
