#include "faultline/resilience/bulkhead.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cassert>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "faultline/detail/parked_handler.h"
#include "faultline/duration_text.h"
#include "faultline/validate.h"

namespace faultline::resilience {

namespace {

Error bulkhead_full(std::string message) {
  return Error{ErrorCode::kBulkheadFull, std::move(message)};
}

}  // namespace

std::string_view to_string(Rejection reason) noexcept {
  switch (reason) {
    case Rejection::kNoSlot: return "no_slot";
    case Rejection::kQueueFull: return "queue_full";
    case Rejection::kTimedOut: return "timed_out";
    case Rejection::kShed: return "shed";
    case Rejection::kClosed: return "closed";
  }
  return "?";
}

Result<void> BulkheadOptions::validate() const {
  if (auto r = check_size("name", name.size(), 1, kMaxNameLength, "characters"); !r) return r;
  for (std::size_t i = 0; i < kTierCount; ++i) {
    const TierOptions& t = tiers[i];
    const std::string field = "tiers[" + std::string(to_string(static_cast<Tier>(i))) + "].";
    if (auto r = check_range(field + "max_concurrent", t.max_concurrent, 1, kMaxBound); !r) {
      return r;
    }
    if (auto r = check_range(field + "max_queue", t.max_queue, 0, kMaxBound); !r) return r;
    if (auto r = check_range(field + "max_wait", t.max_wait, Duration::zero(), kMaxWait); !r) {
      return r;
    }
    if (t.when_full != QueueFullPolicy::kRejectNewcomer &&
        t.when_full != QueueFullPolicy::kShedOldest) {
      return field_error(field + "when_full", std::to_string(static_cast<int>(t.when_full)),
                         "must be kRejectNewcomer or kShedOldest");
    }
    if (t.max_queue > 0 && t.max_wait == Duration::zero()) {
      return field_error(field + "max_wait", "0 with max_queue " + std::to_string(t.max_queue),
                         "must be positive for a tier that queues (or set max_queue to 0)");
    }
    if (t.max_queue == 0 && t.max_wait > Duration::zero()) {
      return field_error(field + "max_queue", "0 with max_wait " + duration_text(t.max_wait),
                         "must be positive for a tier that waits (or set max_wait to 0)");
    }
  }
  return Ok{};
}

namespace detail {

using Parked = faultline::detail::ParkedHandler<Result<Slot>>;

class BulkheadState;

// Owned by a wake-up timer coroutine's frame. Its destructor tells the bulkhead the timer is
// over, whether it fired or its frame was dropped unfired (executor shut down, process crashed).
// It refers to the bulkhead weakly: a timer outlives the bulkhead harmlessly.
class TimerLease {
 public:
  TimerLease(std::weak_ptr<BulkheadState> state, Tier tier, TimePoint target, std::uint64_t id,
             std::uint64_t witness)
      : state_(std::move(state)), tier_(tier), target_(target), id_(id), witness_(witness) {}
  TimerLease(TimerLease&& other) noexcept
      : state_(std::move(other.state_)), tier_(other.tier_), target_(other.target_),
        id_(other.id_), witness_(other.witness_), fired_(other.fired_),
        armed_(std::exchange(other.armed_, false)) {}
  TimerLease& operator=(TimerLease&&) = delete;
  TimerLease(const TimerLease&) = delete;
  TimerLease& operator=(const TimerLease&) = delete;
  ~TimerLease();

  void mark_fired() noexcept { fired_ = true; }
  [[nodiscard]] Tier tier() const noexcept { return tier_; }
  [[nodiscard]] TimePoint target() const noexcept { return target_; }
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  // Waiters with smaller ids were queued before this timer started.
  [[nodiscard]] std::uint64_t witness() const noexcept { return witness_; }
  [[nodiscard]] bool fired() const noexcept { return fired_; }

 private:
  std::weak_ptr<BulkheadState> state_;
  Tier tier_;
  TimePoint target_;
  std::uint64_t id_;
  std::uint64_t witness_;
  bool fired_ = false;
  bool armed_ = true;  // false once moved from
};

Task<void> run_timer(Clock* clock, Duration duration, TimerLease lease) {
  co_await clock->sleep_for(duration);
  lease.mark_fired();
}  // the lease's destructor does the work

class BulkheadState : public std::enable_shared_from_this<BulkheadState> {
 public:
  BulkheadState(Clock& clock, BulkheadOptions options)
      : clock_(clock), options_(std::move(options)) {
    for (std::size_t i = 0; i < kTierCount; ++i) tiers_[i].options = options_.tiers[i];
  }
  BulkheadState(const BulkheadState&) = delete;
  BulkheadState& operator=(const BulkheadState&) = delete;
  ~BulkheadState() {
    for (const TierState& ts : tiers_) {
      assert(ts.queue.empty() && "close() completes every waiter before the state goes");
      (void)ts;
    }
  }

