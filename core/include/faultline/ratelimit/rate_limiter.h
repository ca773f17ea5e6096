// RateLimiter: a request's named limits (per caller, per tenant, global) decided together on a
// shared LimitStore, with an explicit, observable policy for when the store cannot be reached.
//
// Contract
//   - check(keys, cost, deadline): keys[i] is whose budget tier i charges (the caller's id, the
//     tenant's, "all"); the store sees the tier as key "<tier name>/<keys[i]>" under the tier's
//     policy, and all tiers are decided and charged all-or-nothing in one atomic step
//     (tiered.h). The store call is bounded by store_timeout and by `deadline`; a deadline
//     already passed is kDeadlineExceeded, asking nothing. The Verdict's tiers line up with
//     options.tiers, each with the policy it was decided under (`policies`: the tier's own, or
//     its fallback_policy in the fallback), which is what the response headers must show
//     (headers.h: a fallback decision is not one of the tier's policy).
//   - A refusal is a Verdict (allowed == false) with retry_after; it is never an error. An error
//     is never a refusal either: a store that fails is an outage, handled by `on_outage`:
//       kFailOpen    allow (Source::kFailOpen, no tier decisions): availability over limits;
//       kFailClosed  kUnavailable naming the store's error (an HTTP 503, not a 429);
//       kFallback    decide in this process (Source::kFallback) with every tier's limit scaled by
//                    fallback_share (fallback_policy()): with N instances, a share of 1/N keeps
//                    the whole fleet near the limit while the store is away.
//     kOutcomeUnknown counts as an outage too (the store may have charged the request; deciding
//     again locally can only make this process stricter by that one request).
//   - After a store error the limiter does not ask the store again for `recheck_after`, and
//     then asks it with one request at a time (a probe) while the others are decided by the
//     outage policy, so an outage costs one store timeout per recheck_after, not one per
//     request, however many checks are in flight. The first store
//     error after a success emits kStoreLost, the first success after an outage kStoreRestored.
//   - shadow: decide and report, but allow everything (Verdict::shadow_refused says what would
//     have been refused; `tiers` keeps the decisions as made, refusals included, so headers
//     rendered from them would announce the refusal: a shadow limit is for logs and metrics,
//     not for clients); for trying out a new limit on real traffic.
//   - Bad input (a key empty, too long or not printable; cost outside [0, kMaxCost]; the wrong
//     number of keys) is kInvalidArgument naming the field, before the store is asked.
// Lifetimes: `keys` is borrowed until the returned task completes (tasks start when awaited:
// bind the vector to a local, then co_await the task).
// Ownership: borrows the clock and the store, which must outlive the limiter and every check in
// progress. Not movable while a check is in progress.
// Thread-safety: none; one executor. Listeners are called on it and must not throw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "faultline/clock.h"
#include "faultline/ratelimit/limit_store.h"
#include "faultline/ratelimit/local_limiter.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::ratelimit {

// A named limit: the name appears in the RateLimit headers and prefixes the store's keys.
struct TierSpec {
  std::string name;  // 1..64 printable ASCII bytes, no '/', unique in the limiter
  Policy policy{GcraPolicy{}};
};

enum class OutagePolicy : std::uint8_t { kFailOpen, kFailClosed, kFallback };

enum class LimiterEventKind : std::uint8_t {
  kStoreLost,      // a store call failed; deciding by on_outage until it answers again
  kStoreRestored,  // the store answered again
};

struct LimiterEvent {
  LimiterEventKind kind;
  OutagePolicy on_outage;
  const Error* error;  // kStoreLost: the store's error; null otherwise
};

struct RateLimiterOptions {
  std::vector<TierSpec> tiers;                   // 1..kMaxTiers
  OutagePolicy on_outage{OutagePolicy::kFallback};
  double fallback_share{1.0};                    // (0, 1]: the share of each limit kept locally
  std::size_t fallback_max_keys{100'000};        // the local limiter's bound (local_limiter.h)
  Duration store_timeout{std::chrono::milliseconds(50)};  // each store call, (0, 1min]
  Duration recheck_after{std::chrono::seconds(1)};        // [0, 1h]
  bool shadow{false};
  std::function<void(const LimiterEvent&)> on_event{};
};

enum class Source : std::uint8_t { kStore, kFallback, kFailOpen };

struct Verdict {
  bool allowed{false};
  Source source{Source::kStore};
  std::vector<Decision> tiers;                        // one per tier; empty for kFailOpen
  std::vector<Policy> policies;                       // what each tier was decided under
  std::optional<Micros> retry_after{Micros::zero()};  // as TieredDecision's
  bool shadow_refused{false};  // shadow mode: refused by the limits, allowed anyway

  [[nodiscard]] std::vector<std::size_t> violated() const;
};

struct LimiterStats {
  std::uint64_t store_decisions{0};
  std::uint64_t fallback_decisions{0};
  std::uint64_t failed_open{0};
  std::uint64_t failed_closed{0};
  std::uint64_t refused{0};  // verdicts with allowed == false
};

class RateLimiter {
 public:
  // kInvalidArgument naming the field (tiers[i].name, a policy's field, fallback_share, ...).
  [[nodiscard]] static Result<RateLimiter> create(Clock& clock, LimitStore& store,
                                                  RateLimiterOptions options);

  // One key per tier, in options.tiers' order; cost in [0, kMaxCost].
  Task<Result<Verdict>> check(std::span<const std::string> keys, std::int64_t cost,
                              TimePoint deadline = TimePoint::max());

  [[nodiscard]] const RateLimiterOptions& options() const noexcept { return options_; }
  [[nodiscard]] bool store_available() const noexcept { return !outage_since_.has_value(); }
  [[nodiscard]] const LimiterStats& stats() const noexcept { return stats_; }

 private:
  RateLimiter(Clock& clock, LimitStore& store, RateLimiterOptions options, LocalLimiter local);
  [[nodiscard]] Result<std::vector<Tier>> tiers_for(std::span<const std::string> keys) const;
  [[nodiscard]] bool store_due(TimePoint now) const;
  Task<Result<Verdict>> ask_store(const std::vector<Tier>& tiers, std::int64_t cost,
                                  Duration timeout);
  void on_store_error(const Error& error, TimePoint now);
  void on_store_answer();
  Result<Verdict> during_outage(const std::vector<Tier>& tiers, std::int64_t cost,
                                const Error& error);
  Verdict finish(Verdict verdict);

  Clock* clock_;
  LimitStore* store_;
  RateLimiterOptions options_;
  std::vector<Policy> fallback_policies_;
  LocalLimiter local_;
  std::optional<TimePoint> outage_since_;  // set while the store is considered away
  std::optional<Error> last_error_;
  bool probing_ = false;  // a check is asking the store during an outage
  LimiterStats stats_;
};

// `policy` with its limits scaled by `share` (in (0, 1]), rounded down but never below one unit
// (a burst of one): GCRA count and max_burst + 1; token bucket capacity and count; the window
// algorithms' limit. Durations are kept.
[[nodiscard]] Policy fallback_policy(const Policy& policy, double share);

}  // namespace faultline::ratelimit
