#include "faultline/backends/redis/limit_replies.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "faultline/clock.h"

namespace faultline::backends::redis {
namespace {

using ratelimit::Micros;

// The longest retry or reset a decision may carry: what a Duration holds.
constexpr std::int64_t kMaxMicros = std::chrono::duration_cast<Micros>(Duration::max()).count();

Error malformed(std::string what) {
  return Error{ErrorCode::kProtocol, "decide: unexpected reply: " + std::move(what)};
}

// Five integers from `e[at]`: allowed, limit, remaining, retry_after_us (-1: never),
// reset_after_us.
Result<ratelimit::Decision> decode_five(const std::vector<RedisReply>& e, std::size_t at) {
  for (std::size_t i = at; i < at + 5; ++i) {
    if (!e[i].is_integer()) return malformed("an element is not an integer");
  }
  const std::int64_t allowed = e[at].as_integer();
  const std::int64_t retry = e[at + 3].as_integer();
  const std::int64_t reset = e[at + 4].as_integer();
  if (allowed != 0 && allowed != 1) return malformed("allowed is not 0 or 1");
  if (e[at + 1].as_integer() < 1 || e[at + 2].as_integer() < 0 || reset < 0 || retry < -1) {
    return malformed("a negative limit, remaining, retry_after or reset_after");
  }
  if (retry > kMaxMicros || reset > kMaxMicros) {
    return malformed("a retry_after or reset_after longer than a Duration holds");
  }
  ratelimit::Decision out;
  out.allowed = allowed == 1;
  out.limit = e[at + 1].as_integer();
  out.remaining = e[at + 2].as_integer();
  if (retry < 0) {
    out.retry_after = std::nullopt;
  } else {
    out.retry_after = Micros(retry);
  }
  out.reset_after = Micros(reset);
  return out;
}

// Checks that `allowed` agrees with the tiers' and fills in retry_after.
Result<TimedTieredDecision> finish_tiered(TimedTieredDecision timed) {
  ratelimit::TieredDecision& d = timed.decision;
  const bool all = std::all_of(d.tiers.begin(), d.tiers.end(),
                               [](const ratelimit::Decision& t) { return t.allowed; });
  if (all != d.allowed) return malformed("allowed disagrees with the tiers'");
  d.retry_after = ratelimit::combined_retry_after(d.tiers);
  return timed;
}

Result<ratelimit::Instant> decode_now(const RedisReply& element) {
  if (!element.is_integer()) return malformed("now is not an integer");
  return ratelimit::Instant(Micros(element.as_integer()));
}

}  // namespace

Result<TimedDecision> decode_decision_reply(const RedisReply& reply) {
  if (!reply.is_array() || reply.as_array().size() != 6) {
    return malformed("a " + std::string(to_string(reply.kind())) + ", expected an array of 6");
  }
  Result<ratelimit::Decision> decision = decode_five(reply.as_array(), 0);
  if (!decision.ok()) return std::move(decision).error();
  Result<ratelimit::Instant> at = decode_now(reply.as_array()[5]);
  if (!at.ok()) return std::move(at).error();
  return TimedDecision{*decision, *at};
}

Result<TimedTieredDecision> decode_tiered_reply(const RedisReply& reply, std::size_t tiers) {
  const std::size_t size = 2 + 5 * tiers;
  if (!reply.is_array() || reply.as_array().size() != size) {
    return malformed("a " + std::string(to_string(reply.kind())) + ", expected an array of " +
                     std::to_string(size));
  }
  const std::vector<RedisReply>& e = reply.as_array();
  if (!e[0].is_integer() || (e[0].as_integer() != 0 && e[0].as_integer() != 1)) {
    return malformed("allowed is not 0 or 1");
  }
  Result<ratelimit::Instant> at = decode_now(e[1]);
  if (!at.ok()) return std::move(at).error();
  TimedTieredDecision out;
  out.decision.allowed = e[0].as_integer() == 1;
  out.at = *at;
  for (std::size_t i = 0; i < tiers; ++i) {
    Result<ratelimit::Decision> d = decode_five(e, 2 + 5 * i);
    if (!d.ok()) return std::move(d).error();
    out.decision.tiers.push_back(*d);
  }
  return finish_tiered(std::move(out));
}

}  // namespace faultline::backends::redis
