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

Result<void> validate_decide_all(std::span<const Tier> tiers, std::int64_t cost,
                                 Duration timeout) {
  if (auto r = check_size("tiers", tiers.size(), 1, kMaxTiers); !r) return r;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const std::string field = "tiers[" + std::to_string(i) + "]";
    if (auto r = idempotency::validate_text(field + ".key", tiers[i].key, kMaxLimitKeyBytes); !r) {
      return r;
    }
    if (auto r = validate(tiers[i].policy); !r) {
      return Error{r.error().code, field + "." + r.error().message};
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (limit_key(tiers[j].key, tiers[j].policy) == limit_key(tiers[i].key, tiers[i].policy)) {
        return Error{ErrorCode::kInvalidArgument,
                     field + ": the same key and algorithm as tiers[" + std::to_string(j) +
                         "] (one budget cannot be two tiers)"};
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