  struct Admission {
    std::optional<Result<Slot>> now;  // granted or refused without waiting
    std::uint64_t waiter = 0;         // else: queued under this id; park() next
  };

  Result<Slot> try_acquire(Tier tier) {
    assert(!notifying_ && "the listener must not call back into the bulkhead");
    TierState& ts = at(tier);
    if (ts.m.in_use < ts.options.max_concurrent) return grant(tier);
    return refuse(tier, Rejection::kNoSlot, Duration::zero(),
                  busy(tier, ts, "; try_acquire does not wait"));
  }

  Admission admit(Tier tier, TimePoint deadline) {
    assert(!notifying_ && "the listener must not call back into the bulkhead");
    TierState& ts = at(tier);
    const TierOptions& o = ts.options;
    const TimePoint now = clock_.now();
    expire_due(tier, now);  // a late timer must not make the queue look fuller than it is
    if (ts.m.in_use < o.max_concurrent) return {grant(tier)};
    // No barging holds by construction: a waiter exists only while every slot is taken.
    if (o.max_queue == 0) {
      return {refuse(tier, Rejection::kNoSlot, Duration::zero(),
                     busy(tier, ts, "; this tier does not queue (max_queue 0)"))};
    }
    if (deadline <= now) {
      return {refuse(tier, Rejection::kNoSlot, Duration::zero(),
                     busy(tier, ts, "; the call's deadline has already passed"))};
    }
    const bool by_deadline = deadline < now + o.max_wait;
    const TimePoint expiry = by_deadline ? deadline : now + o.max_wait;
    const bool queue_full = ts.queue.size() >= static_cast<std::size_t>(o.max_queue);
    if (queue_full && o.when_full == QueueFullPolicy::kRejectNewcomer) {
      return {refuse(tier, Rejection::kQueueFull, Duration::zero(),
                     busy(tier, ts,
                          " and the queue is full (" + std::to_string(ts.queue.size()) +
                              " waiting, max_queue " + std::to_string(o.max_queue) +
                              "); the newcomer is refused"))};
    }
    const bool needs_timer = ts.timers.empty() || ts.timers.begin()->first > expiry;
    if (needs_timer && ts.timers.size() >= timer_cap(ts)) {
      return {refuse(tier, Rejection::kQueueFull, Duration::zero(),
                     busy(tier, ts,
                          " and its " + std::to_string(ts.timers.size()) +
                              " wake-up timers (at most 2 x max_queue) all fire after this "
                              "call's wait would end; refused rather than woken late"))};
    }
    if (queue_full) {  // kShedOldest
      const auto oldest = ts.queue.begin();
      const Duration waited = now - oldest->second.queued_at;
      ++ts.m.rejected[static_cast<std::size_t>(Rejection::kShed)];
      std::string message;
      message.reserve(128 + options_.name.size());
      message.append(prefix(tier)).append("shed from the full queue (max_queue ").append(std::to_string(o.max_queue));
      message.append(") in favour of a newer call after waiting ").append(duration_text(waited));
      finish(tier, oldest, bulkhead_full(std::move(message)));
      emit(tier, BulkheadEventKind::kRejected, Rejection::kShed, waited);
    }
    const std::uint64_t id = next_waiter_++;
    ts.queue.emplace(id, Waiter{now, expiry, by_deadline, Parked{}});
    ts.by_expiry.emplace(expiry, id);
    ts.m.queued = static_cast<int>(ts.queue.size());
    ts.m.max_queued = std::max(ts.m.max_queued, ts.m.queued);
    assert(ts.queue.size() <= static_cast<std::size_t>(o.max_queue));
    emit(tier, BulkheadEventKind::kQueued, Rejection::kNoSlot, Duration::zero());
    return {std::nullopt, id};
  }

  // Called by the initiation once the caller has suspended, right after admit() queued it:
  // nothing else ran in between.
  template <class Handler>
  void park(Tier tier, std::uint64_t id, Handler handler) {
    TierState& ts = at(tier);
    const auto it = ts.queue.find(id);
    assert(it != ts.queue.end() && !it->second.parked);
    auto executor = boost::asio::get_associated_executor(handler);
    if (!executor_) executor_.emplace(executor);
    assert(*executor_ == executor && "one bulkhead, one executor");
    it->second.parked = Parked(std::move(handler));
    arm_if_uncovered(tier);
    check(tier);
  }

