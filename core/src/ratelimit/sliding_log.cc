#include "faultline/ratelimit/sliding_log.h"

#include <algorithm>

#include "faultline/invariant.h"
#include "faultline/validate.h"

namespace faultline::ratelimit {

Result<void> validate(const SlidingLogPolicy& policy) {
  if (auto r = check_range("limit", policy.limit, 1, kMaxLimit); !r) return r;
  return check_range("window", policy.window, kMinWindow, kMaxWindow);
}

namespace {

// The oldest `wanted` units of the live entries [first, end) have all left the window at the
// returned instant.
Instant frees_at(const SlidingLogState& state, std::size_t first, std::int64_t wanted,
                 Micros window) {
  std::int64_t freed = 0;
  for (std::size_t i = first; i < state.entries.size(); ++i) {
    freed += state.entries[i].units;
    if (freed >= wanted) return state.entries[i].at + window;
  }
  FAULTLINE_INVARIANT(false, "the live entries hold more than `wanted` units");
  return Instant::max();
}

}  // namespace

Decision decide(SlidingLogState& state, const SlidingLogPolicy& policy, Instant now,
                std::int64_t cost) {
  FAULTLINE_INVARIANT(validate(policy).ok(), "decide needs a validated SlidingLogPolicy");
  FAULTLINE_INVARIANT(check_cost(cost).ok(), "decide needs 0 <= cost <= kMaxCost");
  // Entries at or before now - window have left the window.
  std::size_t first = 0;
  std::int64_t dead = 0;
  while (first < state.entries.size() && state.entries[first].at <= now - policy.window) {
    dead += state.entries[first++].units;
  }
  std::int64_t live = state.units - dead;

  Decision d;
  d.limit = policy.limit;
  if (cost > policy.limit) {
    d.retry_after = std::nullopt;
  } else if (live + cost > policy.limit) {
    d.retry_after = frees_at(state, first, live + cost - policy.limit, policy.window) - now;
  } else {
    d.allowed = true;
    if (cost > 0) {
      state.entries.erase(state.entries.begin(),
                          state.entries.begin() + static_cast<std::ptrdiff_t>(first));
      const Instant at = state.entries.empty() ? now : std::max(now, state.entries.back().at);
      if (!state.entries.empty() && state.entries.back().at == at) {
        state.entries.back().units += cost;
      } else {
        state.entries.push_back({.at = at, .units = cost});
      }
      state.units = live + cost;
      live = state.units;
      FAULTLINE_INVARIANT(state.entries.size() <= static_cast<std::size_t>(policy.limit),
                          "the log holds at most `limit` entries");
    }
  }
  d.remaining = policy.limit - live;
  const bool empty = live == 0;
  d.reset_after = empty ? Micros::zero() : state.entries.back().at + policy.window - now;
  return d;
}

}  // namespace faultline::ratelimit
