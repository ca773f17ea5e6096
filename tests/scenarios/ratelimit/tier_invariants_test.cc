// The tiered and outage claims' checks (scenarios/ratelimit/tier_invariants.h) on hand-made
// records: a step that charged every tier of a request passes, a step that charged some of them
// fails (naming the later refusal of its request), and the fallback bound counts the store's
// and the fallbacks' admissions apart.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenarios/ratelimit/tier_invariants.h"

namespace faultline::scenarios::ratelimit {
namespace {

using std::chrono::milliseconds;

const std::vector<std::vector<std::string>> kSets{{"caller/c-1", "tenant/t-1", "global/all"},
                                                  {"caller/c-2", "tenant/t-1", "global/all"}};

TierEvent event(std::uint64_t step, std::string key, std::int64_t ms, std::int64_t cost,
                bool allowed, std::ptrdiff_t request) {
  return TierEvent{step, std::move(key), milliseconds(ms), cost, allowed, request};
}

// One tiered decision's events: every tier charged `cost`, or (cost 0) a refusal at `refused`.
std::vector<TierEvent> decision(std::uint64_t step, const std::vector<std::string>& tiers,
                                std::int64_t cost, const std::string& refused,
                                std::ptrdiff_t request) {
  std::vector<TierEvent> out;
  for (const std::string& k : tiers) {
    out.push_back(event(step, k, static_cast<std::int64_t>(step), cost, k != refused, request));
  }
  return out;
}

TEST(TierInvariants, AllOrNothingStepsPass) {
  std::vector<TierEvent> record = decision(1, kSets[0], 2, "", 0);
  for (TierEvent& e : decision(2, kSets[1], 0, "tenant/t-1", 1)) record.push_back(e);
  for (TierEvent& e : decision(3, kSets[1], 1, "", 1)) record.push_back(e);
  // A duplicate of request 0 charged everything again: whole, not partial.
  for (TierEvent& e : decision(4, kSets[0], 2, "", 0)) record.push_back(e);
  EXPECT_FALSE(check_all_or_nothing(record, kSets).has_value());
  EXPECT_FALSE(check_all_or_nothing({}, kSets).has_value());
}

TEST(TierInvariants, ACallerChargedAloneThenRefusedFails) {
  // Tier by tier: the caller's tier charged in its own step, the tenant's refused in the next.
  const std::vector<TierEvent> record{event(7, "caller/c-1", 10, 2, true, 4),
                                      event(9, "tenant/t-1", 12, 0, false, 4)};
  const auto found = check_all_or_nothing(record, kSets);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->step, 7U);
  EXPECT_EQ(found->request, 4);
  EXPECT_EQ(found->events, (std::vector<std::size_t>{0, 1}));
  EXPECT_NE(found->message.find("charged caller/c-1 +2, not tenant/t-1, global/all"),
            std::string::npos)
      << found->message;
  EXPECT_NE(found->message.find("refused at tenant/t-1 at 0.012s"), std::string::npos)
      << found->message;
}

TEST(TierInvariants, PartialChargesWithinOneStepFail) {
  // A refused step that charged a tier anyway.
  std::vector<TierEvent> refused = decision(1, kSets[0], 0, "global/all", 0);
  refused[0].cost = 1;
  ASSERT_TRUE(check_all_or_nothing(refused, kSets).has_value());
  EXPECT_NE(check_all_or_nothing(refused, kSets)->message.find("while refusing global/all"),
            std::string::npos);
  // Different costs on the tiers of one step.
  std::vector<TierEvent> uneven = decision(1, kSets[0], 2, "", 0);
  uneven[2].cost = 1;
  EXPECT_TRUE(check_all_or_nothing(uneven, kSets).has_value());
  // Two of three tiers.
  std::vector<TierEvent> short_of_one = decision(1, kSets[0], 2, "", 0);
  short_of_one.pop_back();
  EXPECT_TRUE(check_all_or_nothing(short_of_one, kSets).has_value());
  // Tiers of two callers in one step.
  std::vector<TierEvent> mixed = decision(1, kSets[0], 1, "", 0);
  mixed.push_back(event(1, "caller/c-2", 1, 1, true, 0));
  EXPECT_TRUE(check_all_or_nothing(mixed, kSets).has_value());
}

TEST(TierInvariants, ARefusedRequestIsPreferredAsTheWitness) {
  // Step 1 partial but its request never refused; step 3 partial and refused later.
  const std::vector<TierEvent> record{
      event(1, "caller/c-2", 1, 1, true, 0), event(2, "tenant/t-1", 2, 1, true, 0),
      event(3, "caller/c-1", 3, 1, true, 1), event(4, "tenant/t-1", 4, 0, false, 1)};
  const auto found = check_all_or_nothing(record, kSets);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->step, 3U);
  // Without attribution the first partial step is the witness.
  std::vector<TierEvent> anonymous = record;
  for (TierEvent& e : anonymous) e.request = -1;
  EXPECT_EQ(check_all_or_nothing(anonymous, kSets)->step, 1U);
}

Admission at_ms(std::int64_t ms, std::int64_t units) {
  return Admission{"api", milliseconds(ms), units, "client-1", -1};
}

TEST(TierInvariants, FallbackBoundCountsEachSourceApart) {
  // 12 from the store and 12 from the fallbacks in one window: each within its own bound.
  const std::vector<Admission> store{at_ms(0, 6), at_ms(40, 6)};
  std::vector<Admission> fallback{at_ms(50, 3), at_ms(60, 3), at_ms(70, 3), at_ms(80, 3)};
  EXPECT_FALSE(check_fallback_bound(store, fallback, 12, 12, milliseconds(98)).has_value());
  fallback.push_back(at_ms(147, 1));  // [50, 148) holds 13 of the fallbacks'
  const auto over = check_fallback_bound(store, fallback, 12, 12, milliseconds(98));
  ASSERT_TRUE(over.has_value());
  EXPECT_TRUE(over->fallback);
  EXPECT_EQ(over->over.window.units, 13);
  EXPECT_EQ(over->over.message.rfind("the fallbacks' admissions together: ", 0), 0U);
  fallback.back() = at_ms(148, 1);  // a window apart from the first: within the bound
  EXPECT_FALSE(check_fallback_bound(store, fallback, 12, 12, milliseconds(98)).has_value());
  const std::vector<Admission> store_over{at_ms(0, 6), at_ms(97, 7)};
  const auto store_found = check_fallback_bound(store_over, {}, 12, 12, milliseconds(98));
  ASSERT_TRUE(store_found.has_value());
  EXPECT_FALSE(store_found->fallback);
}

}  // namespace
}  // namespace faultline::scenarios::ratelimit
