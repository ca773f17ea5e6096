#include "faultline/ratelimit/headers.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "faultline/invariant.h"
#include "faultline/validate.h"

namespace faultline::ratelimit {
namespace {

using std::chrono::seconds;

// Whole seconds, rounded up: a client told to wait this long is never early.
seconds ceil_seconds(Micros d) {
  FAULTLINE_INVARIANT(d >= Micros::zero(), "waits are never negative");
  return seconds(ceil_div(d.count(), 1'000'000));
}

// The time in which the policy gives back q units from nothing, before rounding (see the
// header's table). Below 2^53 us by decision.h's bounds.
Micros refill_time(const Policy& policy) {
  if (const auto* g = std::get_if<GcraPolicy>(&policy)) {
    return emission_interval(*g) * (g->max_burst + 1);
  }
  if (const auto* b = std::get_if<TokenBucketPolicy>(&policy)) {
    return Micros(ceil_div(b->capacity * b->period.count(), b->count));
  }
  return policy_window(policy);  // the three windowed algorithms
}

std::int64_t quota_of(const Policy& policy) {
  if (const auto* g = std::get_if<GcraPolicy>(&policy)) return g->max_burst + 1;
  if (const auto* b = std::get_if<TokenBucketPolicy>(&policy)) return b->capacity;
  if (const auto* l = std::get_if<SlidingLogPolicy>(&policy)) return l->limit;
  if (const auto* c = std::get_if<SlidingCounterPolicy>(&policy)) return c->limit;
  return std::get<FixedWindowPolicy>(policy).limit;
}

// The policies that refused, and what a client may do about it.
struct Violations {
  std::vector<std::string> names;  // in the order given
  std::vector<std::string> never;  // those no wait can satisfy (cost above the limit)
  seconds longest_wait{0};         // the largest t among the others
};

Violations violations(std::span<const NamedLimit> limits, std::span<const QuotaStatus> statuses) {
  Violations v;
  for (std::size_t i = 0; i < limits.size(); ++i) {
    if (limits[i].decision.allowed) continue;
    v.names.push_back(limits[i].name);
    if (!limits[i].decision.retry_after) {
      v.never.push_back(limits[i].name);
    } else {
      FAULTLINE_INVARIANT(statuses[i].reset.has_value(), "a refusal's t is always given");
      v.longest_wait = std::max(v.longest_wait, *statuses[i].reset);
    }
  }
  return v;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "\"" : ", \"") + name + "\"";
  return out;
}

std::string problem_body(const Violations& v) {
  const std::string detail =
      !v.never.empty()
          ? "The request costs more than policy " + quoted_list(v.never) +
                " ever allows: no wait will let it through, so there is no Retry-After. The "
                "request itself must change (smaller, or split)."
          : "Quota exceeded for policy " + quoted_list(v.names) + ". Retry after " +
                std::to_string(v.longest_wait.count()) + " seconds.";
  nlohmann::ordered_json body = {
      {"type", kQuotaExceededType},
      {"title", "Request cannot be satisfied as assigned quota has been exceeded"},
      {"status", 429},
      {"detail", detail},
      {"violated-policies", v.names},
  };
  // Names are printable ASCII (checked when the fields were rendered): nothing to replace.
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// The most restrictive policy's trio (see LegacyFields).
LegacyFields legacy_fields(std::span<const NamedLimit> limits,
                           std::span<const QuotaStatus> statuses) {
  const auto rank = [&](std::size_t i) {
    return std::make_tuple(limits[i].decision.allowed, statuses[i].remaining,
                           -statuses[i].reset.value_or(seconds(0)).count());
  };
  std::size_t best = 0;
  for (std::size_t i = 1; i < limits.size(); ++i) {
    if (rank(i) < rank(best)) best = i;
  }
  return LegacyFields{.limit = limits[best].decision.limit,
                      .remaining = statuses[best].remaining,
                      .reset = statuses[best].reset.value_or(seconds(0))};
}

// Ok if `d` could be a decision of a policy whose quota is `quota`: the same limit, remaining
// within it, waits not negative and below 2^53 us (decision.h's bound, so rounding them up to
// seconds cannot overflow).
Result<void> check_decision(const std::string& where, const Decision& d, std::int64_t quota) {
  if (d.limit != quota) {
    return field_error(where + ".limit", std::to_string(d.limit),
                       "must be the policy's quota, " + std::to_string(quota) +
                           " (a decision of another policy?)");
  }
  constexpr std::int64_t kMaxWaitUs = std::int64_t{1} << 53;
  if (auto r = check_range(where + ".remaining", d.remaining, 0, d.limit); !r) return r;
  if (auto r = check_range(where + ".reset_after_us", d.reset_after.count(), 0, kMaxWaitUs); !r) {
    return r;
  }
  if (!d.retry_after) return Ok{};
  return check_range(where + ".retry_after_us", d.retry_after->count(), 0, kMaxWaitUs);
}

// Both fields' members for `limits`, or the first limit that cannot be described.
Result<std::pair<std::vector<QuotaPolicy>, std::vector<QuotaStatus>>> describe(
    std::span<const NamedLimit> limits) {
  std::vector<QuotaPolicy> policies;
  std::vector<QuotaStatus> statuses;
  for (std::size_t i = 0; i < limits.size(); ++i) {
    const NamedLimit& l = limits[i];
    const std::string where = "limits[" + std::to_string(i) + "]";
    if (auto r = validate(l.policy); !r) {
      return invalid_argument(where + ".policy: " + r.error().message);
    }
    policies.push_back(quota_policy(l.name, l.policy));
    policies.back().quota_unit = l.quota_unit;
    policies.back().partition_key = l.partition_key;
    if (auto r = check_decision(where + ".decision", l.decision, policies.back().quota); !r) {
      return r.error();
    }
    statuses.push_back(quota_status(l.name, l.decision));
    statuses.back().partition_key = l.partition_key;
  }
  return std::make_pair(std::move(policies), std::move(statuses));
}

}  // namespace

QuotaPolicy quota_policy(std::string name, const Policy& policy) {
  return QuotaPolicy{.name = std::move(name),
                     .quota = quota_of(policy),
                     .window = ceil_seconds(refill_time(policy))};
}

QuotaStatus quota_status(std::string name, const Decision& decision) {
  QuotaStatus status{.name = std::move(name), .remaining = decision.remaining};
  if (!decision.allowed && decision.retry_after) {
    status.reset = std::max(seconds(1), ceil_seconds(*decision.retry_after));
  } else if (decision.reset_after > Micros::zero()) {
    status.reset = ceil_seconds(decision.reset_after);
  }
  return status;
}

Result<ResponseHeaders> response_headers(std::span<const NamedLimit> limits,
                                         HeaderOptions options) {
  auto members = describe(limits);
  if (!members) return members.error();
  const auto& [policies, statuses] = members.value();
  ResponseHeaders out;
  Result<std::string> policy = render_policy_field(policies);
  if (!policy) return policy.error();
  out.policy = std::move(policy).value();
  Result<std::string> ratelimit = render_ratelimit_field(statuses);
  if (!ratelimit) return ratelimit.error();
  out.ratelimit = std::move(ratelimit).value();
  if (options.legacy) out.legacy = legacy_fields(limits, statuses);
  const Violations v = violations(limits, statuses);
  out.refused = !v.names.empty();
  if (!out.refused) return out;
  if (v.never.empty()) out.retry_after = std::max(seconds(1), v.longest_wait);
  out.problem = problem_body(v);
  return out;
}

std::vector<std::pair<std::string, std::string>> ResponseHeaders::fields() const {
  std::vector<std::pair<std::string, std::string>> out = {
      {std::string(kPolicyField), policy},
      {std::string(kRateLimitField), ratelimit},
  };
  if (retry_after) out.emplace_back("Retry-After", std::to_string(retry_after->count()));
  if (legacy) {
    out.emplace_back("RateLimit-Limit", std::to_string(legacy->limit));
    out.emplace_back("RateLimit-Remaining", std::to_string(legacy->remaining));
    out.emplace_back("RateLimit-Reset", std::to_string(legacy->reset.count()));
  }
  return out;
}

}  // namespace faultline::ratelimit
