// LocalLimiter: rate limiting inside one process, on its `Clock`. A map from key to the State of
// the policy's algorithm (policy.h), decided with the same pure functions the store will run,
// so a key limited here and in the store sees the same semantics. For single-process use and as
// the insurance limiter while the shared store is unreachable. It does not limit across
// processes: N processes each admit the limit (the "in-memory counters" hazard).
//
// Contract
//   - decide(key, cost): the policy's decision at clock.now() (truncated to microseconds).
//     kInvalidArgument for an empty key, one longer than kMaxKeyLength, or a cost outside
//     [0, kMaxCost]; otherwise always a Decision (a refusal is a Decision, not an error).
//   - decide_all(tiers, cost): several limits at once, all-or-nothing (tiered.h), each tier with
//     its own policy (options.policy is not used). A tier's state is held under
//     limit_key(tier.key, tier.policy), as the store does, so it never meets decide()'s keys.
//     kInvalidArgument as LimitStore::validate_decide_all (timeout aside).
//   - Bounded memory: at most `max_keys` keys are held. Only an allowed request with cost > 0
//     stores a key (a refusal or a peek of an unknown key stores nothing). When a new key must be
//     stored and the map is full, the least recently allowed key is evicted. A key is "at rest"
//     once its reset_after has passed (its state is then the same as a fresh one, so evicting it
//     loses nothing); evicting one that is not at rest forgets its usage, which makes the
//     limiter lenient towards that key, never stricter. `evicted_busy()` counts those, so an
//     operator can tell that max_keys is too small. Memory: about max_keys x (key + the
//     algorithm's state + ~100 bytes of bookkeeping).
//
// Ownership: the Clock is borrowed and must outlive the limiter.
// Thread-safety: none; call from the clock's executor, as every pattern.
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/ratelimit/policy.h"
#include "faultline/ratelimit/tiered.h"

namespace faultline::ratelimit {

inline constexpr std::size_t kMaxKeyLength = 512;

struct LocalLimiterOptions {
  Policy policy{GcraPolicy{}};
  // Keys held at once, in [1, 10'000'000].
  std::size_t max_keys{100'000};
};

class LocalLimiter {
 public:
  // kInvalidArgument naming the field when the policy or max_keys is out of range.
  [[nodiscard]] static Result<LocalLimiter> create(Clock& clock, LocalLimiterOptions options);

  [[nodiscard]] Result<Decision> decide(std::string_view key, std::int64_t cost);
  [[nodiscard]] Result<TieredDecision> decide_all(std::span<const Tier> tiers, std::int64_t cost);

  // Keys held now (<= max_keys).
  [[nodiscard]] std::size_t size() const { return by_key_.size(); }
  // Keys evicted before they were at rest (their usage forgotten).
  [[nodiscard]] std::size_t evicted_busy() const { return evicted_busy_; }

 private:
  struct Entry {
    std::string key;
    State state;
    Instant rest_at{};  // now + reset_after of the last decision that stored it
  };
  using Order = std::list<Entry>;  // most recently allowed first

  LocalLimiter(Clock& clock, LocalLimiterOptions options)
      : clock_(&clock), options_(std::move(options)) {}
  [[nodiscard]] Instant now() const;
  void make_room(Instant now);
  // Stores `state` under `key` as the most recently allowed (at `now`), at rest at `rest_at`,
  // evicting the least recently allowed key if a new key finds the map full.
  void keep(std::string_view key, State state, Instant now, Instant rest_at);

  Clock* clock_;
  LocalLimiterOptions options_;
  Order order_;
  std::map<std::string, Order::iterator, std::less<>> by_key_;
  std::size_t evicted_busy_ = 0;
};

}  // namespace faultline::ratelimit
