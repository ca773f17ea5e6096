#include "faultline/locks/lock_store.h"

#include <string>
#include "faultline/validate.h"

namespace faultline::locks {

namespace {

// Redis Cluster's rule: if the key has a '{' followed later by a '}' with at least one byte
// between them, only those bytes are hashed to choose the slot.
bool has_hash_tag(std::string_view key) {
  const std::size_t open = key.find('{');
  if (open == std::string_view::npos) return false;
  const std::size_t close = key.find('}', open + 1);
  return close != std::string_view::npos && close > open + 1;
}

// Whether every argument is certainly valid, decided by comparisons alone. It is the case of
// nearly every call, and the simulator makes hundreds a seed: it then builds no Result per
// field (that was 3% of a lease-lock seed; callgrind). It must never say true for an invalid
// request; false for a valid one only costs the checks below, which name what is wrong and accept
// what is valid (a key with '}' always goes there, for its hash-tag rule).
bool plainly_valid(std::string_view key, std::optional<std::string_view> owner,
                   std::optional<Duration> ttl, Duration timeout) noexcept {
  if (key.empty() || key.size() > kMaxKeyBytes || key.find('}') != std::string_view::npos) {
    return false;
  }
  if (owner && (owner->empty() || owner->size() > kMaxOwnerBytes)) return false;
  if (ttl && (*ttl < kMinTtl || *ttl > kMaxTtl ||
              *ttl % std::chrono::milliseconds(1) != Duration::zero())) {
    return false;
  }
  return timeout > Duration::zero();
}

}  // namespace

Result<void> validate_key(std::string_view key) {
  if (key.empty()) return invalid_argument("key: must not be empty");
  if (auto r = check_size("key", key.size(), 1, kMaxKeyBytes, "bytes"); !r) return r;
  if (!has_hash_tag(key) && key.find('}') != std::string_view::npos) {
    return invalid_argument("key: '" + std::string(key) +
                            "' contains '}' outside a hash tag, so its fencing counter could "
                            "not share its Redis Cluster slot; use a hash tag such as "
                            "'{orders}:lock' or leave out '}'");
  }
  return Ok{};
}

Result<void> validate_owner(std::string_view owner) {
  if (owner.empty()) return invalid_argument("owner: must not be empty");
  return check_size("owner", owner.size(), 1, kMaxOwnerBytes, "bytes");
}

Result<void> validate_ttl(Duration ttl) {
  if (auto r = check_range("ttl", ttl, kMinTtl, kMaxTtl,
                           "a lock without expiry deadlocks when its holder dies");
      !r) {
    return r;
  }
  if (ttl % std::chrono::milliseconds(1) != Duration::zero()) {
    return invalid_argument("ttl: must be a whole number of milliseconds (servers expire keys in ms)");
  }
  return Ok{};
}

Result<void> validate_request(std::string_view key, std::optional<std::string_view> owner,
                              std::optional<Duration> ttl, Duration timeout) {
  if (plainly_valid(key, owner, ttl, timeout)) return Ok{};
  if (auto r = validate_key(key); !r) return r;
  if (owner) {
    if (auto r = validate_owner(*owner); !r) return r;
  }
  if (ttl) {
    if (auto r = validate_ttl(*ttl); !r) return r;
  }
  return validate_timeout(timeout);
}

std::string fence_key(std::string_view key) {
  // A key with a hash tag keeps it (appending leaves the first '{...}' alone); any other key is
  // hashed whole, so it becomes the counter's tag.
  if (has_hash_tag(key)) return std::string(key) + ":fence";
  return "{" + std::string(key) + "}:fence";
}

}  // namespace faultline::locks
