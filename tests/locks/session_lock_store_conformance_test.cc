// SessionLockStore conformance: the same properties, checked against every implementation.
//
// Linked once with the simulator's harness (PgNode) and once with a real PostgreSQL server
// (PgSessionLockStore), see tests/CMakeLists.txt, so the simulated model cannot drift from the
// advisory-lock semantics the production backend gets from the server.
//
// Timing properties allow for both worlds: where the real server needs a moment (a terminated
// backend exits asynchronously, close() does not wait for the server), the suite polls for up to
// kSettle; the simulator must pass the first poll.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "faultline/locks/session_lock_store.h"
#include "tests/locks/session_lock_store_conformance.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using locks::AdvisoryLockId;
using locks::FencingToken;
using locks::LockSession;
using Session = std::unique_ptr<LockSession>;

constexpr Duration kTimeout = 2s;
// How long the real server may take to release a session's locks once it has ended.
constexpr Duration kSettle = 2s;
constexpr Duration kSettlePoll = 20ms;

// One harness per process is enough (ids and keys are unique).
SessionLockStoreHarness* harness(std::string& why_not) {
  static std::unique_ptr<SessionLockStoreHarness> instance =
      make_session_lock_store_harness(why_not);
  static std::string reason = why_not;
  why_not = reason;
  return instance.get();
}

#define REQUIRE_HARNESS(h)                         \
  std::string why_not;                             \
  SessionLockStoreHarness* h = harness(why_not);   \
  if (h == nullptr) GTEST_SKIP() << why_not;

// Synchronous wrappers: each runs one operation to completion on the harness.
Result<Session> open_session(SessionLockStoreHarness& h, int client, Duration timeout = kTimeout) {
  std::optional<Result<Session>> out;
  h.run([&]() -> Task<void> { out.emplace(co_await h.store(client).open_session(timeout)); });
  return std::move(*out);
}
// Opens a session that the test needs (a failure to open is a test failure, as an exception).
Session session(SessionLockStoreHarness& h, int client) {
  Result<Session> s = open_session(h, client);
  if (!s.ok()) throw std::runtime_error(h.name() + ": open_session: " + s.error().to_string());
  return std::move(s).value();
}
Result<bool> try_lock(SessionLockStoreHarness& h, LockSession& s, AdvisoryLockId id,
                      Duration timeout = kTimeout) {
  std::optional<Result<bool>> out;
  h.run([&]() -> Task<void> { out.emplace(co_await s.try_lock(id, timeout)); });
  return std::move(*out);
}
Result<void> lock(SessionLockStoreHarness& h, LockSession& s, AdvisoryLockId id,
                  Duration timeout = kTimeout) {
  std::optional<Result<void>> out;
  h.run([&]() -> Task<void> { out.emplace(co_await s.lock(id, timeout)); });
  return std::move(*out);
}
Result<bool> unlock(SessionLockStoreHarness& h, LockSession& s, AdvisoryLockId id,
                    Duration timeout = kTimeout) {
  std::optional<Result<bool>> out;
  h.run([&]() -> Task<void> { out.emplace(co_await s.unlock(id, timeout)); });
  return std::move(*out);
}
Result<FencingToken> next_token(SessionLockStoreHarness& h, LockSession& s, const std::string& key,
                                Duration timeout = kTimeout) {
  std::optional<Result<FencingToken>> out;
  h.run([&]() -> Task<void> { out.emplace(co_await s.next_fencing_token(key, timeout)); });
  return std::move(*out);
}
void close(SessionLockStoreHarness& h, LockSession& s) {
  h.run([&]() -> Task<void> { co_await s.close(kTimeout); });
}

// True when `s` takes `id` within kSettle (polling: the real server releases asynchronously).
bool takes_within_settle(SessionLockStoreHarness& h, LockSession& s, AdvisoryLockId id,
                         int* polls = nullptr) {
  const int attempts = static_cast<int>(kSettle / kSettlePoll);
  for (int i = 0; i < attempts; ++i) {
    if (polls != nullptr) *polls = i + 1;
    Result<bool> taken = try_lock(h, s, id);
    if (!taken.ok()) return false;
    if (*taken) return true;
    h.wait(kSettlePoll);
  }
  return false;
}