  void release(Tier tier) {
    assert(!notifying_ && "the listener must not call back into the bulkhead");
    TierState& ts = at(tier);
    assert(ts.m.in_use > 0);
    if (ts.queue.empty()) {  // nobody to hand the slot to, nobody to expire: no clock read
      --ts.m.in_use;
      emit(tier, BulkheadEventKind::kReleased, Rejection::kNoSlot, Duration::zero());
      check(tier);
      return;
    }
    const TimePoint now = clock_.now();
    expire_due(tier, now);  // a waiter whose time is up gets its timeout, not this slot
    if (ts.queue.empty()) {
      --ts.m.in_use;
      emit(tier, BulkheadEventKind::kReleased, Rejection::kNoSlot, Duration::zero());
    } else {
      // Straight to the oldest waiter: the slot never becomes free, so nobody can barge in.
      emit(tier, BulkheadEventKind::kReleased, Rejection::kNoSlot, Duration::zero());
      const auto oldest = ts.queue.begin();
      const Duration waited = now - oldest->second.queued_at;
      ++ts.m.accepted;
      ++ts.m.accepted_after_wait;
      finish(tier, oldest, Slot(weak_from_this(), tier));
      emit(tier, BulkheadEventKind::kHandedOver, Rejection::kNoSlot, waited);
    }
    check(tier);
  }

  void timer_ended(const TimerLease& lease) {
    const Tier tier = lease.tier();
    TierState& ts = at(tier);
    const std::size_t erased = ts.timers.erase({lease.target(), lease.id()});
    assert(erased == 1);
    (void)erased;
    // Dropped without firing: its executor abandoned it, and with it every waiter queued before
    // it started (see "Abandoned callers" in the header). They are destroyed, not resumed.
    if (!lease.fired()) abandon_before(tier, lease.witness());
    expire_due(tier, clock_.now());
    arm_if_uncovered(tier);
    check(tier);
  }

  // Completes every waiter with kBulkheadFull (kClosed). The state is dropped right after.
  void close() {
    for (std::size_t i = 0; i < kTierCount; ++i) {
      const auto tier = static_cast<Tier>(i);
      TierState& ts = at(tier);
      const TimePoint now = clock_.now();
      while (!ts.queue.empty()) {
        const auto oldest = ts.queue.begin();
        const Duration waited = now - oldest->second.queued_at;
        ++ts.m.rejected[static_cast<std::size_t>(Rejection::kClosed)];
        finish(tier, oldest,
               bulkhead_full("bulkhead '" + options_.name + "' was destroyed while this call " +
                             "waited in tier " + std::string(to_string(tier))));
        emit(tier, BulkheadEventKind::kRejected, Rejection::kClosed, waited);
      }
    }
  }

  [[nodiscard]] TierMetrics metrics(Tier tier) const {
    const TierState& ts = tiers_[tier_index(tier)];
    TierMetrics m = ts.m;
    m.timers = static_cast<int>(ts.timers.size());
    return m;
  }
  [[nodiscard]] const BulkheadOptions& options() const noexcept { return options_; }

 private:
  struct Waiter {
    TimePoint queued_at;
    TimePoint expiry;  // min(queued_at + max_wait, deadline)
    bool by_deadline;  // the deadline, not max_wait, set the expiry
    Parked parked;  // set by park(), right after admit()
  };
  struct TierState {
    TierOptions options;
    // Waiters by id; ids grow with arrival, so this is the FIFO order.
    std::map<std::uint64_t, Waiter> queue;
    // The same waiters by (expiry, id): deadlines differ, so timeouts may leave out of order.
    std::set<std::pair<TimePoint, std::uint64_t>> by_expiry;
    // Pending wake-up timers by (target, id). Invariant once a waiter is parked: the earliest
    // target is no later than the earliest expiry.
    std::set<std::pair<TimePoint, std::uint64_t>> timers;
    TierMetrics m;
  };

  TierState& at(Tier tier) {
    assert(tier_index(tier) < kTierCount);
    return tiers_[tier_index(tier)];
  }
  static std::size_t timer_cap(const TierState& ts) {
    return 2 * static_cast<std::size_t>(ts.options.max_queue);
  }

