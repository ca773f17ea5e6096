// ConsumerDedup: a message consumer that applies each message's effect once, however often the
// broker delivers it (duplicates, redeliveries after a crash or a visibility timeout).
//
// Two layers, one authority:
//   - the ledger (durable, the authority): a record per (consumer, message id) committed in the
//     SAME transaction as the effect. apply_once() runs the effect only when it inserted the
//     record; the record and the effect commit together or not at all, so the effect happens
//     once even when the cache forgets everything. (PostgreSQL: faultline_processed, see
//     faultline/backends/postgres/dedup_ledger.h; the simulator: sim/pg_dedup_ledger.h.)
//   - the cache (fast, optional, a hint): "this message is already done", written only AFTER
//     the ledger committed (Redis: SET key 1 NX PX window). A hit skips the message without
//     touching the database; a miss, or a cache that is down, goes to the ledger. Marking the
//     cache BEFORE the commit would lose the message for good when the consumer dies in between
//     (the cache says done, the effect never happened); relying on the cache alone applies a
//     redelivered message twice once the cache lost its data. Both are hazards this header's
//     order rules out (scenarios/idempotency/consumer_dedup.cc shows the second).
//
// process(id, effect, timeout):
//   kApplied     this call ran the effect, and it committed with the record;
//   kDuplicate   the message was applied before (found in the cache or the ledger): the effect
//                was not run. Ack the message.
//   errors       kInvalidArgument naming the field (nothing sent); the effect's own error
//                (rolled back with the record: nothing happened, redelivery retries); the
//                ledger's errors: kUnavailable / kDeadlineExceeded (did not happen),
//                kOutcomeUnknown (the commit's fate is unknown: do not ack; the redelivery
//                asks the ledger, which knows). The cache's errors are never the caller's: a
//                cache that fails is skipped (counted in DedupReply).
//
// The Ledger concept (a class per backend, since the effect is backend-specific):
//   using Effect = ...;   // what runs inside the ledger's transaction
//   Task<Result<bool>> apply_once(MessageId, const Effect&, Duration timeout);
//     true: recorded and effect committed; false: the record existed, effect not run.
//
// Ownership: borrows the cache (may be null: no fast path), the ledger and the clock, which
// must outlive every call. Thread-safety: one executor, as the stores.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"
#include "faultline/validate.h"

namespace faultline::idempotency {

inline constexpr std::size_t kMaxConsumerBytes = 255;
inline constexpr std::size_t kMaxMessageIdBytes = 255;
inline constexpr std::chrono::milliseconds kMinDedupWindow{1};
inline constexpr std::chrono::hours kMaxDedupWindow{24 * 30};

// Which message, as whom: the consumer (a consumer group, a service) and the broker's or
// producer's message id. Both printable ASCII, 1..255 bytes.
struct MessageId {
  std::string_view consumer;
  std::string_view message_id;
};

// The fast path's store: a set of "already applied" markers with a window.
class DedupCache {
 public:
  virtual ~DedupCache() = default;
  // True when `id` is marked. Errors as the stores (the caller treats any error as a miss).
  virtual Task<Result<bool>> seen(MessageId id, Duration timeout) = 0;
  // Marks `id` for `window` (set if absent). Called only after the ledger committed.
  virtual Task<Result<void>> mark(MessageId id, Duration window, Duration timeout) = 0;
};

enum class DedupOutcome { kApplied, kDuplicate };

struct DedupReply {
  DedupOutcome outcome = DedupOutcome::kApplied;
  bool from_cache = false;  // kDuplicate decided by the cache, without the ledger
  int cache_errors = 0;     // cache calls that failed and were skipped (0..2)
};

struct ConsumerDedupOptions {
  // How long a marker lives in the cache, in [1ms, 30 days], whole milliseconds: longer than
  // the broker redelivers a message (a visibility timeout, a retry schedule).
  Duration window = std::chrono::hours(24);
  // The most each cache call may take of the caller's timeout, in (0, 10s]: a slow cache must
  // not eat the ledger's time.
  Duration cache_timeout = std::chrono::milliseconds(100);
  [[nodiscard]] Result<void> validate() const;
};

// kInvalidArgument naming "consumer" or "message_id" (empty, over 255 bytes, not printable).
[[nodiscard]] Result<void> validate_message(MessageId id);
// The cache's key: "dedup:<bytes of consumer>:<consumer>:<message id>" (no two ids share one).
[[nodiscard]] std::string dedup_key(MessageId id);

template <class Ledger>
class ConsumerDedup {
 public:
  using Effect = typename Ledger::Effect;

  // Options are validated by create(); `cache` may be null.
  [[nodiscard]] static Result<ConsumerDedup> create(DedupCache* cache, Ledger& ledger,
                                                    Clock& clock, ConsumerDedupOptions options) {
    if (auto r = options.validate(); !r) return std::move(r).error();
    return ConsumerDedup(cache, ledger, clock, options);
  }

  // See the contract above. `effect` is borrowed until the task completes.
  Task<Result<DedupReply>> process(MessageId id, const Effect& effect, Duration timeout) {
    if (auto r = validate_message(id); !r) co_return std::move(r).error();
    if (auto r = validate_timeout(timeout); !r) co_return std::move(r).error();
    const TimePoint deadline = add_saturating(clock_->now(), timeout);
    DedupReply reply;
    // The fast path may take at most a quarter of the time: the ledger is what must not starve.
    const Duration look_budget = std::min<Duration>(cache_budget(deadline), timeout / 4);
    if (cache_ != nullptr && look_budget > Duration::zero()) {
      Result<bool> hit = co_await cache_->seen(id, look_budget);
      if (hit.ok() && *hit) {
        reply.outcome = DedupOutcome::kDuplicate;
        reply.from_cache = true;
        co_return reply;
      }
      if (!hit.ok()) ++reply.cache_errors;
    }
    const Duration left = deadline - clock_->now();
    if (left <= Duration::zero()) co_return deadline_passed();
    Result<bool> applied = co_await ledger_->apply_once(id, effect, left);
    if (!applied.ok()) co_return std::move(applied).error();
    reply.outcome = *applied ? DedupOutcome::kApplied : DedupOutcome::kDuplicate;
    // Committed (by this call or an earlier one): now, and only now, the cache may say so.
    const Duration mark_budget = cache_budget(deadline);
    if (cache_ != nullptr && mark_budget > Duration::zero()) {
      Result<void> marked = co_await cache_->mark(id, options_.window, mark_budget);
      if (!marked.ok()) ++reply.cache_errors;
    }
    co_return reply;
  }

  [[nodiscard]] const ConsumerDedupOptions& options() const noexcept { return options_; }

 private:
  ConsumerDedup(DedupCache* cache, Ledger& ledger, Clock& clock, ConsumerDedupOptions options)
      : cache_(cache), ledger_(&ledger), clock_(&clock), options_(options) {}

  static Error deadline_passed() {
    return Error{ErrorCode::kDeadlineExceeded, "the deadline passed before the ledger was asked"};
  }
  Duration cache_budget(TimePoint deadline) const {
    return std::min<Duration>(options_.cache_timeout, deadline - clock_->now());
  }

  DedupCache* cache_;
  Ledger* ledger_;
  Clock* clock_;
  ConsumerDedupOptions options_;
};

}  // namespace faultline::idempotency