// Assertion helpers that print the error of a failed call.
template <class T, class U>
::testing::AssertionResult Gives(const Result<T>& result, const U& expected) {
  if (!result.ok()) {
    return ::testing::AssertionFailure() << "failed: " << result.error().to_string();
  }
  if (*result == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "gave " << *result << ", expected " << expected;
}
template <class T>
::testing::AssertionResult FailsWith(const Result<T>& result, ErrorCode code) {
  if (result.ok()) return ::testing::AssertionFailure() << "succeeded, expected an error";
  if (result.error().code == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "failed with another code: "
                                       << result.error().to_string();
}
#define EXPECT_RESULT_EQ(result, expected) EXPECT_TRUE(Gives((result), (expected)))
#define EXPECT_ERROR_CODE(result, code) EXPECT_TRUE(FailsWith((result), (code)))

TEST(SessionLockStoreConformance, TryLockIsExclusiveBetweenSessionsAndReentrantWithinOne) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);  // re-entrant
  EXPECT_RESULT_EQ(try_lock(*h, *b, id), false) << h->name() << " granted a held lock";
  EXPECT_RESULT_EQ(unlock(*h, *a, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *b, id), false);  // still held once
  EXPECT_RESULT_EQ(unlock(*h, *a, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *b, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), false);
  // Two sessions of one client are two sessions: exclusive too.
  Session b2 = session(*h, 1);
  EXPECT_RESULT_EQ(try_lock(*h, *b2, id), false);
  EXPECT_RESULT_EQ(unlock(*h, *b, id), true);
  EXPECT_FALSE(a->lost());
  EXPECT_FALSE(b->lost());
  close(*h, *a);
  close(*h, *b);
  close(*h, *b2);
}

TEST(SessionLockStoreConformance, UnlockByANonHolderReturnsFalseAndFreesNothing) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  const AdvisoryLockId never_locked = h->unique_id();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  Session c = session(*h, 2);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);
  EXPECT_RESULT_EQ(unlock(*h, *b, id), false) << "released another session's lock";
  EXPECT_RESULT_EQ(try_lock(*h, *c, id), false) << "a non-holder's unlock freed the lock";
  EXPECT_RESULT_EQ(unlock(*h, *b, never_locked), false);
  EXPECT_RESULT_EQ(unlock(*h, *a, never_locked), false);
  EXPECT_FALSE(b->lost()) << "unlocking what one does not hold is not an error";
  EXPECT_RESULT_EQ(unlock(*h, *a, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *c, id), true);
  close(*h, *a);
  close(*h, *b);
  close(*h, *c);
}

TEST(SessionLockStoreConformance, UnlockCountMatchesLockCount) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  constexpr int kHolds = 4;
  for (int i = 0; i < kHolds; ++i) {
    if (i % 2 == 0) {
      EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);
    } else {
      Result<void> locked = lock(*h, *a, id);  // lock() is re-entrant too
      EXPECT_TRUE(locked.ok()) << locked.error().to_string();
    }
  }
  for (int i = 0; i < kHolds; ++i) {
    EXPECT_RESULT_EQ(try_lock(*h, *b, id), false) << "free after " << i << " of " << kHolds
                                                  << " unlocks";
    EXPECT_RESULT_EQ(unlock(*h, *a, id), true);
  }
  EXPECT_RESULT_EQ(unlock(*h, *a, id), false) << "more unlocks than locks";
  EXPECT_RESULT_EQ(try_lock(*h, *b, id), true);
  close(*h, *a);
  close(*h, *b);
}

TEST(SessionLockStoreConformance, LockOnAHeldLockIsBusyAfterAboutTheTimeout) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  Session c = session(*h, 2);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);

  // A free lock, and one this session holds, are taken at once.
  const AdvisoryLockId free_id = h->unique_id();
  EXPECT_TRUE(lock(*h, *b, free_id).ok());
  EXPECT_TRUE(lock(*h, *b, free_id).ok());

  constexpr Duration kWait = 400ms;
  std::optional<Result<void>> busy;
  Duration elapsed{};
  h->run([&]() -> Task<void> {
    const TimePoint started = h->clock().now();
    busy.emplace(co_await b->lock(id, kWait));
    elapsed = h->clock().now() - started;
  });
  ASSERT_FALSE(busy->ok()) << h->name() << " granted a held lock to lock()";
  EXPECT_EQ(busy->error().code, ErrorCode::kBusy) << busy->error().to_string();
  // "About the timeout": not giving up early, and answering by the caller's deadline (the real
  // server waits the timeout minus a margin for the round trip, at most a quarter of it).
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  EXPECT_GE(elapsed, kWait * 3 / 4 - 20ms) << ms << "ms";
  EXPECT_LT(elapsed, kWait) << ms << "ms: lock() answered after its deadline";
  EXPECT_FALSE(b->lost()) << "a lock that stayed busy must not end the session";
  // Nothing was taken: once a lets go, a third session gets it, not b.
  EXPECT_RESULT_EQ(unlock(*h, *a, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *c, id), true);
  EXPECT_RESULT_EQ(unlock(*h, *b, id), false);
  close(*h, *a);
  close(*h, *b);
  close(*h, *c);
}

