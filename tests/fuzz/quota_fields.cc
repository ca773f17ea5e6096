// Fuzzes the RateLimit-Policy and RateLimit fields (quota_fields.h): any value gives members or
// kInvalidArgument naming the field; members that render parse back to the same members (what
// parses but cannot be said, a name twice say, is refused by render with kInvalidArgument).
#include <span>

#include "faultline/ratelimit/quota_fields.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

template <typename Member, typename Parse, typename Render>
void check_field(std::string_view field, std::string_view value, Parse parse, Render render) {
  const std::string prefix = std::string(field) + ": ";
  const Result<std::vector<Member>> members = parse(value);
  if (!members.ok()) {
    require_error(members.error(), ErrorCode::kInvalidArgument, prefix, "parse " + prefix);
    return;
  }
  const Result<std::string> text = render(std::span<const Member>(*members));
  if (!text.ok()) {
    require_error(text.error(), ErrorCode::kInvalidArgument, prefix, "render " + prefix);
    return;
  }
  const Result<std::vector<Member>> again = parse(*text);
  require(again.ok() && *again == *members, prefix + "rendered text reads differently: " + *text);
}

}  // namespace

int fuzz_quota_fields(const std::uint8_t* data, std::size_t size) {
  const std::string_view value = as_text(data, size);
  check_field<ratelimit::QuotaPolicy>(ratelimit::kPolicyField, value, ratelimit::parse_policy_field,
                                      ratelimit::render_policy_field);
  check_field<ratelimit::QuotaStatus>(ratelimit::kRateLimitField, value,
                                      ratelimit::parse_ratelimit_field,
                                      ratelimit::render_ratelimit_field);
  return 0;
}

}  // namespace faultline::fuzz
