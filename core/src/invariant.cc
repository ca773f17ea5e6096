#include "faultline/invariant.h"

#include <cstdio>
#include <cstdlib>

namespace faultline::detail {

void invariant_failed(const char* condition, const char* message, const char* file,
                      int line) noexcept {
  // One fprintf, then a flush: the line must reach the terminal or log before abort() does.
  std::fprintf(stderr, "invariant failed: %s: %s (%s:%d)\n", condition, message, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace faultline::detail
