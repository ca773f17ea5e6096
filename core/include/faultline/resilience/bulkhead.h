// Bulkhead: bounds how many calls run at once, in three tiers that never share capacity, so a
// flood of optional work cannot starve critical work.
//
// What it promises
//   - Each tier (critical, standard, optional) has its own max_concurrent slots, its own FIFO
//     wait queue of at most max_queue callers, and its own max_wait. A tier's load never takes
//     a slot or a queue place from another tier: critical calls are never refused while the
//     critical load stays within the critical limits, whatever the other tiers do.
//   - try_acquire(tier) never waits: a Slot if one is free, else kBulkheadFull.
//   - acquire(tier, deadline) takes a free slot at once, or waits in the tier's queue until
//     min(now + max_wait, deadline) on the bulkhead's clock. It ends with kBulkheadFull when it
//     may not wait (max_queue 0, max_wait 0, deadline already passed), when the queue is full
//     and the policy refuses the newcomer, when its wait runs out, when it is shed from a full
//     queue (policy kShedOldest) for a newer call, or when the bulkhead is destroyed. The
//     message names the bulkhead, the tier, the limit and which of these happened.
//   - No barging: while anyone waits in a tier, every slot of that tier is taken; a released
//     slot goes straight to the oldest waiter (FIFO), so a newcomer can never overtake it.
//   - A Slot is a move-only RAII handle. Destroying it (or release()) frees the slot or hands it
//     to the oldest waiter; the waiter is resumed by a post to its executor, never inline.
//   - A slot is granted at once when free, even if the call's deadline has passed: the deadline
//     bounds waiting, and enforcing it on the operation is the caller's job (CallContext).
//   - kBulkheadFull is a local refusal (call.h): nothing was attempted; never retry it at once.
//
// Bounds: per tier, at most max_concurrent slots in use, max_queue waiters, and
// 2 * max_queue wake-up timers pending. Wake-ups are not a timer per waiter: each tier keeps its
// waiters ordered by expiry and one timer armed for the earliest (uniform waits need one timer
// per tier). Clock::sleep_for cannot be cancelled, so a timer whose waiters were served keeps
// sleeping to its end; a caller whose wait would end before every pending timer needs a new
// one, and if the tier already has its 2 * max_queue timers that caller is refused
// (kBulkheadFull, reason kQueueFull, the message says so) rather than woken late.
//
// Destruction: destroying the Bulkhead completes every queued caller with kBulkheadFull
// (reason kClosed, posted like any completion). Slots still out are released harmlessly later.
// The bulkhead must be destroyed before the executor (io_context, sim::World) its callers run on.
//
// Abandoned callers: a caller's coroutine may be dropped by its executor without ever resuming
// (the executor is shut down, or, in the simulator, its process crashed: the process's pending
// events, the bulkhead's timers among them, are discarded). The bulkhead learns of it only when
// one of its wake-up timers is destroyed without having fired. It then destroys, without
// resuming, the waiters queued before that timer was started (they certainly belonged to the
// world that dropped it), re-arms a timer for the rest, and counts them in `abandoned`. So
// shutting an executor down leaks nothing, even when the callers' own frames own the bulkhead.
// What it cannot do: tell a crashed simulated process's waiters from a live one's in between
// (it does not know processes); a waiter queued after that timer started is completed as usual
// (timed out, shed, or handed a slot), so a crashed process's coroutine may resume once. In the
// simulator, give the bulkhead the clock of the process whose coroutines use it (its timers are
// that process's events), and prefer one bulkhead per process incarnation (create it in
// on_start).
//
// Metrics (metrics(tier)): in use, max in use seen, queued, max queued seen, pending timers,
// accepted (at once and after waiting), rejected by reason, abandoned. Events: the optional
// listener is called synchronously for each admission, queueing, hand-over, rejection, release
// and abandonment; with no listener nothing is built. The listener must not call back into the
// bulkhead (acquire, release a slot, destroy it); reading metrics() is fine (asserted).
//
// Errors: create() returns kInvalidArgument naming the first bad field and its range, e.g.
// "tiers[optional].max_concurrent: 0; must be in [1, 1000000]".
//
// Ownership: borrows the clock, which must outlive the bulkhead and its last pending timer (at
// most max_wait after the last caller queued). Bulkhead is a movable handle; Slots refer to its
// state weakly and may outlive it.
// Thread-safety: none. One bulkhead, its slots and its callers belong to one executor (one
// thread, one io_context or one sim::World).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::resilience {

enum class Tier : std::uint8_t { kCritical, kStandard, kOptional };
inline constexpr std::size_t kTierCount = 3;

