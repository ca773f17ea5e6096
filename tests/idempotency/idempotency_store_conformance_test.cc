// IdempotencyStore conformance: the same properties, checked against every implementation.
//
// Linked once per backend (tests/idempotency/CMakeLists.txt, tests/backends/CMakeLists.txt), so
// the simulated module cannot drift from the Redis scripts and PostgreSQL statements.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "tests/idempotency/idempotency_store_conformance.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using idempotency::BeginOutcome;
using idempotency::BeginReply;
using idempotency::RequestId;

constexpr Duration kTimeout = 2s;
constexpr Duration kLease = 30s;
constexpr Duration kShortLease = 200ms;
constexpr Duration kRetention = 24h;
constexpr const char* kScope = "acct_1";
// A response with a NUL inside: stores must keep bytes, not C strings.
const std::string kBinaryResponse = std::string("201 {\"id\":\"pay_1\"}") + '\0' + "tail";

IdempotencyStoreHarness* harness(std::string& why_not) {
  static std::unique_ptr<IdempotencyStoreHarness> instance =
      make_idempotency_store_harness(why_not);
  static std::string reason = why_not;
  why_not = reason;
  return instance.get();
}

#define REQUIRE_HARNESS(h)                       \
  std::string why_not;                           \
  IdempotencyStoreHarness* h = harness(why_not); \
  if (h == nullptr) GTEST_SKIP() << why_not;

// Synchronous wrappers: each runs one operation to completion on the harness.
template <class T, class Op>
Result<T> once(IdempotencyStoreHarness& h, Op op) {
  std::optional<Result<T>> out;
  h.run([&]() -> Task<void> {
    auto call = op();
    out.emplace(co_await std::move(call));
  });
  return std::move(*out);
}

struct Client {
  IdempotencyStoreHarness& h;
  int index;
  std::string owner;
  std::string scope = kScope;

  Result<BeginReply> begin(const std::string& key, const std::string& fp, Duration lease = kLease,
                           Duration retention = kRetention) {
    return once<BeginReply>(h, [&] {
      return h.store(index).begin(RequestId{scope, key}, fp, owner, lease, retention, kTimeout);
    });
  }
  Result<bool> checkpoint(const std::string& key, const std::string& point, const std::string& data,
                          Duration lease = kLease) {
    return once<bool>(h, [&] {
      return h.store(index).checkpoint(RequestId{scope, key}, owner, point, data, lease, kTimeout);
    });
  }
  Result<bool> complete(const std::string& key, const std::string& response) {
    return once<bool>(h, [&] {
      return h.store(index).complete(RequestId{scope, key}, owner, response, kTimeout);
    });
  }
  Result<bool> release(const std::string& key) {
    return once<bool>(h, [&] {
      return h.store(index).release(RequestId{scope, key}, owner, kTimeout);
    });
  }
};

BeginOutcome outcome(const Result<BeginReply>& r) {
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r->outcome : BeginOutcome::kMismatch;
}

TEST(IdempotencyStoreConformance, ANewKeyStartsAndAnotherCallerFindsItInFlight) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  Client a{*h, 0, "owner-a"};
  Client b{*h, 1, "owner-b"};
  auto first = a.begin(key, "fp1");
  EXPECT_EQ(outcome(first), BeginOutcome::kStarted);
  EXPECT_EQ(first->point, idempotency::kStartedPoint);
  auto second = b.begin(key, "fp1");
  ASSERT_EQ(outcome(second), BeginOutcome::kInFlight) << h->name() << " ran a request twice";
  EXPECT_GT(second->lease_left, Duration::zero());
  EXPECT_LE(second->lease_left, kLease);
}

TEST(IdempotencyStoreConformance, TheSameOwnerBeginningAgainResumesItsOwnRequest) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  Client a{*h, 0, "owner-a"};
  ASSERT_EQ(outcome(a.begin(key, "fp1")), BeginOutcome::kStarted);
  ASSERT_TRUE(*a.checkpoint(key, "charged", "ch_1"));
  auto again = a.begin(key, "fp1");
  ASSERT_EQ(outcome(again), BeginOutcome::kResumed);
  EXPECT_EQ(again->point, "charged");
  EXPECT_EQ(again->data, "ch_1");
}

