#include "faultline/validate.h"

#include <cassert>

#include "faultline/duration_text.h"

namespace faultline {

Error field_error(std::string_view field, std::string_view value, std::string_view rule) {
  std::string message;
  message.reserve(field.size() + value.size() + rule.size() + 4);
  message.append(field).append(": ").append(value).append("; ").append(rule);
  return invalid_argument(std::move(message));
}

Result<void> check_range(std::string_view field, std::int64_t value, std::int64_t lo,
                         std::int64_t hi) {
  assert(lo <= hi);
  if (value >= lo && value <= hi) return Ok{};
  return field_error(field, std::to_string(value),
                     "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

Result<void> check_range(std::string_view field, Duration value, Duration lo, Duration hi) {
  assert(lo <= hi);
  if (value >= lo && value <= hi) return Ok{};
  return field_error(field, duration_text(value),
                     "must be in [" + duration_text(lo) + ", " + duration_text(hi) + "]");
}

Result<void> validate_timeout(Duration timeout, std::string_view field) {
  if (timeout > Duration::zero()) return Ok{};
  return field_error(field, duration_text(timeout),
                     "must be positive (every remote call needs a deadline)");
}

}  // namespace faultline
