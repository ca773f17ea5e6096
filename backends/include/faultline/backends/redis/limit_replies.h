// The rate-limit scripts' replies (limit_scripts.h) read into decisions: RedisLimitStore's
// decoders, on their own so that tests and the fuzz target (tests/fuzz/redis_store_replies.cc)
// reach them without a server.
//
// Contract: any RedisReply gives a decision or a kProtocol error "decide: unexpected reply: ..."
// naming what was wrong (the shape, an element's kind, a value out of range). Never asserts,
// whatever the reply. Every duration decoded fits a faultline::Duration (nanoseconds): a larger
// one is refused, so no caller converts it with an overflow.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>

#include "faultline/backends/redis/reply.h"
#include "faultline/ratelimit/decision.h"
#include "faultline/ratelimit/tiered.h"
#include "faultline/result.h"

namespace faultline::backends::redis {

// A script's reply {allowed, limit, remaining, retry_us (-1: never), reset_us, now_us} as a
// decision and the server's instant.
struct TimedDecision {
  ratelimit::Decision decision{};
  ratelimit::Instant at{};
};
[[nodiscard]] Result<TimedDecision> decode_decision_reply(const RedisReply& reply);

// The tiered script's reply {allowed, now_us, then five integers per tier} for `tiers` tiers,
// with retry_after combined (tiered.h); also kProtocol when allowed disagrees with the tiers'.
struct TimedTieredDecision {
  ratelimit::TieredDecision decision{};
  ratelimit::Instant at{};
};
[[nodiscard]] Result<TimedTieredDecision> decode_tiered_reply(const RedisReply& reply,
                                                              std::size_t tiers);

}  // namespace faultline::backends::redis
