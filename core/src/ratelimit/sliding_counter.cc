#include "faultline/ratelimit/sliding_counter.h"

#include <algorithm>

#include "aligned_windows.h"
#include "faultline/invariant.h"
#include "faultline/validate.h"

namespace faultline::ratelimit {

Result<void> validate(const SlidingCounterPolicy& policy) {
  if (auto r = check_range("limit", policy.limit, 1, kMaxLimit); !r) return r;
  return check_range("window", policy.window, kMinWindow, kMaxWindow);
}

namespace {

// The counters as they stand in window `index` (an index earlier than the state's is read as
// the state's own: instants do not go back).
SlidingCounterState rolled(const SlidingCounterState& state, std::int64_t index) {
  if (index <= state.window_index) return state;
  if (index == state.window_index + 1) {
    return {.window_index = index, .current = 0, .previous = state.current};
  }
  return {.window_index = index, .current = 0, .previous = 0};
}

// How long after the start of a window whose counters are (previous, current) a request of
// `cost` fits: the smallest e with previous * (w - e) <= (limit - current - cost) * w, or w when
// it does not fit within the window.
std::int64_t fits_after_us(std::int64_t previous, std::int64_t current, std::int64_t cost,
                           std::int64_t limit, std::int64_t w) {
  const std::int64_t room = limit - current - cost;
  if (room < 0) return w;
  if (previous == 0) return 0;
  return std::max<std::int64_t>(0, w - room * w / previous);
}

}  // namespace

Decision decide(SlidingCounterState& state, const SlidingCounterPolicy& policy, Instant now,
                std::int64_t cost) {
  FAULTLINE_INVARIANT(validate(policy).ok(), "decide needs a validated SlidingCounterPolicy");
  FAULTLINE_INVARIANT(check_cost(cost).ok(), "decide needs 0 <= cost <= kMaxCost");
  const std::int64_t w = policy.window.count();
  detail::WindowAt at = detail::window_at(now, policy.window);
  // Time read back: decided as at the start of the state's window, and every wait counts from
  // there (`ahead` of now).
  Micros ahead = Micros::zero();
  if (at.index < state.window_index) {
    ahead = policy.window * (state.window_index - at.index) - at.elapsed;
    at = {.index = state.window_index, .elapsed = Micros::zero()};
  }
  SlidingCounterState s = rolled(state, at.index);
  const std::int64_t e = at.elapsed.count();

  Decision d;
  d.limit = policy.limit;
  const std::int64_t here = fits_after_us(s.previous, s.current, cost, policy.limit, w);
  if (cost > policy.limit) {
    d.retry_after = std::nullopt;
  } else if (here > e) {
    // Within this window if it fits at all, else in the next, where `current` is the previous.
    const std::int64_t start =
        here < w ? here : w + fits_after_us(s.current, 0, cost, policy.limit, w);
    d.retry_after = ahead + Micros(start - e);
  } else {
    d.allowed = true;
    if (cost > 0) {
      s.current += cost;
      state = s;
    }
  }
  d.remaining =
      std::max<std::int64_t>(0, policy.limit - s.current - ceil_div(s.previous * (w - e), w));
  const std::int64_t rest = s.current > 0 ? 2 * w - e : s.previous > 0 ? w - e : 0;
  d.reset_after = rest == 0 ? Micros::zero() : ahead + Micros(rest);
  return d;
}

}  // namespace faultline::ratelimit
