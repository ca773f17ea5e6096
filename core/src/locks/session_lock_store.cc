#include "faultline/locks/session_lock_store.h"

#include <algorithm>
#include <string>

namespace faultline::locks {

std::chrono::milliseconds server_lock_wait(Duration timeout) {
  constexpr Duration kMaxRoundTripMargin = std::chrono::milliseconds(500);
  const Duration margin = std::min<Duration>(timeout / 4, kMaxRoundTripMargin);
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(timeout - margin);
  return std::max(wait, std::chrono::milliseconds(1));
}

Error lock_wait_ran_out(AdvisoryLockId id, std::chrono::milliseconds waited) {
  return Error{ErrorCode::kBusy, "advisory lock " + std::to_string(id) +
                                     " is held by another session (waited " +
                                     std::to_string(waited.count()) + "ms); not taken"};
}

}  // namespace faultline::locks