[[nodiscard]] constexpr std::size_t tier_index(Tier tier) noexcept {
  return static_cast<std::size_t>(tier);
}
[[nodiscard]] constexpr std::string_view to_string(Tier tier) noexcept {
  switch (tier) {
    case Tier::kCritical: return "critical";
    case Tier::kStandard: return "standard";
    case Tier::kOptional: return "optional";
  }
  return "?";
}

// What a tier does with a newcomer when its wait queue is full.
enum class QueueFullPolicy : std::uint8_t {
  kRejectNewcomer,  // fail fast: the newcomer gets kBulkheadFull, the queue is untouched
  kShedOldest,      // the oldest waiter gets kBulkheadFull and the newcomer queues (freshness)
};

// Why a call got kBulkheadFull. Indexes TierMetrics::rejected.
enum class Rejection : std::uint8_t {
  kNoSlot,     // no free slot and the call may not wait (try_acquire, max_queue 0, max_wait 0,
               // deadline already passed)
  kQueueFull,  // the queue was full (or its wake-up timers were) and the policy refused it
  kTimedOut,   // waited until max_wait or its deadline without a slot
  kShed,       // pushed out of the full queue by a newer call (kShedOldest)
  kClosed,     // the bulkhead was destroyed while the call waited
};
inline constexpr std::size_t kRejectionCount = 5;
[[nodiscard]] std::string_view to_string(Rejection reason) noexcept;

struct TierOptions {
  // Slots: calls of this tier running at once. Range [1, kMaxBound].
  int max_concurrent = 25;
  // Callers that may wait for a slot. 0 = never queue (fail fast). Range [0, kMaxBound].
  int max_queue = 0;
  // How long a queued caller waits at most (its deadline may cut it shorter). 0 = never wait.
  // Range [0, kMaxWait]. max_queue and max_wait are both 0 (fail fast, the default) or both
  // positive: a queue nobody may wait in, or a wait with no queue, is a configuration mistake.
  Duration max_wait = Duration::zero();
  QueueFullPolicy when_full = QueueFullPolicy::kRejectNewcomer;
};

enum class BulkheadEventKind : std::uint8_t {
  kAdmitted,    // a slot was free and taken at once
  kQueued,      // the caller waits in the tier's queue
  kHandedOver,  // a waiter was given a released slot (`waited` says how long it waited)
  kRejected,    // kBulkheadFull (`reason` says why; `waited` > 0 for timeouts and sheds)
  kReleased,    // a slot was given back (and freed, or handed over: a kHandedOver follows)
  kAbandoned,   // a waiter's executor dropped it; destroyed without resuming
};

struct BulkheadEvent {
  std::string_view bulkhead;  // valid during the call only
  Tier tier = Tier::kStandard;
  BulkheadEventKind kind = BulkheadEventKind::kAdmitted;
  Rejection reason = Rejection::kNoSlot;  // meaningful for kRejected only
  Duration waited{};
  int in_use = 0;  // after the event
  int queued = 0;  // after the event
};

struct BulkheadOptions {
  // Appears in every error message and event. 1 to kMaxNameLength characters.
  std::string name = "bulkhead";
  // Indexed by tier_index(Tier); see tier().
  std::array<TierOptions, kTierCount> tiers{};
  // Optional; see "Metrics" above.
  std::function<void(const BulkheadEvent&)> listener{};

  static constexpr int kMaxBound = 1'000'000;
  static constexpr Duration kMaxWait = std::chrono::hours(1);
  static constexpr std::size_t kMaxNameLength = 200;

  TierOptions& tier(Tier t) { return tiers[tier_index(t)]; }
  [[nodiscard]] const TierOptions& tier(Tier t) const { return tiers[tier_index(t)]; }

  // Ok, or kInvalidArgument naming the first offending field and its allowed range.
  [[nodiscard]] Result<void> validate() const;
};

struct TierMetrics {
  int in_use = 0;
  int max_in_use = 0;  // the most seen at once
  int queued = 0;
  int max_queued = 0;  // the most seen at once
  int timers = 0;      // wake-up timers pending (at most 2 * max_queue)
  std::uint64_t accepted = 0;             // slots granted, at once or after waiting
  std::uint64_t accepted_after_wait = 0;  // of which after waiting in the queue
  std::array<std::uint64_t, kRejectionCount> rejected{};  // indexed by Rejection
  std::uint64_t abandoned = 0;  // waiters dropped by their executor (see "Abandoned callers")

  [[nodiscard]] std::uint64_t rejected_for(Rejection reason) const {
    return rejected[static_cast<std::size_t>(reason)];
  }
  [[nodiscard]] std::uint64_t rejected_total() const {
    std::uint64_t total = 0;
    for (std::uint64_t n : rejected) total += n;
    return total;
  }
};

