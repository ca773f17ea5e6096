// The idempotency scripts' replies (idempotency_scripts.h), and SCAN's, read into the store's
// results: RedisIdempotencyStore's decoders, on their own so that tests and the fuzz target
// (tests/fuzz/redis_store_replies.cc) reach them without a server.
//
// Contract: any RedisReply gives a result or a kProtocol error "<operation>: unexpected reply:
// ..." naming what was wrong (the shape, an element's kind, a value out of range); `operation`
// is "begin" or "abandoned". Never asserts, whatever the reply.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "faultline/backends/redis/reply.h"
#include "faultline/idempotency/idempotency_store.h"
#include "faultline/result.h"

namespace faultline::backends::redis {

// kBegin's reply {outcome code, point, data, response, lease_left_ms}. Refused: not an array of
// 5, an unknown code, an element of the wrong kind, a negative lease left, kInFlight with no
// lease left. A lease left above idempotency::kMaxLease (no client sets a longer one; the
// server's clock stepped back) is read as kMaxLease.
[[nodiscard]] Result<idempotency::BeginReply> decode_begin_reply(const RedisReply& reply);

// SCAN's reply {next cursor, {names...}}: the cursor and the names, all strings.
[[nodiscard]] Result<std::pair<std::string, std::vector<std::string>>> decode_scan_reply(
    const RedisReply& reply);

// kAbandoned's flat reply: name, fingerprint, point, data for each abandoned record, all
// strings. A name that is not a record key (idempotency::parse_record_key) is skipped: a key
// under the prefix that is not ours.
[[nodiscard]] Result<std::vector<idempotency::AbandonedRequest>> decode_abandoned_reply(
    const RedisReply& reply);

}  // namespace faultline::backends::redis
