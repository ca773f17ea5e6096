#include "faultline/sim/redis_idempotency.h"

#include <string>

#include "faultline/sim/rpc.h"

namespace faultline::sim {
namespace {

using idempotency::BeginOutcome;
using idempotency::BeginReply;
using idempotency::RequestId;

std::int64_t ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::int64_t now_ms(const RedisKeyspace& keys) { return ms(keys.now().time_since_epoch()); }

std::int64_t field_ms(RedisKeyspace& keys, std::string_view key, std::string_view field) {
  const std::string* value = keys.hget(key, field);
  return value == nullptr ? 0 : std::stoll(*value);
}

std::string field(RedisKeyspace& keys, std::string_view key, std::string_view name) {
  const std::string* value = keys.hget(key, name);
  return value == nullptr ? std::string() : *value;
}

// The record under `key` if it is there and within its retention (an expired one is deleted,
// as the scripts do, so that begin starts afresh).
bool live(RedisKeyspace& keys, std::string_view key) {
  if (!keys.exists(key)) return false;
  if (now_ms(keys) < field_ms(keys, key, "expires")) return true;
  keys.del(key);
  return false;
}

// In progress and held by `owner`: the condition of every holder's operation.
bool held_by(RedisKeyspace& keys, std::string_view key, std::string_view owner) {
  return live(keys, key) && field(keys, key, "state") == "in_progress" &&
         field(keys, key, "owner") == owner;
}

void lease_to(RedisKeyspace& keys, std::string_view key, std::string_view owner, Duration lease) {
  keys.hset(key, "owner", std::string(owner));
  keys.hset(key, "lease_until", std::to_string(now_ms(keys) + ms(lease)));
}

void create(RedisKeyspace& keys, std::string_view key, std::string_view fingerprint,
            std::string_view owner, Duration lease, Duration retention) {
  keys.hset(key, "fp", std::string(fingerprint));
  keys.hset(key, "state", "in_progress");
  keys.hset(key, "point", std::string(idempotency::kStartedPoint));
  keys.hset(key, "data", "");
  keys.hset(key, "created", std::to_string(now_ms(keys)));
  keys.hset(key, "expires", std::to_string(now_ms(keys) + ms(retention)));
  lease_to(keys, key, owner, lease);
  keys.pexpire(key, retention);
}

BeginReply begin_step(RedisKeyspace& keys, std::string_view key, std::string_view fingerprint,
                      std::string_view owner, Duration lease, Duration retention) {
  if (!live(keys, key)) {
    create(keys, key, fingerprint, owner, lease, retention);
    return {.outcome = BeginOutcome::kStarted, .point = std::string(idempotency::kStartedPoint)};
  }
  if (field(keys, key, "fp") != fingerprint) return {.outcome = BeginOutcome::kMismatch};
  if (field(keys, key, "state") == "completed") {
    return {.outcome = BeginOutcome::kCompleted, .response = field(keys, key, "response")};
  }
  const std::int64_t left = field_ms(keys, key, "lease_until") - now_ms(keys);
  if (field(keys, key, "owner") != owner && left > 0) {
    return {.outcome = BeginOutcome::kInFlight, .lease_left = std::chrono::milliseconds(left)};
  }
  lease_to(keys, key, owner, lease);
  return {.outcome = BeginOutcome::kResumed,
          .point = field(keys, key, "point"),
          .data = field(keys, key, "data")};
}

}  // namespace

BeginReply RedisIdempotency::begin(RequestId id, std::string_view fingerprint,
                                   std::string_view owner, Duration lease, Duration retention) {
  const std::string key = idempotency::record_key(id);
  return node_.step([&](RedisKeyspace& keys) {
    return begin_step(keys, key, fingerprint, owner, lease, retention);
  });
}

bool RedisIdempotency::checkpoint(RequestId id, std::string_view owner, std::string_view point,
                                  std::string_view data, Duration lease) {
  const std::string key = idempotency::record_key(id);
  return node_.step([&](RedisKeyspace& keys) {
    if (!held_by(keys, key, owner)) return false;
    keys.hset(key, "point", std::string(point));
    keys.hset(key, "data", std::string(data));
    lease_to(keys, key, owner, lease);
    return true;
  });
}

bool RedisIdempotency::complete(RequestId id, std::string_view owner, std::string_view response) {
  const std::string key = idempotency::record_key(id);
  return node_.step([&](RedisKeyspace& keys) {
    if (!held_by(keys, key, owner)) return false;
    keys.hset(key, "state", "completed");
    keys.hset(key, "response", std::string(response));
    keys.hset(key, "owner", "");
    return true;
  });
}

bool RedisIdempotency::release(RequestId id, std::string_view owner) {
  const std::string key = idempotency::record_key(id);
  return node_.step(
      [&](RedisKeyspace& keys) { return held_by(keys, key, owner) && keys.del(key); });
}

idempotency::AbandonedPage RedisIdempotency::abandoned(std::string_view cursor,
                                                      std::size_t limit) {
  return node_.step([&](RedisKeyspace& keys) {
    const RedisKeyspace::ScanPage scanned = keys.scan(cursor, limit, idempotency::kRecordKeyPrefix);
    idempotency::AbandonedPage page;
    for (const std::string& name : scanned.names) {
      std::optional<idempotency::ParsedRecordKey> id = idempotency::parse_record_key(name);
      if (!id || !live(keys, name) || field(keys, name, "state") != "in_progress") continue;
      if (field_ms(keys, name, "lease_until") > now_ms(keys)) continue;
      page.requests.push_back({std::move(id->scope), std::move(id->key), field(keys, name, "fp"),
                               field(keys, name, "point"), field(keys, name, "data")});
    }
    if (scanned.more) page.next_cursor = scanned.last_examined;
    return page;
  });
}

namespace {

// A request's arguments copied for the server side of a call (the caller's views may dangle).
struct Request {
  std::string scope;
  std::string key;
  [[nodiscard]] RequestId id() const { return {scope, key}; }
};

Request copy(RequestId id) { return {std::string(id.scope), std::string(id.key)}; }

}  // namespace

Task<Result<BeginReply>> SimIdempotencyStore::begin(RequestId id, std::string_view fingerprint,
                                                    std::string_view owner, Duration lease,
                                                    Duration retention, Duration timeout) {
  if (auto r = idempotency::validate_begin(id, fingerprint, owner, lease, retention, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  auto op = [node, request = copy(id), fp = std::string(fingerprint), who = std::string(owner),
             lease, retention]() {
    return Result<BeginReply>(
        RedisIdempotency(*node).begin(request.id(), fp, who, lease, retention));
  };
  auto reply = call<BeginReply>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<bool>> SimIdempotencyStore::checkpoint(RequestId id, std::string_view owner,
                                                   std::string_view point, std::string_view data,
                                                   Duration lease, Duration timeout) {
  if (auto r = idempotency::validate_checkpoint(id, owner, point, data, lease, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  auto op = [node, request = copy(id), who = std::string(owner), p = std::string(point),
             d = std::string(data), lease]() {
    return Result<bool>(RedisIdempotency(*node).checkpoint(request.id(), who, p, d, lease));
  };
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<bool>> SimIdempotencyStore::complete(RequestId id, std::string_view owner,
                                                 std::string_view response, Duration timeout) {
  if (auto r = idempotency::validate_complete(id, owner, response, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  auto op = [node, request = copy(id), who = std::string(owner), body = std::string(response)]() {
    return Result<bool>(RedisIdempotency(*node).complete(request.id(), who, body));
  };
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<bool>> SimIdempotencyStore::release(RequestId id, std::string_view owner,
                                                Duration timeout) {
  if (auto r = idempotency::validate_release(id, owner, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  auto op = [node, request = copy(id), who = std::string(owner)]() {
    return Result<bool>(RedisIdempotency(*node).release(request.id(), who));
  };
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<idempotency::AbandonedPage>> SimIdempotencyStore::abandoned(std::string_view cursor,
                                                                        std::size_t limit,
                                                                        Duration timeout) {
  if (auto r = idempotency::validate_abandoned(cursor, limit, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  auto op = [node, from = std::string(cursor), limit]() {
    return Result<idempotency::AbandonedPage>(RedisIdempotency(*node).abandoned(from, limit));
  };
  auto reply = call<idempotency::AbandonedPage>(network_, client_, node_.host(), timeout,
                                                std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<std::size_t>> SimIdempotencyStore::reap(std::size_t limit, Duration timeout) {
  if (auto r = idempotency::validate_reap(limit, timeout); !r) co_return std::move(r).error();
  co_return std::size_t{0};
}

}  // namespace faultline::sim
