#include "faultline/ratelimit/gcra.h"

#include <algorithm>

#include "faultline/invariant.h"
#include "faultline/validate.h"

namespace faultline::ratelimit {

Result<void> check_cost(std::int64_t cost) { return check_range("cost", cost, 0, kMaxCost); }

Result<void> validate(const GcraPolicy& policy) {
  if (auto r = check_range("period", policy.period, kMinWindow, kMaxWindow); !r) return r;
  if (auto r = check_range("count", policy.count, 1, policy.period.count(),
                           "the emission interval period/count must be at least 1us");
      !r) {
    return r;
  }
  if (auto r = check_range("max_burst", policy.max_burst, 0, kMaxLimit - 1); !r) return r;
  const std::int64_t most = kMaxWindow / emission_interval(policy) - 1;
  return check_range("max_burst", policy.max_burst, 0, most,
                     "the burst must be earned back within 24h: period/count * (max_burst + 1) "
                     "<= 24h");
}

Micros emission_interval(const GcraPolicy& policy) { return policy.period / policy.count; }

Decision decide(GcraState& state, const GcraPolicy& policy, Instant now, std::int64_t cost) {
  FAULTLINE_INVARIANT(validate(policy).ok(), "decide needs a validated GcraPolicy");
  FAULTLINE_INVARIANT(check_cost(cost).ok(), "decide needs 0 <= cost <= kMaxCost");
  const Micros interval = emission_interval(policy);
  const Micros tolerance = interval * (policy.max_burst + 1);
  const Micros increment = interval * cost;
  const Instant base = std::max(state.tat, now);
  const Instant new_tat = base + increment;
  const Instant allow_at = new_tat - tolerance;

  Decision d;
  d.limit = policy.max_burst + 1;
  Micros ttl = base - now;
  if (now < allow_at) {
    d.allowed = false;
    d.retry_after = increment <= tolerance ? std::optional<Micros>(allow_at - now) : std::nullopt;
  } else {
    d.allowed = true;
    if (cost > 0) {
      state.tat = new_tat;
      ttl = new_tat - now;
    }
  }
  d.remaining = std::max(tolerance - ttl, Micros::zero()) / interval;
  d.reset_after = ttl;
  return d;
}

}  // namespace faultline::ratelimit