TEST(SessionLockStoreConformance, LockSucceedsOnceTheHolderUnlocks) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);

  constexpr Duration kHoldFor = 200ms;
  std::optional<Result<void>> waited;
  std::optional<Result<bool>> released;
  Duration elapsed{};
  std::vector<std::function<Task<void>()>> bodies;
  bodies.emplace_back([&]() -> Task<void> {
    const TimePoint started = h->clock().now();
    waited.emplace(co_await b->lock(id, 5s));
    elapsed = h->clock().now() - started;
  });
  bodies.emplace_back([&]() -> Task<void> {
    co_await h->clock().sleep_for(kHoldFor);
    released.emplace(co_await a->unlock(id, kTimeout));
  });
  h->run(std::move(bodies));
  ASSERT_TRUE(released.has_value() && waited.has_value());
  EXPECT_RESULT_EQ(*released, true);
  ASSERT_TRUE(waited->ok()) << waited->error().to_string();
  EXPECT_GE(elapsed, kHoldFor - 50ms) << "lock() returned before the holder unlocked";
  EXPECT_LT(elapsed, 1s) << "lock() did not notice the release promptly";
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), false);
  EXPECT_RESULT_EQ(unlock(*h, *b, id), true);
  close(*h, *a);
  close(*h, *b);
}

// PostgreSQL queues the sessions waiting for a lock and grants it to the first of them when it
// is freed; a client that polled instead would win or lose by the timing of its polls.
TEST(SessionLockStoreConformance, WaitersAreGrantedTheLockInTheOrderTheyAsked) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  Session c = session(*h, 2);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);

  std::vector<std::string> granted;  // who took the lock, in order
  std::vector<Result<void>> results;
  // Each waiter holds the lock for a while once it has it, then lets go; c asks 100ms after b.
  const auto waiter = [&](LockSession& s, std::string name, Duration ask_after) -> Task<void> {
    co_await h->clock().sleep_for(ask_after);
    Result<void> r = co_await s.lock(id, 5s);
    if (r.ok()) {
      granted.push_back(name);
      co_await h->clock().sleep_for(50ms);
      Result<bool> unlocked = co_await s.unlock(id, kTimeout);
      EXPECT_RESULT_EQ(unlocked, true);
    }
    results.push_back(std::move(r));
  };
  std::vector<std::function<Task<void>()>> bodies;
  bodies.emplace_back([&]() -> Task<void> { return waiter(*b, "b", 0ms); });
  bodies.emplace_back([&]() -> Task<void> { return waiter(*c, "c", 100ms); });
  bodies.emplace_back([&]() -> Task<void> {
    co_await h->clock().sleep_for(300ms);
    Result<bool> unlocked = co_await a->unlock(id, kTimeout);
    EXPECT_RESULT_EQ(unlocked, true);
  });
  h->run(std::move(bodies));
  ASSERT_EQ(results.size(), 2u);
  for (const Result<void>& r : results) EXPECT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(granted, (std::vector<std::string>{"b", "c"})) << h->name();
  close(*h, *a);
  close(*h, *b);
  close(*h, *c);
}

// A session's end frees its locks on the server, which grants them to the next waiter at once.
TEST(SessionLockStoreConformance, AWaiterIsGrantedTheLockWhenItsHolderCloses) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);
  std::optional<Result<void>> waited;
  Duration elapsed{};
  std::vector<std::function<Task<void>()>> bodies;
  bodies.emplace_back([&]() -> Task<void> {
    const TimePoint started = h->clock().now();
    waited.emplace(co_await b->lock(id, 5s));
    elapsed = h->clock().now() - started;
  });
  bodies.emplace_back([&]() -> Task<void> {
    co_await h->clock().sleep_for(200ms);
    co_await a->close(kTimeout);
  });
  h->run(std::move(bodies));
  ASSERT_TRUE(waited.has_value());
  ASSERT_TRUE(waited->ok()) << waited->error().to_string();
  EXPECT_GE(elapsed, 150ms) << "lock() returned before the holder closed its session";
  EXPECT_LT(elapsed, 1s) << "the close did not hand the lock on promptly";
  EXPECT_RESULT_EQ(unlock(*h, *b, id), true);
  close(*h, *b);
}

