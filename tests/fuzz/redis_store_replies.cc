// Fuzzes the Redis stores' reply decoders (limit_replies.h, idempotency_replies.h) on whatever
// reply a server could send: the input's first byte picks the decoder (and, for the tiered one,
// the number of tiers), the rest is RESP read by the connection's ReplyReader. Each decoder gives
// a value that keeps its contract or kProtocol "<operation>: unexpected reply: ...", never an
// assertion, an overflow or another code.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "backends/src/redis/codec.h"
#include "faultline/backends/redis/connection_options.h"
#include "faultline/backends/redis/idempotency_replies.h"
#include "faultline/backends/redis/limit_replies.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

using backends::redis::RedisReply;
using backends::redis::detail::ReplyReader;

// The first whole reply in `bytes`, if they hold one.
std::optional<RedisReply> first_reply(std::string_view bytes) {
  ReplyReader reader(backends::redis::ConnectionOptions{}.max_reply_bytes);
  if (!reader.feed(bytes.data(), bytes.size()).ok()) return std::nullopt;
  Result<std::optional<RedisReply>> next = reader.next();
  if (!next.ok() || !next->has_value()) return std::nullopt;
  return std::move(**next);
}

// A decoded decision's durations are non-negative and convert to a Duration without overflow.
void check_decision(const ratelimit::Decision& d, std::string_view decoder) {
  const std::string where(decoder);
  require(d.limit >= 1 && d.remaining >= 0, where + ": a limit below 1 or remaining below 0");
  require(d.reset_after >= ratelimit::Micros::zero(), where + ": a negative reset_after");
  require(d.reset_after <= std::chrono::duration_cast<ratelimit::Micros>(Duration::max()),
          where + ": a reset_after no Duration holds");
  if (d.retry_after) {
    require(*d.retry_after >= ratelimit::Micros::zero(), where + ": a negative retry_after");
    require(*d.retry_after <= std::chrono::duration_cast<ratelimit::Micros>(Duration::max()),
            where + ": a retry_after no Duration holds");
  }
}

void decision(const RedisReply& reply) {
  const auto got = backends::redis::decode_decision_reply(reply);
  if (!got.ok()) {
    require_error(got.error(), ErrorCode::kProtocol, "decide: unexpected reply: ", "decision");
    return;
  }
  check_decision(got->decision, "decode_decision_reply");
}

void tiered(const RedisReply& reply, std::size_t tiers) {
  const auto got = backends::redis::decode_tiered_reply(reply, tiers);
  if (!got.ok()) {
    require_error(got.error(), ErrorCode::kProtocol, "decide: unexpected reply: ", "tiered");
    return;
  }
  const ratelimit::TieredDecision& d = got->decision;
  require(d.tiers.size() == tiers, "decode_tiered_reply: not one decision per tier");
  bool all = true;
  for (const ratelimit::Decision& t : d.tiers) {
    check_decision(t, "decode_tiered_reply");
    all = all && t.allowed;
  }
  require(d.allowed == all, "decode_tiered_reply: allowed disagrees with the tiers'");
}

void begin(const RedisReply& reply) {
  const auto got = backends::redis::decode_begin_reply(reply);
  if (!got.ok()) {
    require_error(got.error(), ErrorCode::kProtocol, "begin: unexpected reply: ", "begin");
    return;
  }
  require(got->lease_left >= Duration::zero() && got->lease_left <= idempotency::kMaxLease,
          "decode_begin_reply: a lease left outside [0, kMaxLease]");
  require(got->outcome != idempotency::BeginOutcome::kInFlight ||
              got->lease_left > Duration::zero(),
          "decode_begin_reply: in flight with no lease left");
}

void scan(const RedisReply& reply) {
  const auto got = backends::redis::decode_scan_reply(reply);
  if (!got.ok()) {
    require_error(got.error(), ErrorCode::kProtocol, "abandoned: unexpected reply: ", "scan");
    return;
  }
  require(got->second.size() == reply.as_array()[1].as_array().size(),
          "decode_scan_reply: lost or added a name");
}

void abandoned(const RedisReply& reply) {
  const auto got = backends::redis::decode_abandoned_reply(reply);
  if (!got.ok()) {
    require_error(got.error(), ErrorCode::kProtocol, "abandoned: unexpected reply: ", "abandoned");
    return;
  }
  // One request per quadruple whose name is a record key, in order, with its three values;
  // every other quadruple skipped.
  const std::vector<RedisReply>& e = reply.as_array();
  std::size_t next = 0;
  for (std::size_t i = 0; i + 3 < e.size(); i += 4) {
    const auto id = idempotency::parse_record_key(e[i].as_text());
    if (!id) continue;
    require(next < got->size(), "decode_abandoned_reply: a record key's quadruple dropped");
    const idempotency::AbandonedRequest& r = (*got)[next++];
    require(r.scope == id->scope && r.key == id->key && r.fingerprint == e[i + 1].as_text() &&
                r.point == e[i + 2].as_text() && r.data == e[i + 3].as_text(),
            "decode_abandoned_reply: a request that is not its quadruple");
  }
  require(next == got->size(), "decode_abandoned_reply: a request from no record key");
}

}  // namespace

int fuzz_redis_store_replies(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::optional<RedisReply> reply = first_reply(as_text(data + 1, size - 1));
  if (!reply) return 0;
  switch (data[0] % 5) {
    case 0: decision(*reply); break;
    case 1: tiered(*reply, data[0] / 5 % 4); break;
    case 2: begin(*reply); break;
    case 3: scan(*reply); break;
    default: abandoned(*reply); break;
  }
  return 0;
}

}  // namespace faultline::fuzz
