// The two fields of draft-ietf-httpapi-ratelimit-headers-10, as values and as text:
//
//   RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400;qu="request"
//   RateLimit:        "burst";r=50;t=30, "daily";r=990
//
// Each is a Structured Field List (RFC 8941, structured_fields.h) of Items whose bare item names
// a quota policy; the parameters say the rest:
//   RateLimit-Policy  q  the quota, in quota units (Integer, required)
//                     w  the window the quota applies to, in seconds (Integer, optional)
//                     qu the quota unit: "request" (the default), "content-bytes",
//                        "concurrency" (String; a Token is accepted too)
//                     pk the partition key: which client's quota this is (Byte Sequence)
//   RateLimit         r  the quota units remaining (Integer, required)
//                     t  seconds until the quota is restored; relative, never an epoch (Integer,
//                        optional)
//                     pk as above
// What q, w, r and t mean for each of our algorithms is in headers.h, which builds these values
// from decisions.
//
// Contract
//   - render_*: the canonical text, or kInvalidArgument "<field>: <member>.<part>: <why>" when
//     the values cannot be said: an empty name, or one with a byte outside printable ASCII
//     (0x20-0x7E: an sf-string carries nothing else; a caller with UTF-8 names must encode them
//     first), a name twice (a client could not tell the members apart), a negative count, a
//     window under 1 s, a number above 15 digits, no member or more than sf::kMaxListMembers, or
//     text longer than sf::kMaxFieldBytes. So whatever renders parses back to the same values.
//   - parse_*: the members in order, or kInvalidArgument naming the field, what was wrong and
//     where: the byte offset of a syntax error (structured_fields.h), or the member's index, name
//     and offset when a member is well-formed but wrong for this field (a required parameter
//     missing, one of the wrong type or out of range (q, r and t >= 0, w >= 1), a name that is
//     not a String or Token).
//     Parameters this draft does not define are ignored, as RFC 8941 and the draft ask; a
//     parameter given twice takes its last value. An empty value is refused: both fields are
//     non-empty Lists. Bounded as parse_list is; never a crash on any input.
//   - Several field lines of one response are one value: join them with ", " first.
// Thread-safety: pure functions over values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/result.h"

namespace faultline::ratelimit {

inline constexpr std::string_view kPolicyField = "RateLimit-Policy";
inline constexpr std::string_view kRateLimitField = "RateLimit";

// One member of RateLimit-Policy: a quota policy the server applies.
struct QuotaPolicy {
  std::string name;
  std::int64_t quota{0};                         // q, >= 0
  std::optional<std::chrono::seconds> window{};  // w, >= 1s
  std::optional<std::string> quota_unit{};       // qu
  std::optional<std::string> partition_key{};    // pk, raw bytes

  friend bool operator==(const QuotaPolicy&, const QuotaPolicy&) = default;
};

// One member of RateLimit: where a policy stands for this client now.
struct QuotaStatus {
  std::string name;
  std::int64_t remaining{0};                    // r, >= 0
  std::optional<std::chrono::seconds> reset{};  // t, >= 0s, from the response on
  std::optional<std::string> partition_key{};   // pk, raw bytes

  friend bool operator==(const QuotaStatus&, const QuotaStatus&) = default;
};

[[nodiscard]] Result<std::string> render_policy_field(std::span<const QuotaPolicy> policies);
[[nodiscard]] Result<std::string> render_ratelimit_field(std::span<const QuotaStatus> statuses);

[[nodiscard]] Result<std::vector<QuotaPolicy>> parse_policy_field(std::string_view value);
[[nodiscard]] Result<std::vector<QuotaStatus>> parse_ratelimit_field(std::string_view value);

}  // namespace faultline::ratelimit