TEST(SessionLockStoreConformance, FencingTokensStrictlyIncreaseAcrossSessionsAndArePerKey) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  const std::string other_key = h->unique_key();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  FencingToken last = 0;
  for (int i = 0; i < 10; ++i) {
    LockSession& s = i % 2 == 0 ? *a : *b;
    Result<FencingToken> token = next_token(*h, s, key);
    ASSERT_TRUE(token.ok()) << token.error().to_string();
    EXPECT_GT(*token, last) << "token " << i;
    last = *token;
  }
  EXPECT_EQ(last, 10u) << "a fresh key starts at 1 and counts by one";
  // Another key has a counter of its own, untouched by the first ...
  EXPECT_RESULT_EQ(next_token(*h, *b, other_key), 1u);
  // ... and does not advance the first.
  EXPECT_RESULT_EQ(next_token(*h, *a, key), 11u);
  // The counter outlives the sessions that drew from it.
  close(*h, *a);
  close(*h, *b);
  Session c = session(*h, 2);
  EXPECT_RESULT_EQ(next_token(*h, *c, key), 12u);
  close(*h, *c);
}

TEST(SessionLockStoreConformance, CloseReleasesTheSessionsLocks) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  const AdvisoryLockId other_id = h->unique_id();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *a, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *a, other_id), true);
  close(*h, *a);
  EXPECT_TRUE(a->lost()) << "a closed session is over";
  EXPECT_TRUE(takes_within_settle(*h, *b, id)) << "close() left a re-entrant lock held";
  EXPECT_TRUE(takes_within_settle(*h, *b, other_id)) << "close() left a lock held";
  EXPECT_ERROR_CODE(try_lock(*h, *a, id), ErrorCode::kUnavailable);
  EXPECT_ERROR_CODE(unlock(*h, *a, id), ErrorCode::kUnavailable);
  close(*h, *a);  // closing twice is harmless
  close(*h, *b);
}

TEST(SessionLockStoreConformance, SessionEndedByTheServerReleasesItsLocksAndIsLost) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  const AdvisoryLockId other_id = h->unique_id();
  const std::string key = h->unique_key();
  Session victim = session(*h, 0);
  Session other = session(*h, 1);
  EXPECT_RESULT_EQ(try_lock(*h, *victim, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *victim, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *victim, other_id), true);
  EXPECT_RESULT_EQ(next_token(*h, *victim, key), 1u);
  EXPECT_RESULT_EQ(try_lock(*h, *other, id), false);

  Result<void> killed = h->kill_session(*victim);
  ASSERT_TRUE(killed.ok()) << killed.error().to_string();

  // Released on the server at once (however many holds), without the victim making a call.
  int polls = 0;
  EXPECT_TRUE(takes_within_settle(*h, *other, id, &polls)) << "the ended session kept its lock";
  EXPECT_TRUE(takes_within_settle(*h, *other, other_id)) << "the ended session kept its lock";

  // The victim learns of it at the latest at its next call, which fails as not done.
  Result<bool> after = try_lock(*h, *victim, id);
  ASSERT_FALSE(after.ok()) << "a call on an ended session succeeded (returned " << *after << ")";
  EXPECT_EQ(after.error().code, ErrorCode::kUnavailable) << after.error().to_string();
  EXPECT_TRUE(victim->lost());
  // And stays lost: every call fails the same way.
  EXPECT_ERROR_CODE(unlock(*h, *victim, id), ErrorCode::kUnavailable);
  EXPECT_ERROR_CODE(lock(*h, *victim, other_id), ErrorCode::kUnavailable);
  EXPECT_ERROR_CODE(next_token(*h, *victim, key), ErrorCode::kUnavailable);
  EXPECT_TRUE(victim->lost());
  // The fencing counter is not session state: it survives the session.
  EXPECT_RESULT_EQ(next_token(*h, *other, key), 2u);
  // The client can open a new session and carry on.
  Session again = session(*h, 0);
  EXPECT_RESULT_EQ(try_lock(*h, *again, id), false);  // other holds it now
  EXPECT_RESULT_EQ(unlock(*h, *other, id), true);
  EXPECT_RESULT_EQ(try_lock(*h, *again, id), true);
  close(*h, *victim);
  close(*h, *other);
  close(*h, *again);
}

