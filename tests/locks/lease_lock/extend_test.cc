// LeaseLock: extend, and the validity a lease is given.
#include "tests/locks/lease_lock/lease_lock_support.h"

namespace faultline::sim {
namespace {

// ---- Extend and validity ----------------------------------------------------------------------

TEST(LeaseLock, ExtendKeepsTheLockPastTheOriginalTtl) {
  Harness h(2);
  LeaseLockOptions o = quick_options();
  o.ttl = seconds(1);
  LeaseLock a = h.lock(0, o);
  o.max_attempts = 1;
  LeaseLock b = h.lock(1, o);
  Result<Lease> lease = h.run(0, a.acquire());
  ASSERT_TRUE(lease.ok());

  h.advance(milliseconds(600));
  Result<Lease> renewed = h.run(0, a.extend(*lease));
  ASSERT_TRUE(renewed.ok()) << renewed.error().to_string();
  EXPECT_EQ(renewed->token, lease->token);
  EXPECT_EQ(renewed->owner, lease->owner);
  EXPECT_GE(renewed->valid_until - lease->valid_until, milliseconds(600));

  h.advance(milliseconds(600));  // 1.2s after the acquire: the original ttl is over
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), lease->owner);
  Result<Lease> other = h.run(1, b.acquire());
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kBusy);

  h.advance(milliseconds(1100));  // now the extended ttl is over too
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), "");
  Result<Lease> too_late = h.run(0, a.extend(*renewed));
  ASSERT_FALSE(too_late.ok());
  EXPECT_EQ(too_late.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), "") << "a failed extend must not resurrect the lock";
}

TEST(LeaseLock, ValidityEndsBeforeTtlByTheDriftAllowance) {
  Harness h(1);
  Process& p = h.process(0);
  h.faults().clock_step(p, hours(1));  // the lease is on the holder's clock, not true time
  LeaseLockOptions o = quick_options();
  o.ttl = seconds(1);
  o.drift_ppm = 10'000;
  LeaseLock lock = h.lock(0, o);
  const TimePoint before = p.clock().now();
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->acquired_at, before) << "taken on the holder's clock before sending";
  EXPECT_LT(lease->valid_until, lease->acquired_at + o.ttl);
  EXPECT_EQ(lease->valid_until, lease->acquired_at + o.ttl - milliseconds(10));

  o.drift_ppm = 100'000;
  LeaseLock wide = h.lock(0, o);
  Result<void> released = h.run(0, lock.release(*lease));
  ASSERT_TRUE(released.ok());
  Result<Lease> lease2 = h.run(0, wide.acquire());
  ASSERT_TRUE(lease2.ok());
  EXPECT_EQ(lease2->valid_until, lease2->acquired_at + milliseconds(900));
}

// The validity counts from before the request left, never from the reply: over a slow link the
// difference is the whole round trip.
TEST(LeaseLock, ValidityOfAcquireAndExtendCountsFromBeforeTheRequestOverASlowLink) {
  Harness h(1);
  h.set_latency(0, milliseconds(40));
  LeaseLockOptions o = quick_options();
  o.ttl = seconds(1);
  o.call_timeout = milliseconds(200);
  o.drift_ppm = 10'000;
  LeaseLock lock = h.lock(0, o);
  Process& p = h.process(0);

  const TimePoint before_acquire = p.clock().now();
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_EQ(p.clock().now() - before_acquire, milliseconds(80)) << "one 80ms round trip";
  EXPECT_EQ(lease->valid_until, before_acquire + seconds(1) - milliseconds(10));

  h.advance(milliseconds(300));
  const TimePoint before_extend = p.clock().now();
  Result<Lease> renewed = h.run(0, lock.extend(*lease));
  ASSERT_TRUE(renewed.ok()) << renewed.error().to_string();
  EXPECT_EQ(renewed->valid_until, before_extend + seconds(1) - milliseconds(10));
}

// ttl 100ms, drift 1ms: the lease is worth 99ms from the moment the request leaves. A round trip
// of 99.6ms brings a grant that is already worthless when it arrives.
TEST(LeaseLock, AGrantArrivingAfterItsValidityIsRefused) {
  Harness h(2);
  h.set_latency(0, std::chrono::microseconds(49'800));
  LeaseLockOptions o = quick_options();
  o.ttl = milliseconds(100);
  o.call_timeout = std::chrono::microseconds(99'900);
  o.max_attempts = 1;
  LeaseLock lock = h.lock(0, o);
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_FALSE(lease.ok()) << "acquire returned a lease that had already run out";
  EXPECT_EQ(lease.error().code, ErrorCode::kUnavailable) << lease.error().to_string();
}

TEST(LeaseLock, AnExtensionArrivingAfterItsValidityIsRefused) {
  Harness h(2);
  LeaseLockOptions o = quick_options();
  o.ttl = milliseconds(100);
  o.call_timeout = std::chrono::microseconds(99'900);
  LeaseLock lock = h.lock(0, o);
  Result<Lease> lease = h.run(0, lock.acquire());  // over a fast link
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  h.set_latency(0, std::chrono::microseconds(49'800));
  Result<Lease> renewed = h.run(0, lock.extend(*lease));
  ASSERT_FALSE(renewed.ok()) << "extend returned a lease whose validity ended before its reply";
  EXPECT_EQ(renewed.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace faultline::sim
