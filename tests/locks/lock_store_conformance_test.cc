// LockStore conformance: the same properties, checked against every implementation.
//
// Linked once with the simulator's harness and once with real Redis (see tests/CMakeLists.txt),
// so the simulated node cannot drift from the Lua scripts the production backend runs.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "tests/locks/lock_store_conformance.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using locks::AcquireReply;
using locks::FencingToken;

constexpr Duration kTimeout = 2s;
constexpr Duration kLongTtl = 30s;

// Every property gets its own harness lazily; one per process is enough (keys are unique).
LockStoreHarness* harness(std::string& why_not) {
  static std::unique_ptr<LockStoreHarness> instance = make_lock_store_harness(why_not);
  static std::string reason = why_not;
  why_not = reason;
  return instance.get();
}

#define REQUIRE_HARNESS(h)                                   \
  std::string why_not;                                       \
  LockStoreHarness* h = harness(why_not);                    \
  if (h == nullptr) GTEST_SKIP() << why_not;

// Synchronous wrappers: each runs one operation to completion on the harness.
Result<AcquireReply> acquire(LockStoreHarness& h, int client, const std::string& key,
                             const std::string& owner, Duration ttl) {
  std::optional<Result<AcquireReply>> out;
  h.run([&]() -> Task<void> { out.emplace(co_await h.store(client).acquire(key, owner, ttl, kTimeout)); });
  return std::move(*out);
}
Result<bool> release(LockStoreHarness& h, int client, const std::string& key,
                     const std::string& owner) {
  std::optional<Result<bool>> out;
  h.run([&]() -> Task<void> { out.emplace(co_await h.store(client).release(key, owner, kTimeout)); });
  return std::move(*out);
}
Result<bool> extend(LockStoreHarness& h, int client, const std::string& key,
                    const std::string& owner, Duration ttl) {
  std::optional<Result<bool>> out;
  h.run([&]() -> Task<void> { out.emplace(co_await h.store(client).extend(key, owner, ttl, kTimeout)); });
  return std::move(*out);
}
Result<FencingToken> next_token(LockStoreHarness& h, int client, const std::string& key) {
  std::optional<Result<FencingToken>> out;
  h.run([&]() -> Task<void> { out.emplace(co_await h.store(client).next_fencing_token(key, kTimeout)); });
  return std::move(*out);
}

TEST(LockStoreConformance, AcquireFreeKeyThenOthersAreRefused) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  auto first = acquire(*h, 0, key, "owner-a", kLongTtl);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_TRUE(first->acquired);
  EXPECT_GE(first->token, 1u);
  auto second = acquire(*h, 1, key, "owner-b", kLongTtl);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_FALSE(second->acquired) << h->name() << " granted a held lock to another owner";
}

TEST(LockStoreConformance, ReacquireBySameOwnerIsIdempotent) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  auto first = acquire(*h, 0, key, "owner-a", kLongTtl);
  auto again = acquire(*h, 2, key, "owner-a", kLongTtl);
  ASSERT_TRUE(first.ok() && again.ok());
  ASSERT_TRUE(first->acquired && again->acquired);
  EXPECT_EQ(first->token, again->token) << "a retried acquire must return the same token";
}

TEST(LockStoreConformance, ReacquireRefreshesTheTtl) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  ASSERT_TRUE(acquire(*h, 0, key, "owner-a", 300ms)->acquired);
  h->wait(200ms);
  ASSERT_TRUE(acquire(*h, 0, key, "owner-a", 1s)->acquired);
  h->wait(300ms);  // past the first ttl, within the refreshed one
  EXPECT_FALSE(acquire(*h, 1, key, "owner-b", kLongTtl)->acquired)
      << "a retried acquire did not refresh the ttl";
}

