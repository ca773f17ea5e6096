// What an HTTP response says about the limits a request was checked against: the
// RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers-10
// (quota_fields.h), Retry-After on a refusal, the RFC 9457 problem body of a 429, and optionally
// the older RateLimit-Limit / -Remaining / -Reset trio, all built from our decisions.
//
// What q and w mean for each algorithm. Every Decision reports `limit`, the most units one
// request may ever cost, and `remaining` on that scale; q is that limit, so r <= q always holds.
// w is then the time in which the policy gives a client q units back from nothing:
//   sliding-log, sliding-counter, fixed-window  q = limit       w = the window
//   token-bucket                                q = capacity    w = capacity * period / count
//   gcra                                        q = max_burst+1 w = q * period / count
// For the two rates, q is the burst a client may send at once and q / w the sustained rate
// (count / period) exactly, which "q = capacity, w = period" would overstate whenever count !=
// capacity. The sliding counter may admit up to about twice q in some window (its header says
// why); the fields cannot say so. w is rounded UP to whole seconds, so a client that paces
// itself to q per w never sends faster than the policy allows (a 100 ms window is w=1).
//
// What r and t mean. r = decision.remaining. t, in seconds rounded UP:
//   - refused, retry_after finite: ceil(retry_after), when this same request would pass;
//   - otherwise: ceil(reset_after), when the policy is back to rest (the whole quota available),
//     or no t at all when it is at rest now (nothing will change by waiting).
// A refused request's t is at least 1 (a refusal's retry_after is never zero).
//
// Retry-After (RFC 9110 delta-seconds), on a refusal only: the largest t over the violated
// policies (those whose decision refused), so a client that waits it out is never early for
// any of them; at least 1 s. When a violated policy can never admit the request (retry_after ==
// std::nullopt: the cost is above its limit) there is no Retry-After: waiting cannot help, the
// request itself must change (be smaller or split), and the problem's detail says so.
//
// Contract
//   - response_headers is a pure function of its arguments. It fails, with kInvalidArgument
//     naming the member and the part, when there is no limit or more than sf::kMaxListMembers,
//     a name is empty, not printable ASCII or given twice (quota_fields.h), a policy does not
//     validate, a decision's limit is not its policy's q (a decision of another policy), its
//     remaining is outside [0, limit] or a wait is negative or above 2^53 us, or a
//     field would pass sf::kMaxFieldBytes. Everything it renders parses back with
//     parse_policy_field / parse_ratelimit_field to the values quota_policy / quota_status give.
// Thread-safety: pure functions over values.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/ratelimit/decision.h"
#include "faultline/ratelimit/policy.h"
#include "faultline/ratelimit/quota_fields.h"
#include "faultline/result.h"

namespace faultline::ratelimit {

// The problem type the draft defines for a request over quota, with its "violated-policies"
// member (an array of the policy names).
inline constexpr std::string_view kQuotaExceededType =
    "https://iana.org/assignments/http-problem-types#quota-exceeded";

// One policy a request was checked against, and what it decided.
struct NamedLimit {
  std::string name;  // the member's name in both fields and in "violated-policies"
  Policy policy{};
  Decision decision{};
  std::optional<std::string> quota_unit{};     // qu: "content-bytes", "concurrency"; none: requests
  std::optional<std::string> partition_key{};  // pk: the client's partition, as bytes
};

struct HeaderOptions {
  // Also RateLimit-Limit / -Remaining / -Reset (the drafts up to -06, still widely read).
  bool legacy{false};
};

// The older trio, from the most restrictive policy: a violated one first, then the one with the
// least remaining, then the latest reset. reset is t (0 when the policy is at rest).
struct LegacyFields {
  std::int64_t limit{0};
  std::int64_t remaining{0};
  std::chrono::seconds reset{0};

  friend bool operator==(const LegacyFields&, const LegacyFields&) = default;
};

struct ResponseHeaders {
  bool refused{false};    // some policy refused the request: answer 429
  std::string policy;     // RateLimit-Policy
  std::string ratelimit;  // RateLimit
  // Refused and every violated policy satisfiable by waiting; see the header.
  std::optional<std::chrono::seconds> retry_after{};
  std::optional<LegacyFields> legacy{};  // when HeaderOptions::legacy
  // Refused: the application/problem+json body, {"type": kQuotaExceededType, "title", "status":
  // 429, "detail", "violated-policies": [names, in the given order]}.
  std::optional<std::string> problem{};

  // Every field as (name, value), in the order to send them (the body is not a field).
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> fields() const;
};

// q and w of `policy` (the table above). Precondition: validate(policy) is ok.
[[nodiscard]] QuotaPolicy quota_policy(std::string name, const Policy& policy);

// r and t of `decision` (see above). Precondition (FAULTLINE_INVARIANT): its waits are not
// negative; response_headers checks them as errors first.
[[nodiscard]] QuotaStatus quota_status(std::string name, const Decision& decision);

// Everything a response says about `limits` (see the contract).
[[nodiscard]] Result<ResponseHeaders> response_headers(std::span<const NamedLimit> limits,
                                                       HeaderOptions options = {});

}  // namespace faultline::ratelimit
