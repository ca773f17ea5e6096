// Consumer dedup conformance: the same properties, checked against the simulated cache and
// ledger and against real Redis and PostgreSQL (tests/idempotency/CMakeLists.txt,
// tests/backends/CMakeLists.txt).
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "faultline/gather.h"
#include "tests/idempotency/consumer_dedup_conformance.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using idempotency::DedupCache;
using idempotency::DedupOutcome;
using idempotency::DedupReply;
using idempotency::MessageId;

constexpr Duration kTimeout = 5s;
constexpr const char* kConsumer = "billing";

ConsumerDedupHarness* harness(std::string& why_not) {
  static std::unique_ptr<ConsumerDedupHarness> instance = make_consumer_dedup_harness(why_not);
  static std::string reason = why_not;
  why_not = reason;
  return instance.get();
}

#define REQUIRE_HARNESS(h)                     \
  std::string why_not;                         \
  ConsumerDedupHarness* h = harness(why_not); \
  if (h == nullptr) GTEST_SKIP() << why_not;

// A cache that is down: every call fails as a refused connection does.
class DownCache final : public DedupCache {
 public:
  Task<Result<bool>> seen(MessageId, Duration) override { co_return unavailable("cache down"); }
  Task<Result<void>> mark(MessageId, Duration, Duration) override {
    co_return unavailable("cache down");
  }
};

template <class T, class Op>
Result<T> once(ConsumerDedupHarness& h, Op op) {
  std::optional<Result<T>> out;
  h.run([&]() -> Task<void> {
    auto call = op();
    out.emplace(co_await std::move(call));
  });
  return std::move(*out);
}

Result<DedupReply> process(ConsumerDedupHarness& h, const std::string& message, int client = 0,
                           bool fail = false, bool own_cache = true,
                           const std::string& consumer = kConsumer) {
  static DownCache down;
  DedupCache* cache = own_cache ? &h.cache(client) : &down;
  return once<DedupReply>(h, [&] {
    return h.process(client, cache, MessageId{consumer, message}, fail, kTimeout);
  });
}

int effects(ConsumerDedupHarness& h, const std::string& message,
            const std::string& consumer = kConsumer) {
  Result<int> count = once<int>(h, [&] { return h.effects(MessageId{consumer, message}); });
  EXPECT_TRUE(count.ok()) << count.error().to_string();
  return count.ok() ? *count : -1;
}

void forget(ConsumerDedupHarness& h, const std::string& message) {
  h.run([&]() -> Task<void> {
    auto forgetting = h.forget(MessageId{kConsumer, message});
    co_await std::move(forgetting);
  });
}

TEST(ConsumerDedupConformance, FirstDeliveryAppliesTheRedeliveryIsADuplicateFromTheCache) {
  REQUIRE_HARNESS(h);
  const std::string id = h->unique_id();
  Result<DedupReply> first = process(*h, id);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->outcome, DedupOutcome::kApplied);
  EXPECT_EQ(first->cache_errors, 0);
  Result<DedupReply> again = process(*h, id, /*client=*/1);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->outcome, DedupOutcome::kDuplicate);
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(effects(*h, id), 1) << h->name();
}

TEST(ConsumerDedupConformance, TheLongestConsumerAndMessageIdsAreAccepted) {
  REQUIRE_HARNESS(h);
  const std::string consumer(idempotency::kMaxConsumerBytes, 'c');
  std::string id = h->unique_id();
  id.resize(idempotency::kMaxMessageIdBytes, 'm');
  Result<DedupReply> first = process(*h, id, 0, false, true, consumer);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->outcome, DedupOutcome::kApplied);
  Result<DedupReply> again = process(*h, id, 1, false, /*own_cache=*/false, consumer);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->outcome, DedupOutcome::kDuplicate);
  EXPECT_EQ(effects(*h, id, consumer), 1) << h->name();
}