TEST(LockStoreConformance, OnlyTheOwnerReleases) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  ASSERT_TRUE(acquire(*h, 0, key, "owner-a", kLongTtl)->acquired);
  auto by_other = release(*h, 1, key, "owner-b");
  ASSERT_TRUE(by_other.ok());
  EXPECT_FALSE(*by_other) << "released another owner's lock";
  EXPECT_FALSE(acquire(*h, 1, key, "owner-b", kLongTtl)->acquired) << "lock was freed by a non-owner";
  auto by_owner = release(*h, 0, key, "owner-a");
  ASSERT_TRUE(by_owner.ok());
  EXPECT_TRUE(*by_owner);
  EXPECT_TRUE(acquire(*h, 1, key, "owner-b", kLongTtl)->acquired);
}

TEST(LockStoreConformance, OnlyTheOwnerExtends) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  ASSERT_TRUE(acquire(*h, 0, key, "owner-a", 300ms)->acquired);
  auto by_other = extend(*h, 1, key, "owner-b", kLongTtl);
  ASSERT_TRUE(by_other.ok());
  EXPECT_FALSE(*by_other);
  h->wait(600ms);
  EXPECT_TRUE(acquire(*h, 1, key, "owner-b", kLongTtl)->acquired)
      << "a non-owner's extend kept the lock alive";
}

// Keys and owners at their longest are kept whole, to the last byte: an owner or a key that
// differs only there is another one. (The simulated store's requests keep short ones inline and
// long ones on the heap.)
TEST(LockStoreConformance, KeysAndOwnersAtTheirLongestAreKeptWhole) {
  REQUIRE_HARNESS(h);
  std::string key = h->unique_key();
  key.resize(locks::kMaxKeyBytes, 'k');
  std::string other_key = key;
  other_key.back() = 'q';
  const std::string owner_a(locks::kMaxOwnerBytes, 'a');
  std::string owner_b = owner_a;
  owner_b.back() = 'b';
  ASSERT_TRUE(acquire(*h, 0, key, owner_a, kLongTtl)->acquired);
  EXPECT_FALSE(acquire(*h, 1, key, owner_b, kLongTtl)->acquired)
      << "an owner differing in its last byte took the lock";
  EXPECT_FALSE(*release(*h, 1, key, owner_b));
  EXPECT_TRUE(acquire(*h, 1, other_key, owner_b, kLongTtl)->acquired)
      << "a key differing in its last byte is another lock";
  EXPECT_TRUE(*extend(*h, 0, key, owner_a, kLongTtl));
  EXPECT_TRUE(*release(*h, 0, key, owner_a));
  EXPECT_TRUE(acquire(*h, 1, key, owner_b, kLongTtl)->acquired);
}

TEST(LockStoreConformance, ExtendKeepsTheLockPastItsTtl) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  ASSERT_TRUE(acquire(*h, 0, key, "owner-a", 300ms)->acquired);
  h->wait(150ms);
  auto extended = extend(*h, 0, key, "owner-a", 2s);
  ASSERT_TRUE(extended.ok());
  EXPECT_TRUE(*extended);
  h->wait(400ms);  // past the original ttl, within the extension
  EXPECT_FALSE(acquire(*h, 1, key, "owner-b", kLongTtl)->acquired);
}

TEST(LockStoreConformance, LockExpiresAfterTtlAndOldOwnerCannotExtend) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  auto first = acquire(*h, 0, key, "owner-a", 100ms);
  ASSERT_TRUE(first->acquired);
  h->wait(250ms);
  auto late = extend(*h, 0, key, "owner-a", kLongTtl);
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(*late) << "extended an expired lock";
  auto second = acquire(*h, 1, key, "owner-b", kLongTtl);
  ASSERT_TRUE(second->acquired);
  EXPECT_GT(second->token, first->token);
  EXPECT_FALSE(*release(*h, 0, key, "owner-a")) << "old owner released the new owner's lock";
}

