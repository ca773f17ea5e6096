#include "examples/payments_service/caller_limits.h"

#include <cstdio>

#include "examples/payments_service/problem.h"
#include "faultline/idempotency/request_key.h"
#include "faultline/invariant.h"
#include "faultline/ratelimit/headers.h"

namespace faultline::payments {
namespace {

using ratelimit::OutagePolicy;

// Callers up to this length are their own limiter key; longer ones are hashed. Well inside the
// limiter's bound on a tier's key (kMaxLimitKeyBytes less the tier's name).
constexpr std::size_t kMaxPlainCallerBytes = 64;
static_assert(kMaxPlainCallerBytes + 7 < ratelimit::kMaxLimitKeyBytes / 2);

constexpr std::string_view kCallerTier = "caller";
constexpr std::string_view kGlobalTier = "global";
constexpr std::string_view kGlobalKey = "all";

std::string_view outage_name(OutagePolicy policy) {
  switch (policy) {
    case OutagePolicy::kFailOpen: return "allowing every request";
    case OutagePolicy::kFailClosed: return "refusing every request with 503";
    case OutagePolicy::kFallback: return "deciding in this process";
  }
  return "?";
}

// The store's error, never a key: the limiter's store errors are about the connection.
void log_event(const ratelimit::LimiterEvent& event) {
  if (event.kind == ratelimit::LimiterEventKind::kStoreLost) {
    std::fprintf(stderr, "payments: rate-limit store lost (%s); %s until it answers\n",
                 event.error ? event.error->to_string().c_str() : "no error",
                 std::string(outage_name(event.on_outage)).c_str());
  } else {
    std::fprintf(stderr, "payments: rate-limit store restored\n");
  }
}

HttpResponse limiter_failure(const Error& error) {
  if (error.code != ErrorCode::kUnavailable) {
    std::fprintf(stderr, "payments: the rate limiter failed: %s\n",
                 std::string(to_string(error.code)).c_str());
    return problem_response({.status = 500,
                             .type = "internal-error",
                             .title = "The request failed",
                             .detail = "an internal error; it was logged"});
  }
  std::fprintf(stderr, "payments: rate limits unavailable: %s\n", error.to_string().c_str());
  HttpResponse response = problem_response(
      {.status = 503,
       .type = "rate-limit-unavailable",
       .title = "The rate limits cannot be checked",
       .detail = "the request was neither checked against its limits nor run, and nothing was "
                 "stored; retry after Retry-After seconds"});
  response.retry_after = std::chrono::seconds(1);
  return response;
}

}  // namespace

std::string caller_limit_key(const std::string& caller) {
  if (caller.size() <= kMaxPlainCallerBytes) return caller;
  return "sha256:" + idempotency::to_hex(idempotency::sha256(caller));
}

Result<CallerLimits> CallerLimits::create(Clock& clock, ratelimit::LimitStore& store,
                                          const RateLimitFlags& flags) {
  FAULTLINE_INVARIANT(flags.enabled(), "CallerLimits::create with no limit");
  ratelimit::RateLimiterOptions options;
  if (flags.caller) options.tiers.push_back({std::string(kCallerTier), *flags.caller});
  if (flags.global) options.tiers.push_back({std::string(kGlobalTier), *flags.global});
  options.on_outage = flags.on_outage;
  options.on_event = log_event;
  Result<ratelimit::RateLimiter> limiter =
      ratelimit::RateLimiter::create(clock, store, std::move(options));
  if (!limiter.ok()) return std::move(limiter).error();
  return CallerLimits(std::move(limiter).value(), flags.headers);
}

Task<Admission> CallerLimits::admit(const std::string& caller) {
  // Kept in this frame until the check completes (it reads them through a span).
  std::vector<std::string> keys;
  for (const ratelimit::TierSpec& tier : limiter_.options().tiers) {
    keys.push_back(tier.name == kCallerTier ? caller_limit_key(caller) : std::string(kGlobalKey));
  }
  auto check = limiter_.check(keys, 1);
  Result<ratelimit::Verdict> verdict = co_await std::move(check);
  if (!verdict.ok()) co_return Admission{.refusal = limiter_failure(verdict.error())};
  co_return admission(*verdict);
}

Admission CallerLimits::admission(const ratelimit::Verdict& verdict) const {
  if (verdict.tiers.empty()) return {};  // failed open: nothing was decided, nothing to say
  const std::vector<ratelimit::TierSpec>& tiers = limiter_.options().tiers;
  FAULTLINE_INVARIANT(verdict.tiers.size() == tiers.size() &&
                          verdict.policies.size() == tiers.size(),
                      "a decision per tier");
  // Each under the policy it was decided by: the tier's own, or its fallback share.
  std::vector<ratelimit::NamedLimit> limits;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    limits.push_back(
        {.name = tiers[i].name, .policy = verdict.policies[i], .decision = verdict.tiers[i]});
  }
  Result<ratelimit::ResponseHeaders> headers =
      ratelimit::response_headers(limits, {.legacy = style_ != HeaderStyle::kDraft});
  if (!headers.ok()) {
    std::fprintf(stderr, "payments: no rate-limit fields: %s\n",
                 headers.error().to_string().c_str());
    if (verdict.allowed) return {};
    return {.refusal = limiter_failure(std::move(headers).error())};
  }
  Admission admission;
  for (auto& [name, value] : headers->fields()) {
    const bool draft = name == ratelimit::kPolicyField || name == ratelimit::kRateLimitField;
    if (draft && style_ == HeaderStyle::kLegacy) continue;
    admission.fields.emplace_back(std::move(name), std::move(value));
  }
  if (verdict.allowed) return admission;
  HttpResponse refusal;
  refusal.status = 429;
  refusal.content_type = std::string(kProblemJson);
  refusal.body = headers->problem.value_or("");
  refusal.fields = std::move(admission.fields);
  return {.refusal = std::move(refusal)};
}

}  // namespace faultline::payments