TEST(IdempotencyStoreConformance, AnotherFingerprintUnderTheKeyIsAMismatchAndChangesNothing) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  Client a{*h, 0, "owner-a"};
  Client b{*h, 1, "owner-b"};
  ASSERT_EQ(outcome(a.begin(key, "fp1")), BeginOutcome::kStarted);
  EXPECT_EQ(outcome(b.begin(key, "fp2")), BeginOutcome::kMismatch);
  EXPECT_TRUE(*a.complete(key, "201 pay_1"));
  EXPECT_EQ(outcome(b.begin(key, "fp2")), BeginOutcome::kMismatch);
  auto replay = b.begin(key, "fp1");
  ASSERT_EQ(outcome(replay), BeginOutcome::kCompleted);
  EXPECT_EQ(replay->response, "201 pay_1");
}

TEST(IdempotencyStoreConformance, ACompletedRequestReplaysItsResponseToAnyOwner) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  Client a{*h, 0, "owner-a"};
  Client b{*h, 1, "owner-b"};
  ASSERT_EQ(outcome(a.begin(key, "fp1")), BeginOutcome::kStarted);
  ASSERT_TRUE(*a.complete(key, kBinaryResponse));
  auto replay = b.begin(key, "fp1");
  ASSERT_EQ(outcome(replay), BeginOutcome::kCompleted);
  EXPECT_EQ(replay->response, kBinaryResponse);
  // Completed: no holder's operation applies any more.
  EXPECT_FALSE(*a.checkpoint(key, "late", ""));
  EXPECT_FALSE(*a.complete(key, "other"));
  EXPECT_FALSE(*a.release(key));
  EXPECT_EQ(outcome(b.begin(key, "fp1")), BeginOutcome::kCompleted);
}

TEST(IdempotencyStoreConformance, ALapsedLeaseIsTakenOverAndTheFormerHolderIsRefused) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  Client a{*h, 0, "owner-a"};
  Client b{*h, 1, "owner-b"};
  ASSERT_EQ(outcome(a.begin(key, "fp1", kShortLease)), BeginOutcome::kStarted);
  ASSERT_TRUE(*a.checkpoint(key, "charged", "ch_1", kShortLease));
  h->wait(kShortLease + 100ms);
  auto taken = b.begin(key, "fp1");
  ASSERT_EQ(outcome(taken), BeginOutcome::kResumed);
  EXPECT_EQ(taken->point, "charged");
  EXPECT_EQ(taken->data, "ch_1");
  EXPECT_FALSE(*a.checkpoint(key, "shipped", "")) << h->name() << " let a former holder write";
  EXPECT_FALSE(*a.complete(key, "201 from a"));
  EXPECT_FALSE(*a.release(key));
  EXPECT_TRUE(*b.complete(key, "201 from b"));
  EXPECT_EQ(a.begin(key, "fp1")->response, "201 from b");
}

TEST(IdempotencyStoreConformance, ALapsedLeaseNobodyTookIsStillTheHolders) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  Client a{*h, 0, "owner-a"};
  ASSERT_EQ(outcome(a.begin(key, "fp1", kShortLease)), BeginOutcome::kStarted);
  h->wait(kShortLease + 100ms);
  EXPECT_TRUE(*a.checkpoint(key, "charged", "ch_1"));
  EXPECT_TRUE(*a.complete(key, "201"));
}

TEST(IdempotencyStoreConformance, AReleasedKeyStartsAfresh) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  Client a{*h, 0, "owner-a"};
  Client b{*h, 1, "owner-b"};
  ASSERT_EQ(outcome(a.begin(key, "fp1")), BeginOutcome::kStarted);
  EXPECT_FALSE(*b.release(key)) << "released by someone who does not hold it";
  EXPECT_TRUE(*a.release(key));
  EXPECT_FALSE(*a.release(key));
  // A transient failure stored nothing: even another payload may use the key now.
  EXPECT_EQ(outcome(b.begin(key, "fp2")), BeginOutcome::kStarted);
}

