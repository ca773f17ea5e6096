// The rate-limit claims' checks (scenarios/ratelimit/limit_invariants.h) on hand-made
// histories: at the bound they pass, one unit over it they fail with the window as witness; and
// the two-pointer sweep against brute force on generated histories.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "scenarios/ratelimit/limit_invariants.h"

namespace faultline::scenarios::ratelimit {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

Admission at_ms(std::string key, std::int64_t ms, std::int64_t units) {
  return Admission{std::move(key), milliseconds(ms), units, "client-1", -1};
}

TEST(LimitInvariants, AtTheLimitInEveryWindowPasses) {
  // [0, 100) holds 5, [50, 150) 5, [150, 250) 3: every window at most the limit.
  const std::vector<Admission> history{at_ms("api", 0, 2), at_ms("api", 50, 3),
                                       at_ms("api", 150, 2), at_ms("api", 199, 1)};
  EXPECT_FALSE(check_window_limit(history, 5, milliseconds(100)).has_value());
  EXPECT_FALSE(check_window_limit({}, 1, milliseconds(100)).has_value());
}

TEST(LimitInvariants, OneUnitOverTheLimitFailsWithItsWindow) {
  std::vector<Admission> history{at_ms("api", 10, 2), at_ms("api", 50, 3)};
  ASSERT_FALSE(check_window_limit(history, 5, milliseconds(100)).has_value());
  history.push_back(Admission{"api", milliseconds(110) - microseconds(1), 1, "client-2", 7});
  const auto found = check_window_limit(history, 5, milliseconds(100));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->key, "api");
  EXPECT_EQ(found->bound, 5);
  EXPECT_EQ(found->window.units, 6);
  EXPECT_EQ(found->window.from, milliseconds(10));
  EXPECT_EQ(found->window.members, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(found->message.rfind("key 'api': 6 units admitted in [0.010s, 0.110s) (limit 5): ", 0),
            0U)
      << found->message;
  EXPECT_NE(found->message.find("client-2 +1 at 0.110s"), std::string::npos) << found->message;
}

TEST(LimitInvariants, WindowsAreHalfOpen) {
  // Exactly a window apart: never in one window.
  const std::vector<Admission> history{at_ms("api", 0, 5), at_ms("api", 100, 5)};
  EXPECT_FALSE(check_window_limit(history, 5, milliseconds(100)).has_value());
  const std::vector<Admission> closer{at_ms("api", 0, 5), at_ms("api", 99, 1)};
  EXPECT_TRUE(check_window_limit(closer, 5, milliseconds(100)).has_value());
}

TEST(LimitInvariants, KeysAreJudgedApartAndInputOrderDoesNotMatter) {
  const std::vector<Admission> history{at_ms("b", 60, 3), at_ms("a", 0, 5), at_ms("b", 10, 2)};
  EXPECT_FALSE(check_window_limit(history, 5, milliseconds(100)).has_value());
  std::vector<Admission> over = history;
  over.push_back(at_ms("b", 0, 1));
  const auto found = check_window_limit(over, 5, milliseconds(100));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->key, "b");
  EXPECT_EQ(found->window.members, (std::vector<std::size_t>{3, 2, 0}));  // in time order
  const auto by_key = admissions_by_key(over);
  EXPECT_EQ(by_key.at("a"), (std::vector<std::size_t>{1}));
}

TEST(LimitInvariants, GcraBoundIsLimitPlusLengthOverT) {
  // limit 3, T = 10 ms: at most 4 units in any 10 ms, 13 in any 100 ms.
  const std::vector<microseconds> lengths{milliseconds(10), milliseconds(100)};
  std::vector<Admission> history{at_ms("api", 0, 3), at_ms("api", 9, 1)};
  EXPECT_FALSE(check_gcra_bound(history, 3, milliseconds(10), lengths).has_value());
  history.push_back(at_ms("api", 9, 1));
  const auto found = check_gcra_bound(history, 3, milliseconds(10), lengths);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->bound, 4);
  EXPECT_EQ(found->window.units, 5);
  EXPECT_EQ(found->window.length, milliseconds(10));
  // Spread over 100 ms: 13 pass, 14 fail (on the 100 ms length).
  std::vector<Admission> spread;
  for (int i = 0; i < 13; ++i) spread.push_back(at_ms("api", i * 8, 1));
  EXPECT_FALSE(check_gcra_bound(spread, 3, milliseconds(10), lengths).has_value());
  spread.push_back(at_ms("api", 97, 1));
  const auto over = check_gcra_bound(spread, 3, milliseconds(10), lengths);
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->bound, 13);
}

// The busiest window by brute force: every window that holds the most starts at an admission.
std::int64_t brute_busiest(const std::vector<Admission>& history, microseconds length) {
  std::int64_t best = 0;
  for (const Admission& start : history) {
    std::int64_t units = 0;
    for (const Admission& a : history) {
      if (a.at >= start.at && a.at < start.at + length) units += a.units;
    }
    best = std::max(best, units);
  }
  return best;
}

RC_GTEST_PROP(LimitInvariants, SweepFindsTheBusiestWindow, ()) {
  const auto times = *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange(0, 2000));
  std::vector<Admission> history;
  for (std::int64_t t : times) {
    history.push_back(Admission{"k", microseconds(t), *rc::gen::inRange<std::int64_t>(1, 4)});
  }
  const microseconds length(*rc::gen::inRange<std::int64_t>(1, 500));
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < history.size(); ++i) all.push_back(i);
  std::stable_sort(all.begin(), all.end(),
                   [&](std::size_t a, std::size_t b) { return history[a].at < history[b].at; });
  const BusiestWindow w = busiest_window(history, all, length);
  RC_ASSERT(w.units == brute_busiest(history, length));
  std::int64_t members = 0;
  for (std::size_t i : w.members) members += history[i].units;
  RC_ASSERT(members == w.units);
}

}  // namespace
}  // namespace faultline::scenarios::ratelimit
