// faultline::locks::LeaseLock driven inside a simulated World against a sim::RedisNode.
//
// Harness: a Topology with a RedisNode "redis" and client processes, each client's SimLockStore
// wrapped in a CountingStore (which records every call the lock makes). `run(client, task)`
// spawns a coroutine and runs the world until it finishes.
//
// Coroutines only refer to objects owned by the Harness, whose destructor destroys the Topology
// (which destroys its World, and so every coroutine frame, first) before the CountingStores. No
// non-trivially destructible temporary appears inside a co_await operand (g++ 12 destroys those
// twice).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "faultline/locks/lease_lock.h"
#include "faultline/locks/lock_store.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/topology.h"
#include "faultline/sim/world.h"

namespace faultline::sim {
namespace {

using locks::AcquireReply;
using locks::FencingToken;
using locks::Lease;
using locks::LeaseLock;
using locks::LeaseLockOptions;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kKey = "resource-lock";

std::string outcome(const Error& e) { return std::string(faultline::to_string(e.code)); }

// Forwards to another LockStore and records every call: how many, with which owner, and how
// each acquire ended ("ok", "busy" for a refused acquire, or the error code).
class CountingStore final : public locks::LockStore {
 public:
  explicit CountingStore(locks::LockStore& inner) : inner_(inner) {}

  Task<Result<AcquireReply>> acquire(std::string_view key, std::string_view owner, Duration ttl,
                                     Duration timeout) override {
    acquire_owners.emplace_back(owner);
    auto pending = inner_.acquire(key, owner, ttl, timeout);
    Result<AcquireReply> r = co_await std::move(pending);
    acquire_outcomes.push_back(r.ok() ? (r->acquired ? "ok" : "busy") : outcome(r.error()));
    co_return r;
  }
  Task<Result<bool>> release(std::string_view key, std::string_view owner,
                             Duration timeout) override {
    release_owners.emplace_back(owner);
    auto pending = inner_.release(key, owner, timeout);
    co_return co_await std::move(pending);
  }
  Task<Result<bool>> extend(std::string_view key, std::string_view owner, Duration ttl,
                            Duration timeout) override {
    ++extends;
    auto pending = inner_.extend(key, owner, ttl, timeout);
    co_return co_await std::move(pending);
  }
  Task<Result<FencingToken>> next_fencing_token(std::string_view key,
                                                Duration timeout) override {
    ++tokens;
    auto pending = inner_.next_fencing_token(key, timeout);
    co_return co_await std::move(pending);
  }

  [[nodiscard]] int acquires() const { return static_cast<int>(acquire_owners.size()); }
  [[nodiscard]] int releases() const { return static_cast<int>(release_owners.size()); }

  std::vector<std::string> acquire_owners;
  std::vector<std::string> acquire_outcomes;
  std::vector<std::string> release_owners;
  int extends = 0;
  int tokens = 0;

 private:
  locks::LockStore& inner_;
};

template <class T>
Task<void> capture(Task<T> task, std::shared_ptr<std::optional<T>> out) {
  T value = co_await std::move(task);
  out->emplace(std::move(value));
}

struct Client {
  Process* process = nullptr;
  std::unique_ptr<CountingStore> store;
};

class Harness {
 public:
  explicit Harness(int clients, std::uint64_t seed = 1)
      : topology_(TopologyBuilder(seed).redis("redis").clients(clients).build()),
        world_(&topology_->world()),
        network_(topology_->network()),
        redis_host_(topology_->process("redis")),
        redis_(topology_->redis("redis")) {
    for (Process* p : topology_->clients()) {
      Client c;
      c.process = p;
      c.store = std::make_unique<CountingStore>(topology_->lock_store(p->name(), "redis"));
      clients_.push_back(std::move(c));
    }
    world_->start();
  }
  ~Harness() { topology_.reset(); }  // coroutine frames die before what they refer to
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  World& world() { return *world_; }
  Network& network() { return network_; }
  Faults faults() { return topology_->faults(); }
  Process& redis_host() { return redis_host_; }
  RedisNode& redis() { return redis_; }
  Process& process(int i) { return *clients_.at(static_cast<std::size_t>(i)).process; }
  CountingStore& store(int i) { return *clients_.at(static_cast<std::size_t>(i)).store; }

  // A LeaseLock of client `i` on kKey (validated: a bad option fails the test).
  LeaseLock lock(int i, LeaseLockOptions options) {
    Process& p = process(i);
    Result<LeaseLock> made = LeaseLock::create(store(i), p.clock(), p.rng(), kKey, options);
    if (!made) throw std::logic_error("bad options: " + made.error().to_string());
    return std::move(made).value();
  }

  // Runs `task` on client `i` until it completes.
  template <class T>
  T run(int i, Task<T> task) {
    auto out = std::make_shared<std::optional<T>>();
    process(i).spawn(capture(std::move(task), out));
    // Poll before each step, so that the world stops right after the task completes (a step
    // would otherwise run the next event too, moving time on).
    std::uint64_t guard = 0;
    for (world_->io().poll(); !out->has_value(); world_->io().poll()) {
      if (!world_->step()) break;
      if (++guard > 1'000'000) throw std::runtime_error("runaway world");
    }
    if (!out->has_value()) throw std::runtime_error("task never completed");
    return std::move(**out);
  }

  // Lets `d` of true time pass.
  void advance(Duration d) {
    const SimTime until = world_->now() + d;
    world_->schedule(until, kWorldProcess, 0, [] {});
    world_->run_until(until);
  }

  // Every message between client `i` and redis, both ways, takes exactly `latency`.
  void set_latency(int i, Duration latency) {
    LinkProfile link;
    link.latency_min = latency;
    link.latency_max = latency;
    network_.set_link(redis_host_.id(), process(i).id(), link);
    network_.set_link(process(i).id(), redis_host_.id(), link);
  }
  // Makes every reply from redis to client `i` get lost (or stop getting lost).
  void lose_replies(int i, bool lose) {
    LinkProfile link;
    link.loss_ppm = lose ? 1'000'000 : 0;
    network_.set_link(redis_host_.id(), process(i).id(), link);
  }

 private:
  std::unique_ptr<Topology> topology_;
  World* world_;  // the topology's
  Network& network_;
  Process& redis_host_;
  RedisNode& redis_;
  std::vector<Client> clients_;
};

LeaseLockOptions quick_options() {
  LeaseLockOptions o;
  o.ttl = seconds(10);
  o.call_timeout = milliseconds(100);
  o.max_attempts = 4;
  // Full jitter up to 10ms, 20ms, 40ms (retry n sleeps up to base * 2^n).
  o.backoff = {resilience::BackoffStrategy::kFullJitter, milliseconds(5), milliseconds(40)};
  return o;
}

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
