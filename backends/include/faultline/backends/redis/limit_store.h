// RedisLimitStore: the LimitStore (faultline/ratelimit/limit_store.h) on one Redis server, one
// Lua script per algorithm (limit_scripts.h), run by EVALSHA with a reload on NOSCRIPT.
//
// Contract: that of ratelimit::LimitStore (single and tiered decisions), for all five algorithms: GCRA (a string holding the
// TAT), the sliding log (a sorted set bounded by the limit), the token bucket, the sliding
// counter and the fixed window (small hashes). `now` is the server's TIME, to the microsecond.
// Arguments are checked with ratelimit::validate_decide first. Errors otherwise as Script::run()
// (kUnavailable when nothing was sent, kOutcomeUnknown when the script may have run), within
// `timeout`; a reply of an unexpected shape is kProtocol naming what was wrong.
//
// Ownership: borrows its Connection (which must outlive the store and every call in progress);
// create() makes a store that owns a new one. Not movable.
// Thread-safety: one executor (the Connection's); concurrent calls are allowed.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/redis/connection.h"
#include "faultline/backends/redis/limit_replies.h"
#include "faultline/backends/redis/reply.h"
#include "faultline/backends/redis/script.h"
#include "faultline/ratelimit/limit_store.h"

namespace faultline::backends::redis {

class RedisLimitStore final : public ratelimit::LimitStore {
 public:
  explicit RedisLimitStore(Connection& connection);
  RedisLimitStore(const RedisLimitStore&) = delete;
  RedisLimitStore& operator=(const RedisLimitStore&) = delete;

  // A store that owns a new Connection with `options` (opened lazily by the first call).
  [[nodiscard]] static Result<std::unique_ptr<RedisLimitStore>> create(
      boost::asio::io_context& io, ConnectionOptions options);

  Task<Result<ratelimit::Decision>> decide(std::string_view key, const ratelimit::Policy& policy,
                                           std::int64_t cost, Duration timeout) override;
  // One EVALSHA of the tiered script (limit_scripts.h) over every tier's key.
  Task<Result<ratelimit::TieredDecision>> decide_all(std::span<const ratelimit::Tier> tiers,
                                                     std::int64_t cost,
                                                     Duration timeout) override;

  // The connection the store runs on, borrowed or owned; other stores may share it.
  [[nodiscard]] Connection& connection() noexcept { return *connection_; }

  // The server's TIME of this store's last decision that came back (for tests; the epoch before
  // any): the instant to feed the pure model for the same decision.
  [[nodiscard]] ratelimit::Instant last_instant() const noexcept { return last_instant_; }

 private:
  explicit RedisLimitStore(std::unique_ptr<Connection> owned);

  std::unique_ptr<Connection> owned_;  // set only by create(); declared first: outlives uses
  Connection* connection_;             // never null: borrowed, or owned_.get()
  // The single-decision script of the policy's algorithm.
  Script& script_for(const ratelimit::Policy& policy);

  Script gcra_;
  Script token_bucket_;
  Script sliding_log_;
  Script sliding_counter_;
  Script fixed_window_;
  Script tiered_;
  ratelimit::Instant last_instant_{};
};

// A policy's script parameters p1 p2 p3 (limit_scripts.h), as decimal strings.
[[nodiscard]] std::array<std::string, 3> script_params(const ratelimit::Policy& policy);

}  // namespace faultline::backends::redis
