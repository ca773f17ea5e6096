// The bulkhead against a model, under generated sequences (RapidCheck).
#include "tests/resilience/bulkhead/bulkhead_support.h"

namespace faultline::resilience {
namespace {

// ---- property ---------------------------------------------------------------------------------

struct Op {
  int kind = 0;  // 0 acquire, 1 try_acquire, 2 release, 3 advance time
  int tier = 0;
  int arg = 0;  // acquire: deadline in ms from now (>= 40: none); release: which; advance: ms
};
std::ostream& operator<<(std::ostream& os, const Op& op) {
  static const char* const kNames[] = {"acquire", "try_acquire", "release", "advance"};
  return os << kNames[op.kind] << "(tier " << op.tier << ", " << op.arg << ")";
}

rc::Gen<Op> gen_op() {
  return rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::inRange(0, 4)),
                            rc::gen::set(&Op::tier, rc::gen::inRange(0, 3)),
                            rc::gen::set(&Op::arg, rc::gen::inRange(0, 61)));
}

RC_GTEST_PROP(BulkheadProperty, LimitsHoldEveryWaiterCompletesOnceInFifoOrder, ()) {
  BulkheadOptions options;
  options.name = "prop";
  for (TierOptions& t : options.tiers) {
    t.max_concurrent = *rc::gen::inRange(1, 4);
    t.max_queue = *rc::gen::inRange(0, 4);
    t.max_wait = t.max_queue == 0 ? Duration::zero()
                                  : std::chrono::milliseconds(*rc::gen::inRange(1, 51));
    t.when_full = static_cast<QueueFullPolicy>(*rc::gen::inRange(0, 2));
  }
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op());

  Harness h(options);
  struct Tracked {
    Call* call;
    Tier tier;
    TimePoint expiry;  // if it queues
    bool queued = false;
    bool checked = false;
  };
  std::vector<Tracked> tracked;
  std::array<std::deque<std::size_t>, kTierCount> model;  // queued calls, oldest first
  std::vector<Slot> held;
  std::array<std::uint64_t, kTierCount> attempts{};

  // Checks the calls completed since the last look, in completion order, against the model.
  auto reconcile = [&]() {
    std::vector<std::size_t> fresh;
    for (std::size_t i = 0; i < tracked.size(); ++i) {
      if (!tracked[i].checked && tracked[i].call->done()) fresh.push_back(i);
    }
    std::sort(fresh.begin(), fresh.end(), [&](std::size_t a, std::size_t b) {
      return tracked[a].call->seq < tracked[b].call->seq;
    });
    for (std::size_t i : fresh) {
      Tracked& t = tracked[i];
      t.checked = true;
      RC_ASSERT(t.call->completions == 1);
      if (!t.queued) {  // answered at once
        if (t.call->granted()) held.push_back(std::move(t.call->slot()));
        continue;
      }
      auto& q = model[tier_index(t.tier)];
      const auto pos = std::find(q.begin(), q.end(), i);
      RC_ASSERT(pos != q.end());
      if (t.call->granted()) {
        RC_ASSERT(pos == q.begin());  // FIFO: only the oldest waiter gets a slot
      } else {
        const std::string& message = t.call->error().message;
        if (contains(message, "shed")) {
          RC_ASSERT(pos == q.begin());
        } else {
          RC_ASSERT(contains(message, "max_wait") || contains(message, "deadline"));
          RC_ASSERT(t.call->done_at == t.expiry);  // exactly on time
        }
      }
      q.erase(pos);
      if (t.call->granted()) held.push_back(std::move(t.call->slot()));
    }
  };
  auto check_limits = [&]() {
    for (std::size_t i = 0; i < kTierCount; ++i) {
      const TierOptions& o = options.tiers[i];
      const TierMetrics m = h.metrics(static_cast<Tier>(i));
      RC_ASSERT(m.in_use <= o.max_concurrent);
      RC_ASSERT(m.queued <= o.max_queue);
      RC_ASSERT(m.timers <= 2 * o.max_queue);
      RC_ASSERT(static_cast<std::size_t>(m.queued) == model[i].size());
      const auto mine = std::count_if(held.begin(), held.end(), [&](const Slot& s) {
        return s.held() && tier_index(s.tier()) == i;
      });
      RC_ASSERT(m.in_use == mine);
      // Nobody waits while a slot is free.
      RC_ASSERT(model[i].empty() || m.in_use == o.max_concurrent);
    }
  };

  for (const Op& op : ops) {
    const auto tier = static_cast<Tier>(op.tier);
    const TierOptions& o = options.tier(tier);
    switch (op.kind) {
      case 0: {
        const TimePoint now = h.now();
        const TimePoint deadline =
            op.arg >= 40 ? TimePoint::max() : now + std::chrono::milliseconds(op.arg);
        ++attempts[tier_index(tier)];
        Call& call = h.acquire(tier, deadline);
        tracked.push_back({&call, tier, std::min(deadline, now + o.max_wait)});
        if (!call.done()) {
          tracked.back().queued = true;
          model[tier_index(tier)].push_back(tracked.size() - 1);
        }
        break;
      }
      case 1: {
        ++attempts[tier_index(tier)];
        Result<Slot> slot = h.bulkhead().try_acquire(tier);
        // No barging: a queued waiter always comes first.
        if (!model[tier_index(tier)].empty()) RC_ASSERT(!slot.ok());
        if (slot.ok()) held.push_back(std::move(slot).value());
        break;
      }
      case 2: {
        std::erase_if(held, [](const Slot& s) { return !s.held(); });
        if (!held.empty()) {
          held[static_cast<std::size_t>(op.arg) % held.size()].release();
          h.settle();
        }
        break;
      }
      case 3:
        h.advance(std::chrono::milliseconds(op.arg));
        break;
    }
    reconcile();
    check_limits();
  }

  // Drain: everyone still waiting either gets a slot or times out.
  for (int round = 0; round < 1000; ++round) {
    std::erase_if(held, [](const Slot& s) { return !s.held(); });
    bool waiting = false;
    for (const auto& q : model) waiting = waiting || !q.empty();
    if (held.empty() && !waiting) break;
    if (!held.empty()) {
      held.front().release();
      h.settle();
    } else {
      h.advance(1h);
    }
    reconcile();
    check_limits();
  }
  h.advance(1h);  // lingering timers end
  for (const Tracked& t : tracked) RC_ASSERT(t.call->completions == 1);
  for (std::size_t i = 0; i < kTierCount; ++i) {
    const TierMetrics m = h.metrics(static_cast<Tier>(i));
    RC_ASSERT(m.in_use == 0);
    RC_ASSERT(m.queued == 0);
    RC_ASSERT(m.timers == 0);
    RC_ASSERT(m.accepted + m.rejected_total() == attempts[i]);
  }
}

}  // namespace
}  // namespace faultline::resilience