TEST(SessionLockStoreConformance, BadTimeoutsAreInvalidArgumentAndDoNothing) {
  REQUIRE_HARNESS(h);
  const AdvisoryLockId id = h->unique_id();
  const std::string key = h->unique_key();
  Session a = session(*h, 0);
  Session b = session(*h, 1);
  for (const Duration bad : {Duration::zero(), Duration(-1ms)}) {
    EXPECT_ERROR_CODE(try_lock(*h, *a, id, bad), ErrorCode::kInvalidArgument);
    EXPECT_ERROR_CODE(lock(*h, *a, id, bad), ErrorCode::kInvalidArgument);
    EXPECT_ERROR_CODE(unlock(*h, *a, id, bad), ErrorCode::kInvalidArgument);
    EXPECT_ERROR_CODE(next_token(*h, *a, key, bad), ErrorCode::kInvalidArgument);
    EXPECT_ERROR_CODE(open_session(*h, 2, bad), ErrorCode::kInvalidArgument);
  }
  Result<FencingToken> empty_key = next_token(*h, *a, "");
  ASSERT_FALSE(empty_key.ok());
  EXPECT_EQ(empty_key.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(empty_key.error().message.rfind("key", 0), 0u) << empty_key.error().message;
  EXPECT_FALSE(a->lost()) << "a rejected argument must not end the session";
  // Nothing was applied: the lock is free and the counter untouched.
  EXPECT_RESULT_EQ(try_lock(*h, *b, id), true);
  EXPECT_RESULT_EQ(next_token(*h, *b, key), 1u);
  // Arguments are checked before the session's state: a lost session still reports them.
  close(*h, *a);
  EXPECT_ERROR_CODE(try_lock(*h, *a, id, 0ms), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(lock(*h, *a, id, 0ms), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(unlock(*h, *a, id, 0ms), ErrorCode::kInvalidArgument);
  EXPECT_ERROR_CODE(next_token(*h, *a, key, 0ms), ErrorCode::kInvalidArgument);
  close(*h, *b);
}

// A reference model of session locks: for each id, the holding session and its hold count.
struct Hold {
  int session = -1;
  int count = 0;
};

RC_GTEST_PROP(SessionLockStoreConformance, RandomSequencesMatchTheModel, ()) {
  std::string why_not;
  SessionLockStoreHarness* h = harness(why_not);
  if (h == nullptr) RC_SUCCEED(why_not);
  const int session_count = *rc::gen::inRange(2, SessionLockStoreHarness::kClients + 1);
  const std::vector<AdvisoryLockId> ids = {h->unique_id(), h->unique_id()};
  const std::vector<std::string> keys = {h->unique_key(), h->unique_key()};
  std::vector<Session> sessions;
  for (int i = 0; i < session_count; ++i) sessions.push_back(session(*h, i));
  std::map<std::size_t, Hold> model;             // by index into ids
  std::map<std::size_t, FencingToken> last_token;  // by index into keys
  const int steps = *rc::gen::inRange(1, 30);
  for (int step = 0; step < steps; ++step) {
    const int op = *rc::gen::inRange(0, 3);
    const auto which = static_cast<std::size_t>(*rc::gen::inRange(0, 2));
    const int who = *rc::gen::inRange(0, session_count);
    LockSession& s = *sessions[static_cast<std::size_t>(who)];
    Hold& hold = model[which];
    switch (op) {
      case 0: {
        Result<bool> r = try_lock(*h, s, ids[which]);
        RC_ASSERT(r.ok());
        const bool free_or_mine = hold.count == 0 || hold.session == who;
        RC_ASSERT(*r == free_or_mine);
        if (*r) {
          hold.session = who;
          ++hold.count;
        }
        break;
      }
      case 1: {
        Result<bool> r = unlock(*h, s, ids[which]);
        RC_ASSERT(r.ok());
        const bool mine = hold.count > 0 && hold.session == who;
        RC_ASSERT(*r == mine);
        if (mine && --hold.count == 0) hold.session = -1;
        break;
      }
      default: {
        Result<FencingToken> r = next_token(*h, s, keys[which]);
        RC_ASSERT(r.ok());
        RC_ASSERT(*r > last_token[which]);
        last_token[which] = *r;
        break;
      }
    }
    RC_ASSERT(!s.lost());
  }
  for (Session& s : sessions) close(*h, *s);
}

}  // namespace
}  // namespace faultline::testing
