#include "faultline/locks/fenced_resource.h"

#include <string>

namespace faultline::locks {

Result<void> FencedResource::admit(FencingToken token) {
  if (token < highest_) {
    ++refused_;
    return failed_precondition("stale fencing token " + std::to_string(token) +
                               " (resource has seen " + std::to_string(highest_) + ")");
  }
  highest_ = token;
  return Ok{};
}

}  // namespace faultline::locks