TEST(IdempotencyStoreConformance, ARecordPastItsRetentionIsGone) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  Client a{*h, 0, "owner-a"};
  Client b{*h, 1, "owner-b"};
  ASSERT_EQ(outcome(a.begin(key, "fp1", kShortLease, 500ms)), BeginOutcome::kStarted);
  ASSERT_TRUE(*a.complete(key, "201"));
  h->wait(700ms);
  EXPECT_EQ(outcome(b.begin(key, "fp2")), BeginOutcome::kStarted);
}

TEST(IdempotencyStoreConformance, KeysAreScopedToTheirCaller) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  Client a{*h, 0, "owner-a", "acct_a"};
  Client b{*h, 1, "owner-b", "acct_b"};
  ASSERT_EQ(outcome(a.begin(key, "fp1")), BeginOutcome::kStarted);
  ASSERT_TRUE(*a.complete(key, "a's secret response"));
  auto other = b.begin(key, "fp1");
  ASSERT_EQ(outcome(other), BeginOutcome::kStarted) << "one caller saw another's record";
  EXPECT_EQ(other->response, "");
  // Names that would collide if joined carelessly stay apart.
  Client c{*h, 0, "owner-c", "acct_a:" + key};
  EXPECT_EQ(outcome(c.begin("x", "fp1")), BeginOutcome::kStarted);
}

TEST(IdempotencyStoreConformance, BadArgumentsAreRefusedNamingTheField) {
  REQUIRE_HARNESS(h);
  Client a{*h, 0, "owner-a"};
  auto expect_invalid = [](const Result<BeginReply>& r, const std::string& field) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().to_string();
  };
  expect_invalid(a.begin("", "fp"), "key");
  expect_invalid(a.begin(std::string(idempotency::kMaxKeyBytes + 1, 'k'), "fp"), "key");
  expect_invalid(a.begin("bad\nkey", "fp"), "key");
  expect_invalid(a.begin("k", ""), "fingerprint");
  expect_invalid(a.begin("k", "fp", 0ms), "lease");
  expect_invalid(a.begin("k", "fp", kLease, 1s), "retention");
  Client nobody{*h, 0, ""};
  expect_invalid(nobody.begin("k", "fp"), "owner");
  Client unscoped{*h, 0, "owner", ""};
  expect_invalid(unscoped.begin("k", "fp"), "scope");
}

TEST(IdempotencyStoreConformance, ReapDeletesOnlyExpiredRecordsInBoundedBatches) {
  REQUIRE_HARNESS(h);
  Client a{*h, 0, "owner-a"};
  const std::string kept = h->unique_key();
  ASSERT_EQ(outcome(a.begin(kept, "fp1")), BeginOutcome::kStarted);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(outcome(a.begin(h->unique_key(), "fp1", kShortLease, 300ms)), BeginOutcome::kStarted);
  }
  h->wait(500ms);
  auto reap = [&](std::size_t limit) {
    return once<std::size_t>(*h, [&] { return h->store(0).reap(limit, kTimeout); });
  };
  if (h->reaps()) {
    std::size_t total = 0;
    for (int round = 0; round < 10; ++round) {
      auto deleted = reap(2);
      ASSERT_TRUE(deleted.ok()) << deleted.error().to_string();
      EXPECT_LE(*deleted, 2U);
      total += *deleted;
    }
    EXPECT_GE(total, 3U);
  } else {
    EXPECT_TRUE(reap(2).ok());
  }
  EXPECT_EQ(outcome(Client{*h, 1, "owner-b"}.begin(kept, "fp1")), BeginOutcome::kInFlight);
  auto bad = reap(0);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("limit"), std::string::npos);
}