TEST(LockStoreConformance, BadArgumentsAreTypedErrors) {
  REQUIRE_HARNESS(h);
  const std::string key = h->unique_key();
  auto empty_key = acquire(*h, 0, "", "owner", kLongTtl);
  ASSERT_FALSE(empty_key.ok());
  EXPECT_EQ(empty_key.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(empty_key.error().message.find("key"), std::string::npos);
  auto zero_ttl = acquire(*h, 0, key, "owner", 0ms);
  ASSERT_FALSE(zero_ttl.ok());
  EXPECT_EQ(zero_ttl.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(zero_ttl.error().message.find("ttl"), std::string::npos);
  auto negative_ttl = extend(*h, 0, key, "owner", -5ms);
  ASSERT_FALSE(negative_ttl.ok());
  EXPECT_EQ(negative_ttl.error().code, ErrorCode::kInvalidArgument);
  auto huge_ttl = acquire(*h, 0, key, "owner", std::chrono::hours(25));
  ASSERT_FALSE(huge_ttl.ok());
  EXPECT_EQ(huge_ttl.error().code, ErrorCode::kInvalidArgument);
  auto empty_owner = release(*h, 0, key, "");
  ASSERT_FALSE(empty_owner.ok());
  EXPECT_EQ(empty_owner.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(empty_owner.error().message.find("owner"), std::string::npos);
  // Nothing was applied: the key is still free.
  EXPECT_TRUE(acquire(*h, 1, key, "owner-b", kLongTtl)->acquired);
}

// A reference model of the operations, without expiry (the property uses a long ttl).
struct Model {
  std::map<std::string, std::string> holder;
  std::map<std::string, FencingToken> last_token;
};

RC_GTEST_PROP(LockStoreConformance, RandomOperationSequencesMatchTheModel, ()) {
  std::string why_not;
  LockStoreHarness* h = harness(why_not);
  if (h == nullptr) RC_SUCCEED(why_not);
  const std::vector<std::string> keys = {h->unique_key(), h->unique_key()};
  const std::vector<std::string> owners = {"owner-a", "owner-b", "owner-c"};
  const auto steps = *rc::gen::inRange(1, 30);
  Model model;
  std::map<std::string, FencingToken> seen;  // highest token observed per key
  for (int i = 0; i < steps; ++i) {
    const int op = *rc::gen::inRange(0, 4);
    const auto& key = keys[static_cast<std::size_t>(*rc::gen::inRange(0, 2))];
    const int who = *rc::gen::inRange(0, 3);
    const auto& owner = owners[static_cast<std::size_t>(who)];
    switch (op) {
      case 0: {
        auto r = acquire(*h, who, key, owner, kLongTtl);
        RC_ASSERT(r.ok());
        const bool free_or_mine = !model.holder.contains(key) || model.holder[key] == owner;
        RC_ASSERT(r->acquired == free_or_mine);
        if (r->acquired) {
          if (model.holder.contains(key)) {
            RC_ASSERT(r->token == model.last_token[key]);  // idempotent re-acquire
          } else {
            RC_ASSERT(r->token > seen[key]);  // a fresh acquisition: strictly newer token
            model.holder[key] = owner;
            model.last_token[key] = r->token;
          }
          seen[key] = std::max(seen[key], r->token);
        }
        break;
      }
      case 1: {
        auto r = release(*h, who, key, owner);
        RC_ASSERT(r.ok());
        const bool mine = model.holder.contains(key) && model.holder[key] == owner;
        RC_ASSERT(*r == mine);
        if (mine) model.holder.erase(key);
        break;
      }
      case 2: {
        auto r = extend(*h, who, key, owner, kLongTtl);
        RC_ASSERT(r.ok());
        RC_ASSERT(*r == (model.holder.contains(key) && model.holder[key] == owner));
        break;
      }
      default: {
        auto r = next_token(*h, who, key);
        RC_ASSERT(r.ok());
        RC_ASSERT(*r > seen[key]);  // shares the counter with acquire, strictly increasing
        seen[key] = *r;
        break;
      }
    }
  }
}

}  // namespace
}  // namespace faultline::testing
