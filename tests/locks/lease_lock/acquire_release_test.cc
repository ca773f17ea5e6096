// LeaseLock: its options, and acquire / release.
#include "tests/locks/lease_lock/lease_lock_support.h"

namespace faultline::sim {
namespace {

// ---- Options ----------------------------------------------------------------------------------

struct BadOption {
  const char* what;
  std::string key;
  LeaseLockOptions options;
  const char* field;
};

TEST(LeaseLockOptions, BadOptionsAreRejectedNamingTheField) {
  Harness h(1);
  auto with = [](auto change) {
    LeaseLockOptions o;
    change(o);
    return o;
  };
  const std::vector<BadOption> cases = {
      {"ttl zero", kKey, with([](auto& o) { o.ttl = Duration::zero(); }), "ttl"},
      {"ttl negative", kKey, with([](auto& o) { o.ttl = -seconds(1); }), "ttl"},
      {"ttl above 24h", kKey, with([](auto& o) { o.ttl = hours(24) + milliseconds(1); }), "ttl"},
      {"empty key", "", LeaseLockOptions{}, "key"},
      {"key too long", std::string(locks::kMaxKeyBytes + 1, 'k'), LeaseLockOptions{}, "key"},
      {"max_attempts zero", kKey, with([](auto& o) { o.max_attempts = 0; }), "max_attempts"},
      {"max_attempts too many", kKey,
       with([](auto& o) { o.max_attempts = LeaseLockOptions::kMaxAttempts + 1; }),
       "max_attempts"},
      {"call_timeout == ttl", kKey, with([](auto& o) { o.call_timeout = o.ttl; }),
       "call_timeout"},
      {"call_timeout > ttl", kKey,
       with([](auto& o) {
         o.ttl = seconds(1);
         o.call_timeout = seconds(2);
       }),
       "call_timeout"},
      {"call_timeout zero", kKey, with([](auto& o) { o.call_timeout = Duration::zero(); }),
       "call_timeout"},
      {"backoff.base negative", kKey, with([](auto& o) { o.backoff.base = -milliseconds(1); }),
       "backoff.base"},
      {"backoff.cap < backoff.base", kKey,
       with([](auto& o) {
         o.backoff.base = milliseconds(100);
         o.backoff.cap = milliseconds(99);
       }),
       "backoff.cap"},
      {"drift_ppm too large", kKey, with([](auto& o) { o.drift_ppm = 500'001; }), "drift_ppm"},
  };
  Process& p = h.process(0);
  for (const BadOption& c : cases) {
    SCOPED_TRACE(c.what);
    Result<LeaseLock> made = LeaseLock::create(h.store(0), p.clock(), p.rng(), c.key, c.options);
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(made.error().code, ErrorCode::kInvalidArgument);
    const std::string prefix = std::string(c.field) + ":";
    EXPECT_EQ(made.error().message.rfind(prefix, 0), 0u)
        << "message should start with '" << prefix << "': " << made.error().message;
  }
}

TEST(LeaseLockOptions, BoundaryValuesAreAccepted) {
  Harness h(1);
  Process& p = h.process(0);
  auto accepted = [&](const std::string& key, LeaseLockOptions o) {
    Result<LeaseLock> made = LeaseLock::create(h.store(0), p.clock(), p.rng(), key, o);
    return made.ok() ? std::string("ok") : made.error().to_string();
  };
  LeaseLockOptions o;
  EXPECT_EQ(accepted(kKey, o), "ok") << "the defaults are valid";
  EXPECT_EQ(accepted(std::string(locks::kMaxKeyBytes, 'k'), o), "ok");
  o.ttl = hours(24);
  EXPECT_EQ(accepted(kKey, o), "ok");
  o = LeaseLockOptions{};
  o.max_attempts = LeaseLockOptions::kMaxAttempts;
  o.drift_ppm = 500'000;
  o.backoff = {resilience::BackoffStrategy::kNone, Duration::zero(), Duration::zero()};
  o.call_timeout = o.ttl - milliseconds(1);
  EXPECT_EQ(accepted(kKey, o), "ok");
  // Nothing was sent to the store by create().
  EXPECT_EQ(h.store(0).acquires(), 0);
}

// ---- Acquire / release ------------------------------------------------------------------------

TEST(LeaseLock, AcquireThenReleaseHappyPath) {
  Harness h(1);
  LeaseLock lock = h.lock(0, quick_options());
  Result<Lease> lease = h.run(0, lock.acquire());
  ASSERT_TRUE(lease.ok()) << lease.error().to_string();
  EXPECT_EQ(lease->key, kKey);
  EXPECT_EQ(lease->token, 1u);
  EXPECT_EQ(lease->owner.size(), 32u);
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), lease->owner);
  EXPECT_EQ(h.store(0).acquires(), 1);

  Result<void> released = h.run(0, lock.release(*lease));
  ASSERT_TRUE(released.ok()) << released.error().to_string();
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), "");
  ASSERT_EQ(h.store(0).releases(), 1);
  EXPECT_EQ(h.store(0).release_owners[0], lease->owner);
}

TEST(LeaseLock, SecondOwnerGetsBusyAfterBoundedAttempts) {
  Harness h(2);
  LeaseLock a = h.lock(0, quick_options());
  LeaseLock b = h.lock(1, quick_options());
  Result<Lease> held = h.run(0, a.acquire());
  ASSERT_TRUE(held.ok());

  const SimTime started = h.world().now();
  Result<Lease> refused = h.run(1, b.acquire());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kBusy) << refused.error().to_string();
  EXPECT_NE(refused.error().message.find("after 4 attempts"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(h.store(1).acquires(), 4) << "exactly `max_attempts` store calls";
  EXPECT_EQ(h.store(1).releases(), 0) << "a busy answer proves we do not hold it: no release";
  for (const std::string& o : h.store(1).acquire_outcomes) EXPECT_EQ(o, "busy");
  // 4 round trips (<= 4ms each) + backoffs of at most 10 + 20 + 40 ms.
  EXPECT_LE(h.world().now() - started, milliseconds(16 + 70));
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), held->owner) << "the holder is untouched";
}

TEST(LeaseLock, ReleaseByNonOwnerFailsAndDoesNotFreeTheLock) {
  Harness h(2);
  LeaseLock a = h.lock(0, quick_options());
  LeaseLock b = h.lock(1, quick_options());
  Result<Lease> held = h.run(0, a.acquire());
  ASSERT_TRUE(held.ok());

  Lease forged = *held;
  forged.owner = std::string(32, '0');  // right key and token, wrong owner secret
  Result<void> r = h.run(1, b.release(forged));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition) << r.error().to_string();
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), held->owner);
  EXPECT_EQ(h.store(1).releases(), 1) << "the release was really asked of the server";
}

TEST(LeaseLock, ReleaseAfterExpiryAndTakeoverFailsAndKeepsTheNewHolder) {
  Harness h(2);
  LeaseLockOptions o = quick_options();
  o.ttl = milliseconds(200);
  LeaseLock a = h.lock(0, o);
  LeaseLock b = h.lock(1, o);
  Result<Lease> first = h.run(0, a.acquire());
  ASSERT_TRUE(first.ok());
  h.advance(milliseconds(300));
  Result<Lease> second = h.run(1, b.acquire());
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  Result<void> late = h.run(0, a.release(*first));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(sim::RedisLocks(h.redis()).holder(kKey), second->owner);
}

}  // namespace
}  // namespace faultline::sim
