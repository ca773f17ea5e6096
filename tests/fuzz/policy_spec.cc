// Fuzzes the rate-limit policy spec and its durations (policy_spec.h): any text gives a policy
// or kInvalidArgument "policy '...': ..." ("'...' is not a duration" for a bare duration); a
// policy that reads is valid, and its spec reads back to the same spec.
#include "faultline/ratelimit/policy_spec.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {

int fuzz_policy_spec(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  const Result<ratelimit::Micros> duration = ratelimit::parse_limit_duration(text);
  if (duration.ok()) {
    require(duration->count() >= 0, "parse_limit_duration: negative duration");
  } else {
    require_error(duration.error(), ErrorCode::kInvalidArgument, "'", "parse_limit_duration");
  }
  const Result<ratelimit::Policy> policy = ratelimit::parse_policy_spec(text);
  if (!policy.ok()) {
    require_error(policy.error(), ErrorCode::kInvalidArgument, "policy '", "parse_policy_spec");
    return 0;
  }
  require(ratelimit::validate(*policy).ok(), "parse_policy_spec: read an invalid policy");
  const std::string spec = ratelimit::policy_spec(*policy);
  const Result<ratelimit::Policy> again = ratelimit::parse_policy_spec(spec);
  require(again.ok(), "parse_policy_spec: its own spec does not read: " + spec);
  require(ratelimit::policy_spec(*again) == spec, "parse_policy_spec: round trip differs: " + spec);
  return 0;
}

}  // namespace faultline::fuzz
