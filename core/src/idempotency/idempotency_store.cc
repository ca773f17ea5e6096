#include "faultline/idempotency/idempotency_store.h"

#include <string>

#include "faultline/validate.h"

namespace faultline::idempotency {
namespace {

// Printable ASCII (a structured-field string's alphabet): a key or scope a header can carry,
// and a log can print, without escaping.
Result<void> check_printable(std::string_view field, std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c > 0x7e) {
      return invalid_argument(std::string(field) + ": byte " + std::to_string(i) + " (0x" +
                              "0123456789abcdef"[c >> 4] + "0123456789abcdef"[c & 15] +
                              ") is not printable ASCII");
    }
  }
  return Ok{};
}

Result<void> check_text(std::string_view field, std::string_view value, std::size_t max) {
  return validate_text(field, value, max);
}

}  // namespace

Result<void> validate_text(std::string_view field, std::string_view value, std::size_t max) {
  if (value.empty()) return invalid_argument(std::string(field) + ": must not be empty");
  if (auto r = check_size(field, value.size(), 1, max, "bytes"); !r) return r;
  return check_printable(field, value);
}

Result<void> validate_id(RequestId id) {
  if (auto r = check_text("scope", id.scope, kMaxScopeBytes); !r) return r;
  return check_text("key", id.key, kMaxKeyBytes);
}

Result<void> validate_fingerprint(std::string_view fingerprint) {
  return check_text("fingerprint", fingerprint, kMaxFingerprintBytes);
}

Result<void> validate_owner(std::string_view owner) {
  if (owner.empty()) return invalid_argument("owner: must not be empty");
  return check_size("owner", owner.size(), 1, kMaxOwnerBytes, "bytes");
}

Result<void> validate_point(std::string_view point, std::string_view data) {
  if (auto r = check_text("point", point, kMaxPointBytes); !r) return r;
  return check_size("data", data.size(), 0, kMaxDataBytes, "bytes");
}

Result<void> validate_response(std::string_view response) {
  return check_size("response", response.size(), 0, kMaxResponseBytes, "bytes");
}

Result<void> validate_durations(Duration lease, Duration retention) {
  if (auto r = check_range("lease", lease, Duration(kMinLease), Duration(kMaxLease),
                           "a lease that never lapses blocks the key when its holder dies");
      !r) {
    return r;
  }
  if (auto r = check_range("retention", retention, lease, Duration(kMaxRetention),
                           "a record must outlive its lease");
      !r) {
    return r;
  }
  if (lease % std::chrono::milliseconds(1) != Duration::zero() ||
      retention % std::chrono::milliseconds(1) != Duration::zero()) {
    return invalid_argument("lease, retention: must be whole milliseconds (stores keep ms)");
  }
  return Ok{};
}

Result<void> validate_begin(RequestId id, std::string_view fingerprint, std::string_view owner,
                            Duration lease, Duration retention, Duration timeout) {
  if (auto r = validate_id(id); !r) return r;
  if (auto r = validate_fingerprint(fingerprint); !r) return r;
  if (auto r = validate_owner(owner); !r) return r;
  if (auto r = validate_durations(lease, retention); !r) return r;
  return validate_timeout(timeout);
}

Result<void> validate_checkpoint(RequestId id, std::string_view owner, std::string_view point,
                                 std::string_view data, Duration lease, Duration timeout) {
  if (auto r = validate_id(id); !r) return r;
  if (auto r = validate_owner(owner); !r) return r;
  if (auto r = validate_point(point, data); !r) return r;
  if (auto r = validate_durations(lease, lease); !r) return r;
  return validate_timeout(timeout);
}

Result<void> validate_complete(RequestId id, std::string_view owner, std::string_view response,
                               Duration timeout) {
  if (auto r = validate_id(id); !r) return r;
  if (auto r = validate_owner(owner); !r) return r;
  if (auto r = validate_response(response); !r) return r;
  return validate_timeout(timeout);
}

Result<void> validate_release(RequestId id, std::string_view owner, Duration timeout) {
  if (auto r = validate_id(id); !r) return r;
  if (auto r = validate_owner(owner); !r) return r;
  return validate_timeout(timeout);
}

Result<void> validate_reap(std::size_t limit, Duration timeout) {
  if (auto r = check_size("limit", limit, 1, kMaxReapBatch); !r) return r;
  return validate_timeout(timeout);
}

Result<void> validate_abandoned(std::string_view cursor, std::size_t limit, Duration timeout) {
  if (auto r = check_size("cursor", cursor.size(), 0, kMaxCursorBytes, "bytes"); !r) return r;
  if (auto r = check_printable("cursor", cursor); !r) return r;
  return validate_reap(limit, timeout);
}

std::string record_key(RequestId id) {
  std::string name = std::string(kRecordKeyPrefix) + std::to_string(id.scope.size()) + ":";
  name.append(id.scope).append(":").append(id.key);
  return name;
}

std::optional<ParsedRecordKey> parse_record_key(std::string_view name) {
  if (!name.starts_with(kRecordKeyPrefix)) return std::nullopt;
  name.remove_prefix(kRecordKeyPrefix.size());
  const std::size_t colon = name.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 3) return std::nullopt;
  std::size_t scope_bytes = 0;
  for (char c : name.substr(0, colon)) {
    if (c < '0' || c > '9') return std::nullopt;
    scope_bytes = scope_bytes * 10 + static_cast<std::size_t>(c - '0');
  }
  name.remove_prefix(colon + 1);
  if (name.size() < scope_bytes + 1 || name[scope_bytes] != ':') return std::nullopt;
  return ParsedRecordKey{std::string(name.substr(0, scope_bytes)),
                         std::string(name.substr(scope_bytes + 1))};
}

}  // namespace faultline::idempotency
