// LeaseLock: calls whose outcome is unknown, and fencing tokens.
#include "tests/locks/lease_lock/lease_lock_support.h"

namespace faultline::sim {
namespace {

// ---- Unknown outcomes -------------------------------------------------------------------------

TEST(LeaseLock, LostRepliesThenHealReacquiresWithTheSameOwnerAndToken) {
  Harness h(2);
  LeaseLockOptions o = quick_options();
  o.max_attempts = 8;
  LeaseLock a = h.lock(0, o);
  LeaseLock b = h.lock(1, quick_options());
  h.lose_replies(0, true);
  std::string holder_while_lost;
  h.world().schedule(SimTime(milliseconds(150)), kWorldProcess, 0,
                     [&] { holder_while_lost = sim::RedisLocks(h.redis()).holder(kKey); });
  h.world().schedule(SimTime(milliseconds(250)), kWorldProcess, 0,
                     [&] { h.lose_replies(0, false); });

  Result<Lease> lease = h.run(0, a.acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  const CountingStore& s = h.store(0);
  ASSERT_GE(s.acquires(), 2);
  EXPECT_EQ(s.acquire_outcomes.front(), "outcome_unknown") << "the first reply was lost";
  EXPECT_EQ(s.acquire_outcomes.back(), "ok");
  for (const std::string& owner : s.acquire_owners) {
    EXPECT_EQ(owner, lease->owner) << "every attempt of one acquire uses one owner";
  }
  EXPECT_EQ(holder_while_lost, lease->owner) << "the lost-reply attempt did take the lock";
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), lease->owner);
  EXPECT_EQ(lease->token, 1u) << "re-acquiring is idempotent: the same token";
  EXPECT_EQ(s.releases(), 0);

  // The counter moved once, however many attempts reached the node.
  Result<void> released = h.run(0, a.release(*lease));
  ASSERT_TRUE(released.ok());
  Result<Lease> next = h.run(1, b.acquire());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->token, 2u);
}

TEST(LeaseLock, EveryAttemptUnknownReleasesBestEffort) {
  Harness h(2);
  LeaseLockOptions o = quick_options();
  o.max_attempts = 3;  // ttl 10s: an expiry cannot be what frees the lock below
  LeaseLock a = h.lock(0, o);
  o.max_attempts = 1;
  LeaseLock b = h.lock(1, o);
  h.lose_replies(0, true);
  std::string holder_while_lost;
  h.world().schedule(SimTime(milliseconds(150)), kWorldProcess, 0,
                     [&] { holder_while_lost = sim::RedisLocks(h.redis()).holder(kKey); });

  Result<Lease> lease = h.run(0, a.acquire());
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().code, ErrorCode::kOutcomeUnknown) << lease.error().to_string();
  EXPECT_NE(lease.error().message.find("after 3 attempts"), std::string::npos);
  const CountingStore& s = h.store(0);
  ASSERT_EQ(s.acquires(), 3);
  EXPECT_FALSE(holder_while_lost.empty()) << "the requests reached the node and took the lock";
  EXPECT_EQ(holder_while_lost, s.acquire_owners.front());
  ASSERT_EQ(s.releases(), 1) << "one best-effort release";
  EXPECT_EQ(s.release_owners[0], s.acquire_owners.front());

  // Its reply was lost too, but the release itself happened: the lock is free long before
  // the 10s ttl, and once the network heals another client gets it at once.
  EXPECT_LT(h.world().now(), SimTime(seconds(1)));
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), "");
  h.lose_replies(0, false);
  Result<Lease> other = h.run(1, b.acquire());
  ASSERT_TRUE(other.ok()) << other.error().to_string();
  EXPECT_EQ(other->token, 2u) << "three applied attempts of one owner issued one token";
}

TEST(LeaseLock, UnreachableServerIsUnavailableWithoutRelease) {
  Harness h(1);
  LeaseLockOptions o = quick_options();
  o.max_attempts = 3;
  LeaseLock a = h.lock(0, o);
  h.faults().crash(h.redis_host(), true);
  Result<Lease> lease = h.run(0, a.acquire());
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().code, ErrorCode::kUnavailable) << lease.error().to_string();
  EXPECT_EQ(h.store(0).acquires(), 3);
  EXPECT_EQ(h.store(0).releases(), 0) << "nothing happened, so nothing to give back";
}

// ---- Fencing tokens ---------------------------------------------------------------------------

TEST(LeaseLock, FencingTokensStrictlyIncreaseAcrossAcquisitions) {
  Harness h(3);
  LeaseLockOptions o = quick_options();
  o.ttl = milliseconds(500);
  std::vector<LeaseLock> locks;
  for (int i = 0; i < 3; ++i) locks.push_back(h.lock(i, o));
  FencingToken last = 0;
  for (int round = 0; round < 12; ++round) {
    const int i = round % 3;
    Result<Lease> lease = h.run(i, locks[static_cast<std::size_t>(i)].acquire());
    ASSERT_TRUE(lease.ok()) << "round " << round << ": " << lease.error().to_string();
    EXPECT_GT(lease->token, last) << "round " << round;
    last = lease->token;
    if (round % 2 == 0) {
      Result<void> r = h.run(i, locks[static_cast<std::size_t>(i)].release(*lease));
      ASSERT_TRUE(r.ok());
    } else {
      h.advance(milliseconds(600));  // let it expire instead
    }
  }
  EXPECT_EQ(last, 12u);
}

}  // namespace
}  // namespace faultline::sim
