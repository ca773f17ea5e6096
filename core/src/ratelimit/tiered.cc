#include "faultline/ratelimit/tiered.h"

#include <algorithm>

#include "faultline/invariant.h"

namespace faultline::ratelimit {

std::vector<std::size_t> TieredDecision::violated() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    if (!tiers[i].allowed) out.push_back(i);
  }
  return out;
}

std::optional<Micros> combined_retry_after(std::span<const Decision> tiers) {
  std::optional<Micros> out = Micros::zero();
  for (const Decision& d : tiers) {
    if (d.allowed) continue;
    if (!d.retry_after.has_value() || !out.has_value()) {
      out = std::nullopt;
    } else {
      out = std::max(*out, *d.retry_after);
    }
  }
  return out;
}

TieredDecision decide_all(std::span<State> states, std::span<const Policy> policies, Instant now,
                          std::int64_t cost) {
  FAULTLINE_INVARIANT(states.size() == policies.size(), "one state per tier");
  FAULTLINE_INVARIANT(!states.empty() && states.size() <= kMaxTiers, "1..kMaxTiers tiers");
  // Decide every tier on a copy; the copies replace the states only if all of them allowed.
  std::vector<State> after(states.begin(), states.end());
  TieredDecision out;
  out.allowed = true;
  for (std::size_t i = 0; i < states.size(); ++i) {
    out.tiers.push_back(decide(after[i], policies[i], now, cost));
    out.allowed = out.allowed && out.tiers.back().allowed;
  }
  if (out.allowed) {
    std::move(after.begin(), after.end(), states.begin());
    return out;
  }
  out.retry_after = combined_retry_after(out.tiers);
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (!out.tiers[i].allowed) continue;
    State unchanged = states[i];
    out.tiers[i] = decide(unchanged, policies[i], now, 0);
  }
  return out;
}

}  // namespace faultline::ratelimit
