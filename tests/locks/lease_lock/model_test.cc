// LeaseLock over the simulated node, against a reference model (RapidCheck).
#include "tests/locks/lease_lock/lease_lock_support.h"

namespace faultline::sim {
namespace {

// ---- Property: the node agrees with a reference model -----------------------------------------

enum class OpKind { kAcquire = 0, kRelease = 1, kExtend = 2 };

struct ModelLock {
  bool held = false;
  std::string owner;
  FencingToken token = 0;
  SimTime expires_at{};
};

RC_GTEST_PROP(LeaseLockProperty, NodeMatchesReferenceModel, ()) {
  const int owners = *rc::gen::inRange(2, 4);
  // (owner, op kind, gap before it in ms). Gaps reach past the 1s ttl; half of them are
  // 997..999ms, which lands the next op within a millisecond of an expiry (an op takes 2ms, and
  // reaches the node 1ms after it starts), where an off-by-one in expiry would show.
  const auto gap = rc::gen::oneOf(rc::gen::inRange(0, 1500), rc::gen::element(997, 998, 999));
  const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, owners), rc::gen::inRange(0, 3), gap));

  Harness h(owners, /*seed=*/7);
  LinkProfile fixed;  // fixed latency: each op is applied on the node exactly 1ms after sending
  fixed.latency_min = milliseconds(1);
  fixed.latency_max = milliseconds(1);
  h.network().set_default(fixed);
  LeaseLockOptions o;
  o.ttl = seconds(1);
  o.call_timeout = milliseconds(100);
  o.max_attempts = 1;  // one store call per op, so the model can follow it
  std::vector<LeaseLock> locks;
  std::vector<std::optional<Lease>> leases(static_cast<std::size_t>(owners));
  for (int i = 0; i < owners; ++i) locks.push_back(h.lock(i, o));

  ModelLock model;
  FencingToken counter = 0;
  FencingToken last_token = 0;
  // Redis semantics: a key set to expire at T (whole ms) is gone once now > T, not at T.
  auto expire = [&](SimTime now) {
    if (model.held && now > model.expires_at) model.held = false;
  };

  for (const auto& [who, kind_index, gap_ms] : ops) {
    h.advance(milliseconds(gap_ms));
    const auto i = static_cast<std::size_t>(who);
    const SimTime applied = h.world().now() + milliseconds(1);
    expire(applied);
    switch (static_cast<OpKind>(kind_index)) {
      case OpKind::kAcquire: {
        Result<Lease> r = h.run(who, locks[i].acquire());
        if (model.held) {
          RC_ASSERT(!r.ok());
          RC_ASSERT(r.error().code == ErrorCode::kBusy);
        } else {
          if (!r.ok()) RC_FAIL("acquire of a free lock failed: " + r.error().to_string());
          ++counter;
          RC_ASSERT(r->token == counter);
          RC_ASSERT(r->token > last_token);
          last_token = r->token;
          model = ModelLock{true, r->owner, r->token, applied + o.ttl};
          leases[i] = *r;
        }
        break;
      }
      case OpKind::kRelease: {
        Lease lease = leases[i].value_or(Lease{kKey, "nobody-" + std::to_string(who), 0, {}, {}});
        Result<void> r = h.run(who, locks[i].release(lease));
        if (model.held && model.owner == lease.owner) {
          if (!r.ok()) RC_FAIL("owner's release failed: " + r.error().to_string());
          model.held = false;
        } else {
          RC_ASSERT(!r.ok());
          RC_ASSERT(r.error().code == ErrorCode::kFailedPrecondition);
        }
        break;
      }
      case OpKind::kExtend: {
        Lease lease = leases[i].value_or(Lease{kKey, "nobody-" + std::to_string(who), 0, {}, {}});
        Result<Lease> r = h.run(who, locks[i].extend(lease));
        if (model.held && model.owner == lease.owner) {
          if (!r.ok()) RC_FAIL("owner's extend failed: " + r.error().to_string());
          RC_ASSERT(r->token == model.token);
          model.expires_at = applied + o.ttl;
          leases[i] = *r;
        } else {
          RC_ASSERT(!r.ok());
          RC_ASSERT(r.error().code == ErrorCode::kFailedPrecondition);
        }
        break;
      }
    }
    expire(h.world().now());
    const std::string expected = model.held ? model.owner : std::string();
    RC_ASSERT(sim::RedisLocks(h.redis()).holder(kKey) == expected);
  }
}

}  // namespace
}  // namespace faultline::sim
