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

std::string limit_key(std::string_view key, const Policy& policy) {
  std::string name(kLimitKeyPrefix);
  name.append(algorithm_name(policy)).append(":").append(std::to_string(key.size()));
  name.append(":").append(key);
  return name;
}

}  // namespace faultline::ratelimit