TEST(ConsumerDedupConformance, TheLedgerCatchesWhatTheCacheForgot) {
  REQUIRE_HARNESS(h);
  const std::string id = h->unique_id();
  ASSERT_EQ(process(*h, id)->outcome, DedupOutcome::kApplied);
  forget(*h, id);
  Result<DedupReply> again = process(*h, id);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->outcome, DedupOutcome::kDuplicate);
  EXPECT_FALSE(again->from_cache);
  // The ledger's answer warms the cache again.
  EXPECT_TRUE(process(*h, id)->from_cache);
  EXPECT_EQ(effects(*h, id), 1) << h->name();
}

TEST(ConsumerDedupConformance, ACacheThatIsDownIsSkippedNeverFatal) {
  REQUIRE_HARNESS(h);
  const std::string id = h->unique_id();
  Result<DedupReply> first = process(*h, id, 0, false, /*own_cache=*/false);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->outcome, DedupOutcome::kApplied);
  EXPECT_EQ(first->cache_errors, 2);  // seen and mark both failed
  Result<DedupReply> again = process(*h, id, 1, false, /*own_cache=*/false);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->outcome, DedupOutcome::kDuplicate);
  EXPECT_EQ(effects(*h, id), 1) << h->name();
}

TEST(ConsumerDedupConformance, AFailedEffectRollsItsRecordBackSoTheRedeliveryApplies) {
  REQUIRE_HARNESS(h);
  const std::string id = h->unique_id();
  Result<DedupReply> failed = process(*h, id, 0, /*fail=*/true);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(effects(*h, id), 0) << "the effect's own write rolled back too";
  Result<DedupReply> retried = process(*h, id);
  ASSERT_TRUE(retried.ok()) << retried.error().to_string();
  EXPECT_EQ(retried->outcome, DedupOutcome::kApplied);
  EXPECT_EQ(effects(*h, id), 1) << h->name();
}

TEST(ConsumerDedupConformance, ConcurrentDeliveriesApplyExactlyOnce) {
  REQUIRE_HARNESS(h);
  const std::string id = h->unique_id();
  std::vector<Result<DedupReply>> replies;
  h->run([&]() -> Task<void> {
    std::vector<Task<Result<DedupReply>>> calls;
    for (int c = 0; c < ConsumerDedupHarness::kClients; ++c) {
      calls.push_back(h->process(c, &h->cache(c), MessageId{kConsumer, id}, false, kTimeout));
    }
    auto all = gather(std::move(calls));
    replies = co_await std::move(all);
  });
  int applied = 0;
  for (const Result<DedupReply>& reply : replies) {
    ASSERT_TRUE(reply.ok()) << reply.error().to_string();
    applied += reply->outcome == DedupOutcome::kApplied ? 1 : 0;
  }
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(effects(*h, id), 1) << h->name();
}

TEST(ConsumerDedupConformance, BadInputIsRefusedNamingTheFieldAndLosesNothing) {
  REQUIRE_HARNESS(h);
  const std::string id = h->unique_id();
  const std::string oversized(256, 'm');
  struct Case {
    MessageId id;
    Duration timeout;
    const char* field;
  };
  const std::vector<Case> cases = {{{"", id}, kTimeout, "consumer"},
                                   {{kConsumer, ""}, kTimeout, "message_id"},
                                   {{kConsumer, oversized}, kTimeout, "message_id"},
                                   {{kConsumer, "tab\tinside"}, kTimeout, "message_id"},
                                   {{kConsumer, id}, Duration::zero(), "timeout"}};
  for (const Case& c : cases) {
    Result<DedupReply> refused = once<DedupReply>(
        *h, [&] { return h->process(0, &h->cache(0), c.id, false, c.timeout); });
    ASSERT_FALSE(refused.ok()) << c.field;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << c.field;
    EXPECT_NE(refused.error().message.find(c.field), std::string::npos)
        << refused.error().message;
  }
  EXPECT_EQ(effects(*h, id), 0);
  EXPECT_EQ(process(*h, id)->outcome, DedupOutcome::kApplied) << "nothing was recorded";
}

}  // namespace
}  // namespace faultline::testing