namespace detail {
class BulkheadState;
}  // namespace detail

// One slot of one tier, held until destroyed or released. Move-only; a moved-from or released
// Slot holds nothing.
class [[nodiscard]] Slot {
 public:
  Slot(Slot&& other) noexcept
      : state_(std::move(other.state_)), tier_(other.tier_),
        held_(std::exchange(other.held_, false)) {}
  Slot& operator=(Slot&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::move(other.state_);
      tier_ = other.tier_;
      held_ = std::exchange(other.held_, false);
    }
    return *this;
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot() { release(); }

  // Frees the slot (or hands it to the tier's oldest waiter). Idempotent. Harmless after the
  // bulkhead is gone.
  void release() noexcept;
  [[nodiscard]] bool held() const noexcept { return held_; }
  explicit operator bool() const noexcept { return held_; }
  [[nodiscard]] Tier tier() const noexcept { return tier_; }

 private:
  friend class detail::BulkheadState;
  Slot(std::weak_ptr<detail::BulkheadState> state, Tier tier) noexcept
      : state_(std::move(state)), tier_(tier), held_(true) {}

  std::weak_ptr<detail::BulkheadState> state_;
  Tier tier_ = Tier::kStandard;
  bool held_ = false;
};

namespace detail {
// The waiting path of acquire(); `state` is locked only while the call is not suspended.
Task<Result<Slot>> acquire_slot(std::weak_ptr<BulkheadState> state, Tier tier,
                                TimePoint deadline);
}  // namespace detail

class Bulkhead {
 public:
  // Validates the options (kInvalidArgument names the field).
  [[nodiscard]] static Result<Bulkhead> create(Clock& clock, BulkheadOptions options);

  Bulkhead(Bulkhead&& other) noexcept = default;
  Bulkhead& operator=(Bulkhead&& other) noexcept;
  Bulkhead(const Bulkhead&) = delete;
  Bulkhead& operator=(const Bulkhead&) = delete;
  // Completes every queued caller with kBulkheadFull (reason kClosed).
  ~Bulkhead();

  // A free slot now, or kBulkheadFull (reason kNoSlot). Never waits, never queues, never takes
  // a slot ahead of a queued caller.
  [[nodiscard]] Result<Slot> try_acquire(Tier tier);

  // A slot now, or after waiting in the tier's FIFO queue until min(now + max_wait, deadline).
  // The Task is lazy: the bulkhead must still exist when it is first awaited (if it does not,
  // the call gets kBulkheadFull, reason kClosed).
  [[nodiscard]] Task<Result<Slot>> acquire(Tier tier, TimePoint deadline = TimePoint::max()) {
    return detail::acquire_slot(state_, tier, deadline);
  }

  // Runs `op` (a callable returning Task<Result<T>>) holding a slot of `tier` acquired as by
  // acquire(tier, deadline); the slot is released when op's task finishes, however it ends.
  // When no slot is obtained op does not run and the kBulkheadFull error is returned. `op` is
  // moved or copied into the task, so it need not outlive the call; with g++ 12, still pass a
  // named lambda rather than a temporary one that captures strings (ARCHITECTURE.md).
  template <class T, class F>
  [[nodiscard]] Task<Result<T>> execute(Tier tier, F&& op, TimePoint deadline = TimePoint::max()) {
    return run_guarded<T, std::decay_t<F>>(state_, tier, std::decay_t<F>(std::forward<F>(op)),
                                           deadline);
  }

  // True when try_acquire(tier) would succeed now (a slot is free, so nobody waits). A query
  // only: it counts nothing. acquire() takes a free slot without waiting anyway; this lets a
  // caller choose between the two without a refusal being counted twice.
  [[nodiscard]] bool has_free_slot(Tier tier) const;

  [[nodiscard]] const std::string& name() const;
  [[nodiscard]] const TierOptions& options(Tier tier) const;
  [[nodiscard]] TierMetrics metrics(Tier tier) const;

 private:
  explicit Bulkhead(std::shared_ptr<detail::BulkheadState> state) : state_(std::move(state)) {}

  template <class T, class Op>
  static Task<Result<T>> run_guarded(std::weak_ptr<detail::BulkheadState> state, Tier tier, Op op,
                                     TimePoint deadline) {
    Task<Result<Slot>> acquiring = detail::acquire_slot(std::move(state), tier, deadline);
    Result<Slot> slot = co_await std::move(acquiring);
    if (!slot.ok()) co_return std::move(slot).error();
    Task<Result<T>> running = op();
    co_return co_await std::move(running);  // `slot` is released when this frame ends
  }

  std::shared_ptr<detail::BulkheadState> state_;  // null only when moved from
};

}  // namespace faultline::resilience
