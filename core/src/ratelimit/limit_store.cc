#include "faultline/ratelimit/limit_store.h"

#include "faultline/idempotency/idempotency_store.h"
#include "faultline/validate.h"

namespace faultline::ratelimit {

Result<void> validate_decide(std::string_view key, const Policy& policy, std::int64_t cost,
                             Duration timeout) {
  if (auto r = idempotency::validate_text("key", key, kMaxLimitKeyBytes); !r) return r;
  if (auto r = validate(policy); !r) return r;
  if (auto r = check_cost(cost); !r) return r;
  return validate_timeout(timeout);
}

namespace {

// One tier's key and policy; `field` names it in errors, built only when there is one (this
// runs on every decision).
Result<void> validate_tier(std::size_t i, const Tier& tier) {
  const auto field = [i] { return "tiers[" + std::to_string(i) + "]"; };
  if (auto r = idempotency::validate_text("key", tier.key, kMaxLimitKeyBytes); !r) {
    return Error{r.error().code, field() + "." + r.error().message};
  }
  if (auto r = validate(tier.policy); !r) {
    return Error{r.error().code, field() + "." + r.error().message};
  }
  return Ok{};
}

}  // namespace

Result<void> validate_decide_all(std::span<const Tier> tiers, std::int64_t cost,
                                 Duration timeout) {
  if (auto r = check_size("tiers", tiers.size(), 1, kMaxTiers); !r) return r;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    if (auto r = validate_tier(i, tiers[i]); !r) return r;
    for (std::size_t j = 0; j < i; ++j) {
      // The same limit_key: the same algorithm and the same key.
      if (tiers[j].key == tiers[i].key &&
          algorithm_name(tiers[j].policy) == algorithm_name(tiers[i].policy)) {
        return Error{ErrorCode::kInvalidArgument,
                     "tiers[" + std::to_string(i) + "]: the same key and algorithm as tiers[" +
                         std::to_string(j) + "] (one budget cannot be two tiers)"};
      }
    }
  }
  if (auto r = check_cost(cost); !r) return r;
  return validate_timeout(timeout);
}

std::string limit_key(std::string_view key, const Policy& policy) {
  std::string name(kLimitKeyPrefix);
  name.append(algorithm_name(policy)).append(":").append(std::to_string(key.size()));
  name.append(":").append(key);
  return name;
}

}  // namespace faultline::ratelimit
