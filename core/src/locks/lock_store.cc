#include "faultline/locks/lock_store.h"

#include <string>

namespace faultline::locks {

Result<void> validate_key(std::string_view key) {
  if (key.empty()) return invalid_argument("key: must not be empty");
  if (key.size() > kMaxKeyBytes) {
    return invalid_argument("key: " + std::to_string(key.size()) + " bytes, at most " +
                            std::to_string(kMaxKeyBytes) + " allowed");
  }
  return Ok{};
}

Result<void> validate_owner(std::string_view owner) {
  if (owner.empty()) return invalid_argument("owner: must not be empty");
  if (owner.size() > kMaxOwnerBytes) {
    return invalid_argument("owner: " + std::to_string(owner.size()) + " bytes, at most " +
                            std::to_string(kMaxOwnerBytes) + " allowed");
  }
  return Ok{};
}

Result<void> validate_ttl(Duration ttl) {
  if (ttl < kMinTtl) {
    return invalid_argument("ttl: " + std::to_string(ttl.count()) +
                            "ns; must be at least 1ms (a lock without expiry deadlocks when its "
                            "holder dies)");
  }
  if (ttl > kMaxTtl) {
    return invalid_argument("ttl: " + std::to_string(ttl.count()) + "ns; at most 24h allowed");
  }
  if (ttl % std::chrono::milliseconds(1) != Duration::zero()) {
    return invalid_argument("ttl: must be a whole number of milliseconds (servers expire keys in ms)");
  }
  return Ok{};
}

Result<void> validate_timeout(Duration timeout) {
  if (timeout <= Duration::zero()) {
    return invalid_argument("timeout: " + std::to_string(timeout.count()) +
                            "ns; must be positive (every remote call needs a deadline)");
  }
  return Ok{};
}

Result<void> validate_request(std::string_view key, std::optional<std::string_view> owner,
                              std::optional<Duration> ttl, Duration timeout) {
  if (auto r = validate_key(key); !r) return r;
  if (owner) {
    if (auto r = validate_owner(*owner); !r) return r;
  }
  if (ttl) {
    if (auto r = validate_ttl(*ttl); !r) return r;
  }
  return validate_timeout(timeout);
}

std::string fence_key(std::string_view key) { return std::string(key) + ":fence"; }

}  // namespace faultline::locks