// Every abandoned request among `keys` (scope kScope), paging with `limit` until the listing ends.
std::map<std::string, idempotency::AbandonedRequest> list_abandoned(IdempotencyStoreHarness& h,
                                                                   const std::set<std::string>& keys,
                                                                   std::size_t limit,
                                                                   int* pages = nullptr) {
  std::map<std::string, idempotency::AbandonedRequest> found;
  std::string cursor;
  for (int page = 0; page < 100'000; ++page) {
    auto listed = once<idempotency::AbandonedPage>(
        h, [&] { return h.store(0).abandoned(cursor, limit, kTimeout); });
    EXPECT_TRUE(listed.ok()) << listed.error().to_string();
    if (!listed.ok()) break;
    if (pages != nullptr) ++*pages;
    for (idempotency::AbandonedRequest& r : listed->requests) {
      if (r.scope == kScope && keys.contains(r.key)) found[r.key] = std::move(r);
    }
    if (listed->next_cursor.empty()) break;
    cursor = listed->next_cursor;
  }
  return found;
}

TEST(IdempotencyStoreConformance, AbandonedListsLapsedRequestsInProgressAndNothingElse) {
  REQUIRE_HARNESS(h);
  Client a{*h, 0, "owner-a"};
  const std::string lapsed = h->unique_key();
  const std::string live = h->unique_key();
  const std::string done = h->unique_key();
  ASSERT_EQ(outcome(a.begin(lapsed, "fp-lapsed")), BeginOutcome::kStarted);
  ASSERT_TRUE(a.checkpoint(lapsed, "charged", kBinaryResponse, kShortLease).value());
  ASSERT_EQ(outcome(a.begin(live, "fp1")), BeginOutcome::kStarted);
  ASSERT_EQ(outcome(a.begin(done, "fp1", kShortLease)), BeginOutcome::kStarted);
  ASSERT_TRUE(a.complete(done, "201").value());
  h->wait(400ms);
  const auto found = list_abandoned(*h, {lapsed, live, done}, 1000);
  ASSERT_EQ(found.size(), 1U);
  ASSERT_TRUE(found.contains(lapsed));
  const idempotency::AbandonedRequest& r = found.at(lapsed);
  EXPECT_EQ(r.fingerprint, "fp-lapsed");
  EXPECT_EQ(r.point, "charged");
  EXPECT_EQ(r.data, kBinaryResponse);
  // Taken over, it is no longer abandoned.
  EXPECT_EQ(outcome(Client{*h, 1, "completer"}.begin(lapsed, "fp-lapsed")), BeginOutcome::kResumed);
  EXPECT_TRUE(list_abandoned(*h, {lapsed}, 1000).empty());
}

TEST(IdempotencyStoreConformance, AbandonedPagesCoverEveryLapsedRequest) {
  REQUIRE_HARNESS(h);
  Client a{*h, 0, "owner-a"};
  std::set<std::string> keys;
  for (int i = 0; i < 5; ++i) {
    const std::string key = h->unique_key();
    keys.insert(key);
    ASSERT_EQ(outcome(a.begin(key, "fp1", kShortLease)), BeginOutcome::kStarted);
  }
  h->wait(400ms);
  int pages = 0;
  EXPECT_EQ(list_abandoned(*h, keys, 2, &pages).size(), 5U);
  EXPECT_GE(pages, 3);
  auto bad_limit = once<idempotency::AbandonedPage>(
      *h, [&] { return h->store(0).abandoned("", 0, kTimeout); });
  ASSERT_FALSE(bad_limit.ok());
  EXPECT_NE(bad_limit.error().message.find("limit"), std::string::npos);
  auto bad_cursor = once<idempotency::AbandonedPage>(
      *h, [&] { return h->store(0).abandoned("bad\ncursor", 10, kTimeout); });
  ASSERT_FALSE(bad_cursor.ok());
  EXPECT_NE(bad_cursor.error().message.find("cursor"), std::string::npos);
}

}  // namespace
}  // namespace faultline::testing