  [[nodiscard]] std::string prefix(Tier tier) const {
    return "bulkhead '" + options_.name + "' tier " + std::string(to_string(tier)) + ": ";
  }
  // "bulkhead '<name>' tier <tier>: all <n> slots in use (max_concurrent <n>)<tail>", built in
  // one reserved buffer: a flooded tier refuses a call in a few hundred nanoseconds, and building
  // its message by concatenation was most of it.
  [[nodiscard]] std::string busy(Tier tier, const TierState& ts, std::string_view tail) const {
    std::string m;
    m.reserve(80 + options_.name.size() + tail.size());
    m.append("bulkhead '").append(options_.name).append("' tier ").append(to_string(tier));
    m.append(": all ").append(std::to_string(ts.m.in_use)).append(" slots in use (max_concurrent ");
    m.append(std::to_string(ts.options.max_concurrent)).append(")").append(tail);
    return m;
  }

  Slot grant(Tier tier) {
    TierState& ts = at(tier);
    assert(ts.queue.empty());
    ++ts.m.in_use;
    ts.m.max_in_use = std::max(ts.m.max_in_use, ts.m.in_use);
    ++ts.m.accepted;
    emit(tier, BulkheadEventKind::kAdmitted, Rejection::kNoSlot, Duration::zero());
    return Slot(weak_from_this(), tier);
  }

  Error refuse(Tier tier, Rejection reason, Duration waited, std::string message) {
    ++at(tier).m.rejected[static_cast<std::size_t>(reason)];
    emit(tier, BulkheadEventKind::kRejected, reason, waited);
    return bulkhead_full(std::move(message));
  }

  // Takes the waiter out of the queue and resumes it (posted) with `outcome`.
  void finish(Tier tier, std::map<std::uint64_t, Waiter>::iterator it, Result<Slot> outcome) {
    TierState& ts = at(tier);
    Parked parked = std::move(it->second.parked);
    ts.by_expiry.erase({it->second.expiry, it->first});
    ts.queue.erase(it);
    ts.m.queued = static_cast<int>(ts.queue.size());
    assert(parked && "every queued waiter is parked before anything else runs");
    parked.post(std::move(outcome));
  }

  void expire_due(Tier tier, TimePoint now) {
    TierState& ts = at(tier);
    while (!ts.by_expiry.empty() && ts.by_expiry.begin()->first <= now) {
      const auto it = ts.queue.find(ts.by_expiry.begin()->second);
      assert(it != ts.queue.end());
      const Duration waited = now - it->second.queued_at;
      const std::string why =
          it->second.by_deadline
              ? "no slot before the call's deadline (waited " + duration_text(waited) + ")"
              : "no slot within max_wait " + duration_text(ts.options.max_wait);
      ++ts.m.rejected[static_cast<std::size_t>(Rejection::kTimedOut)];
      finish(tier, it, bulkhead_full(busy(tier, ts, "; " + why)));
      emit(tier, BulkheadEventKind::kRejected, Rejection::kTimedOut, waited);
    }
  }

  void abandon_before(Tier tier, std::uint64_t witness) {
    TierState& ts = at(tier);
    while (!ts.queue.empty() && ts.queue.begin()->first < witness) {
      const auto it = ts.queue.begin();
      Parked parked = std::move(it->second.parked);
      ts.by_expiry.erase({it->second.expiry, it->first});
      ts.queue.erase(it);
      ts.m.queued = static_cast<int>(ts.queue.size());
      ++ts.m.abandoned;
      // Destroying the handler hands the caller's frames to its executor to unwind; they are
      // never resumed.
      parked.reset();
      emit(tier, BulkheadEventKind::kAbandoned, Rejection::kNoSlot, Duration::zero());
    }
  }

  // Starts a wake-up timer when no pending one fires by the earliest expiry.
  void arm_if_uncovered(Tier tier) {
    TierState& ts = at(tier);
    if (ts.by_expiry.empty()) return;
    const TimePoint earliest = ts.by_expiry.begin()->first;
    if (!ts.timers.empty() && ts.timers.begin()->first <= earliest) return;
    // admit() refused any waiter that would need a timer beyond the cap; timer_ended() has just
    // removed one.
    assert(ts.timers.size() < timer_cap(ts));
    assert(executor_);
    const std::uint64_t id = next_timer_++;
    ts.timers.emplace(earliest, id);
    // At least 1ns: a zero sleep may complete inline, re-entering the bulkhead.
    const Duration duration = std::max(earliest - clock_.now(), Duration(1));
    TimerLease lease(weak_from_this(), tier, earliest, id, next_waiter_);
    boost::asio::co_spawn(*executor_, run_timer(&clock_, duration, std::move(lease)),
                          boost::asio::detached);
  }

