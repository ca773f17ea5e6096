#include "faultline/locks/lock_store.h"

#include <string>
#include "faultline/duration_text.h"
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

}  // namespace

Result<void> validate_key(std::string_view key) {
  if (key.empty()) return invalid_argument("key: must not be empty");
  if (key.size() > kMaxKeyBytes) {
    return invalid_argument("key: " + std::to_string(key.size()) + " bytes, at most " +
                            std::to_string(kMaxKeyBytes) + " allowed");
  }
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
  if (owner.size() > kMaxOwnerBytes) {
    return invalid_argument("owner: " + std::to_string(owner.size()) + " bytes, at most " +
                            std::to_string(kMaxOwnerBytes) + " allowed");
  }
  return Ok{};
}

Result<void> validate_ttl(Duration ttl) {
  if (ttl < kMinTtl) {
    return invalid_argument("ttl: " + duration_text(ttl) +
                            "; must be at least 1ms (a lock without expiry deadlocks when its "
                            "holder dies)");
  }
  if (ttl > kMaxTtl) {
    return invalid_argument("ttl: " + duration_text(ttl) + "; at most 24h allowed");
  }
  if (ttl % std::chrono::milliseconds(1) != Duration::zero()) {
    return invalid_argument("ttl: must be a whole number of milliseconds (servers expire keys in ms)");
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

std::string fence_key(std::string_view key) {
  // A key with a hash tag keeps it (appending leaves the first '{...}' alone); any other key is
  // hashed whole, so it becomes the counter's tag.
  if (has_hash_tag(key)) return std::string(key) + ":fence";
  return "{" + std::string(key) + "}:fence";
}

}  // namespace faultline::locks
