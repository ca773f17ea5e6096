#include "faultline/ratelimit/fixed_window.h"

#include "aligned_windows.h"
#include "faultline/invariant.h"
#include "faultline/validate.h"

namespace faultline::ratelimit {

Result<void> validate(const FixedWindowPolicy& policy) {
  if (auto r = check_range("limit", policy.limit, 1, kMaxLimit); !r) return r;
  return check_range("window", policy.window, kMinWindow, kMaxWindow);
}

Decision decide(FixedWindowState& state, const FixedWindowPolicy& policy, Instant now,
                std::int64_t cost) {
  FAULTLINE_INVARIANT(validate(policy).ok(), "decide needs a validated FixedWindowPolicy");
  FAULTLINE_INVARIANT(check_cost(cost).ok(), "decide needs 0 <= cost <= kMaxCost");
  const detail::WindowAt at = detail::window_at(now, policy.window);
  // An instant earlier than the last allowed one counts in that one's window.
  const bool same = at.index <= state.window_index;
  std::int64_t count = same ? state.count : 0;
  const Micros to_end = same && at.index < state.window_index
                            ? policy.window * (state.window_index - at.index + 1) - at.elapsed
                            : policy.window - at.elapsed;

  Decision d;
  d.limit = policy.limit;
  if (cost > policy.limit) {
    d.retry_after = std::nullopt;
  } else if (count + cost > policy.limit) {
    d.retry_after = to_end;
  } else {
    d.allowed = true;
    if (cost > 0) {
      count += cost;
      state.window_index = std::max(at.index, state.window_index);
      state.count = count;
    }
  }
  d.remaining = policy.limit - count;
  d.reset_after = count > 0 ? to_end : Micros::zero();
  return d;
}

}  // namespace faultline::ratelimit