  void emit(Tier tier, BulkheadEventKind kind, Rejection reason, Duration waited) {
    if (!options_.listener) return;
    const TierState& ts = at(tier);
    BulkheadEvent event;
    event.bulkhead = options_.name;
    event.tier = tier;
    event.kind = kind;
    event.reason = reason;
    event.waited = waited;
    event.in_use = ts.m.in_use;
    event.queued = ts.m.queued;
    notifying_ = true;
    options_.listener(event);
    notifying_ = false;
  }

  void check(Tier tier) const {
    const TierState& ts = tiers_[tier_index(tier)];
    assert(ts.m.in_use >= 0 && ts.m.in_use <= ts.options.max_concurrent);
    assert(ts.queue.size() <= static_cast<std::size_t>(ts.options.max_queue));
    assert(ts.queue.size() == ts.by_expiry.size());
    assert(ts.queue.empty() || ts.m.in_use == ts.options.max_concurrent);
    assert(ts.timers.size() <= timer_cap(ts));
    assert(ts.by_expiry.empty() ||
           (!ts.timers.empty() && ts.timers.begin()->first <= ts.by_expiry.begin()->first));
    (void)ts;
  }

  Clock& clock_;
  BulkheadOptions options_;
  std::array<TierState, kTierCount> tiers_{};
  std::optional<boost::asio::any_io_executor> executor_;  // of the first caller that waited
  std::uint64_t next_waiter_ = 1;
  std::uint64_t next_timer_ = 1;
  bool notifying_ = false;
};

TimerLease::~TimerLease() {
  if (!armed_) return;
  if (const std::shared_ptr<BulkheadState> state = state_.lock()) state->timer_ended(*this);
}

Task<Result<Slot>> acquire_slot(std::weak_ptr<BulkheadState> weak, Tier tier,
                                TimePoint deadline) {
  BulkheadState* raw = nullptr;
  std::uint64_t waiter = 0;
  {
    const std::shared_ptr<BulkheadState> state = weak.lock();
    if (!state) {
      co_return bulkhead_full("the bulkhead was destroyed before this call (tier " +
                              std::string(to_string(tier)) + ") started");
    }
    BulkheadState::Admission admission = state->admit(tier, deadline);
    if (admission.now) co_return std::move(*admission.now);
    raw = state.get();
    waiter = admission.waiter;
  }
  // Suspended, this frame holds only a raw pointer: the state owns the parked handler (and so
  // this frame), so the frame must not own the state, or an abandoned caller would keep both
  // alive (see gather.h). The Bulkhead owns the state until the initiation below has run:
  // nothing else runs in between. Only trivial values cross into the initiation (g++ 12).
  co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                                 void(Result<Slot>)>(
      [raw, tier, waiter](auto handler) { raw->park(tier, waiter, std::move(handler)); },
      boost::asio::use_awaitable);
}

}  // namespace detail

// ---- Slot -------------------------------------------------------------------------------------

void Slot::release() noexcept {
  if (!held_) return;
  held_ = false;
  if (const std::shared_ptr<detail::BulkheadState> state = state_.lock()) state->release(tier_);
  state_.reset();
}

// ---- Bulkhead ---------------------------------------------------------------------------------

Result<Bulkhead> Bulkhead::create(Clock& clock, BulkheadOptions options) {
  if (Result<void> valid = options.validate(); !valid.ok()) return std::move(valid).error();
  return Bulkhead(std::make_shared<detail::BulkheadState>(clock, std::move(options)));
}

Bulkhead& Bulkhead::operator=(Bulkhead&& other) noexcept {
  if (this != &other) {
    if (state_) state_->close();
    state_ = std::move(other.state_);
  }
  return *this;
}

Bulkhead::~Bulkhead() {
  if (state_) state_->close();
}

Result<Slot> Bulkhead::try_acquire(Tier tier) {
  assert(state_ && "used after move");
  return state_->try_acquire(tier);
}

bool Bulkhead::has_free_slot(Tier tier) const {
  assert(state_ && "used after move");
  const TierMetrics m = state_->metrics(tier);
  return m.in_use < state_->options().tier(tier).max_concurrent;
}

const std::string& Bulkhead::name() const {
  assert(state_ && "used after move");
  return state_->options().name;
}

const TierOptions& Bulkhead::options(Tier tier) const {
  assert(state_ && "used after move");
  return state_->options().tier(tier);
}

TierMetrics Bulkhead::metrics(Tier tier) const {
  assert(state_ && "used after move");
  return state_->metrics(tier);
}

}  // namespace faultline::resilience
