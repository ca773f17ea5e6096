#include "faultline/validate.h"

#include <cassert>
#include <charconv>

#include "faultline/duration_text.h"

namespace faultline {
namespace {

// The shortest text that reads back as `value` (std::to_string would print six decimals,
// turning 1e-7 into "0.000000").
std::string real_text(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  assert(ec == std::errc());
  return std::string(buffer, end);
}

// `rule`, then " (<why>)" if there is a reason.
std::string with_reason(std::string rule, std::string_view why) {
  if (!why.empty()) rule.append(" (").append(why).append(")");
  return rule;
}

// "must be in <open><lo>, <hi>]" and the reason, if any.
std::string interval_rule(char open, std::string_view lo, std::string_view hi,
                          std::string_view why) {
  std::string rule = "must be in ";
  rule.append(1, open).append(lo).append(", ").append(hi).append("]");
  return with_reason(std::move(rule), why);
}

}  // namespace

Error field_error(std::string_view field, std::string_view value, std::string_view rule) {
  std::string message;
  message.reserve(field.size() + value.size() + rule.size() + 4);
  message.append(field).append(": ").append(value).append("; ").append(rule);
  return invalid_argument(std::move(message));
}

Result<void> check_range(std::string_view field, std::int64_t value, std::int64_t lo,
                         std::int64_t hi, std::string_view why) {
  assert(lo <= hi);
  if (value >= lo && value <= hi) return Ok{};
  return field_error(field, std::to_string(value),
                     interval_rule('[', std::to_string(lo), std::to_string(hi), why));
}

Result<void> check_range(std::string_view field, Duration value, Duration lo, Duration hi,
                         std::string_view why) {
  assert(lo <= hi);
  if (value >= lo && value <= hi) return Ok{};
  return field_error(field, duration_text(value),
                     interval_rule('[', duration_text(lo), duration_text(hi), why));
}

Result<void> check_positive(std::string_view field, Duration value, Duration hi,
                            std::string_view why) {
  assert(hi > Duration::zero());
  if (value > Duration::zero() && value <= hi) return Ok{};
  if (hi != Duration::max()) {
    return field_error(field, duration_text(value),
                       interval_rule('(', "0", duration_text(hi), why));
  }
  return field_error(field, duration_text(value), with_reason("must be > 0", why));
}

Result<void> check_real_range(std::string_view field, double value, double lo, double hi,
                              std::string_view why) {
  assert(lo <= hi);
  if (value >= lo && value <= hi) return Ok{};  // false for NaN
  return field_error(field, real_text(value),
                     interval_rule('[', real_text(lo), real_text(hi), why));
}

Result<void> check_real_positive(std::string_view field, double value, double hi,
                                 std::string_view why) {
  assert(hi > 0);
  if (value > 0 && value <= hi) return Ok{};  // false for NaN
  return field_error(field, real_text(value), interval_rule('(', "0", real_text(hi), why));
}

Result<void> check_size(std::string_view field, std::size_t value, std::size_t lo, std::size_t hi,
                        std::string_view unit) {
  assert(lo <= hi);
  if (value >= lo && value <= hi) return Ok{};
  std::string text = std::to_string(value);
  if (!unit.empty()) text.append(" ").append(unit);
  return field_error(field, text, interval_rule('[', std::to_string(lo), std::to_string(hi), {}));
}

Result<void> validate_timeout(Duration timeout, std::string_view field, Duration max) {
  return check_positive(field, timeout, max, "every remote call needs a deadline");
}

}  // namespace faultline
