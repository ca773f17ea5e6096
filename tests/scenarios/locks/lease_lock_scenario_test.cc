// The lease lock under generated fault plans.
//
//   - RapidCheck generates (and shrinks) sim::FaultPlans within the scenario's FaultSpace; the
//     fenced scenario must hold for every plan and seed.
//   - The same generator finds a violation of the unfenced scenario: the property is not vacuous.
//   - The unfenced hazard is found by a seed sweep, replays exactly, shrinks, and its timeline
//     shows the offending critical section.
//   - Without faults the unfenced scenario holds (the checker is not trigger-happy), and the
//     fenced register does refuse stale tokens (fencing is what saves it).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "faultline/sim/fault_plan.h"
#include "faultline/harness/rapidcheck.h"
#include "scenarios/locks/lease_lock_scenario.h"
#include "scenarios/locks/pg_scenarios.h"
#include "scenarios/framework/catalogue.h"
#include "scenarios/framework/runner.h"
#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {
namespace {

using sim::Fault;
using sim::FaultKind;
using sim::FaultPlan;
using sim::FaultSpace;
using sim::NetworkFaults;
using std::chrono::milliseconds;

using harness::gen_plan;

bool names(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// The generator itself: every plan it makes is one the space admits.
RC_GTEST_PROP(FaultPlanGenerator, StaysWithinTheSpace, ()) {
  const FaultSpace space = LeaseLockScenario(true).fault_space();
  const FaultPlan plan = *gen_plan(space);
  RC_ASSERT(plan.faults.size() <= static_cast<std::size_t>(space.max_faults));
  RC_ASSERT(plan.network.request_loss_ppm <= space.network_max.request_loss_ppm);
  RC_ASSERT(plan.network.reply_loss_ppm <= space.network_max.reply_loss_ppm);
  RC_ASSERT(plan.network.duplicate_ppm <= space.network_max.duplicate_ppm);
  RC_ASSERT(plan.network.spike_ppm <= space.network_max.spike_ppm);
  std::vector<std::string> everyone = space.clients;
  everyone.insert(everyone.end(), space.nodes.begin(), space.nodes.end());
  for (const Fault& f : plan.faults) {
    RC_ASSERT(f.at >= Duration::zero());
    RC_ASSERT(f.at < space.horizon);
    RC_ASSERT(names(everyone, f.target));
    switch (f.kind) {
      case FaultKind::kPause:
        RC_ASSERT(names(space.clients, f.target));
        RC_ASSERT(f.duration > Duration::zero() && f.duration <= space.pause_max);
        break;
      case FaultKind::kCrash:
        RC_ASSERT(names(space.nodes, f.target) || space.client_crashes);
        RC_ASSERT(f.persist || names(space.nodes, f.target));
        RC_ASSERT(f.duration > Duration::zero() && f.duration <= space.downtime_max);
        break;
      case FaultKind::kClockStep:
        RC_ASSERT(f.amount >= -space.step_max && f.amount <= space.step_max);
        break;
      case FaultKind::kClockDrift:
        RC_ASSERT(f.drift_ppm >= -space.drift_ppm_max && f.drift_ppm <= space.drift_ppm_max);
        break;
      case FaultKind::kPartition:
        RC_ASSERT(names(space.clients, f.target));
        RC_ASSERT(names(space.nodes, f.peer));
        RC_ASSERT(f.duration > Duration::zero() && f.duration <= space.partition_max);
        break;
      case FaultKind::kDisconnect:
        RC_ASSERT(space.disconnects);
        RC_ASSERT(names(space.clients, f.target));
        RC_ASSERT(names(space.nodes, f.peer));
        break;
      case FaultKind::kSilentCrash:
        RC_ASSERT(space.silent_client_crashes);
        RC_ASSERT(names(space.clients, f.target));
        RC_ASSERT(f.duration > Duration::zero() && f.duration <= space.downtime_max);
        break;
      case FaultKind::kOutage:
      case FaultKind::kSlowNode:
        RC_FAIL("the lease-lock space admits no outages or slow nodes");
    }
  }
  RC_ASSERT(std::is_sorted(plan.faults.begin(), plan.faults.end(),
                           [](const Fault& a, const Fault& b) { return a.at < b.at; }));
}

// ---- The safety claim -------------------------------------------------------------------------

RC_GTEST_PROP(LeaseLockFenced, NoViolationForAnyPlanAndSeed, ()) {
  static const LeaseLockScenario scenario(/*fenced=*/true);
  const FaultPlan plan = *gen_plan(scenario.fault_space());
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const RunResult result = scenario.run(seed, plan, RunOptions{});
  if (result.violation) {
    std::ostringstream why;
    why << "lease-lock/fenced violated with seed 0x" << std::hex << seed << ": "
        << result.violation->message << " [" << result.summary << "]";
    RC_FAIL(why.str());
  }
  RC_ASSERT(result.events > 0);
}

// The same property against the unfenced lock must fail: proves that the generated plans are
// strong enough to break an unsafe lock, i.e. the property above is not passing vacuously.
TEST(LeaseLockUnfenced, GeneratedPlansFindTheHazard) {
  const LeaseLockScenario scenario(/*fenced=*/false);
  auto property = [&] {
    const FaultPlan plan = *gen_plan(scenario.fault_space());
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const RunResult result = scenario.run(seed, plan, RunOptions{});
    RC_ASSERT(!result.violation);
  };
  // About one generated case in twenty breaks the unfenced lock, so 100 cases nearly always
  // find one; three rounds make a miss (with RapidCheck's random seed) vanishingly unlikely.
  bool held = true;
  for (int round = 0; round < 3 && held; ++round) {
    held = rc::check("unfenced lease lock under generated plans (expected to fail)", property);
  }
  EXPECT_FALSE(held) << "RapidCheck should have found a plan that breaks the unfenced lock";
}

// ---- The hazard demonstration -----------------------------------------------------------------

constexpr std::uint64_t kSweepFirst = 0x5EED;
constexpr std::uint64_t kSweepMax = 200;

struct Found {
  std::uint64_t index = 0;
  std::uint64_t seed = 0;
  RunResult result;
};

std::optional<Found> first_violation(const Scenario& scenario) {
  for (std::uint64_t i = 0; i < kSweepMax; ++i) {
    const std::uint64_t seed = seed_at(kSweepFirst, i);
    RunResult r = scenario.run(seed);
    if (r.violation) return Found{i, seed, std::move(r)};
  }
  return std::nullopt;
}

struct LostUpdate {
  std::string writer;
  std::string token;
  std::string value;
  std::string previous;
};

// The text between `before` and `after` in `text`, starting at `from`; advances `from`.
std::optional<std::string> between(const std::string& text, std::size_t& from,
                                   const std::string& before, const std::string& after) {
  const std::size_t b = text.find(before, from);
  if (b == std::string::npos) return std::nullopt;
  const std::size_t start = b + before.size();
  const std::size_t e = text.find(after, start);
  if (e == std::string::npos) return std::nullopt;
  from = e;
  return text.substr(start, e - start);
}

// "lost update: client-3 (section #41, token 7) wrote 12 over 12 at 1.234567s, ..."
std::optional<LostUpdate> parse_lost_update(const std::string& message) {
  std::size_t at = 0;
  auto writer = between(message, at, "lost update: ", " (section #");
  auto token = between(message, at, ", token ", ")");
  auto value = between(message, at, " wrote ", " over ");
  auto previous = between(message, at, " over ", " at ");
  if (!writer || !token || !value || !previous) return std::nullopt;
  return LostUpdate{*writer, *token, *value, *previous};
}

// "mutual exclusion: client-5 (section #123, token 7) acquired the lock at ...": the holder that
// acquired while another still held the lock; no value (its section may not have written).
std::optional<LostUpdate> parse_overlap(const std::string& message) {
  std::size_t at = 0;
  auto holder = between(message, at, "mutual exclusion: ", " (section #");
  auto token = between(message, at, ", token ", ")");
  if (!holder || !token) return std::nullopt;
  return LostUpdate{*holder, *token, "", ""};
}

// The number after "`name` " in a scenario summary, or -1.
int summary_counter(const std::string& summary, const std::string& name) {
  const std::size_t at = summary.find(name + " ");
  if (at == std::string::npos) return -1;
  return std::atoi(summary.c_str() + at + name.size() + 1);
}

TEST(LeaseLockUnfenced, SweepFindsReplaysAndShrinksTheHazard) {
  const LeaseLockScenario scenario(/*fenced=*/false);
  ASSERT_EQ(scenario.expect(), Expect::kViolationFound);
  const std::optional<Found> found = first_violation(scenario);
  ASSERT_TRUE(found.has_value()) << "no violation in " << kSweepMax << " seeds";
  std::cout << "[ hazard   ] lease-lock/unfenced: first violation at seed index " << found->index
            << " (seed 0x" << std::hex << found->seed << std::dec
            << "): " << found->result.violation->message << "\n";
  RecordProperty("violation_index", static_cast<int>(found->index));

  // The runner agrees on the lowest-indexed violating seed, whatever the number of jobs.
  const SweepResult swept =
      sweep(scenario, SweepOptions{.first = kSweepFirst, .count = kSweepMax, .jobs = 2});
  ASSERT_TRUE(swept.first_violation.has_value());
  EXPECT_EQ(swept.first_violation->seed, found->seed);
  EXPECT_EQ(swept.first_violation_index, found->index);

  // Replay: the same seed gives the same run, twice.
  const FaultPlan plan = scenario.plan_for_seed(found->seed);
  const RunResult replay1 = scenario.run(found->seed, plan, RunOptions{});
  const RunResult replay2 = scenario.run(found->seed, plan, RunOptions{});
  ASSERT_TRUE(replay1.violation.has_value());
  ASSERT_TRUE(replay2.violation.has_value());
  EXPECT_EQ(replay1.trace_hash, found->result.trace_hash);
  EXPECT_EQ(replay1.trace_hash, replay2.trace_hash);
  EXPECT_EQ(replay1.violation->message, found->result.violation->message);
  EXPECT_EQ(replay1.violation->message, replay2.violation->message);

  // Shrink: still violates, with no more faults, and the shrunk plan replays.
  const Shrunk shrunk = shrink(scenario, found->seed, plan);
  ASSERT_TRUE(shrunk.result.violation.has_value());
  EXPECT_LE(shrunk.plan.faults.size(), plan.faults.size());
  EXPECT_GE(shrunk.runs, 1);
  std::cout << "[ hazard   ] shrunk in " << shrunk.runs << " runs to:\n"
            << shrunk.plan.to_string();
  const RunResult shrunk_replay = scenario.run(found->seed, shrunk.plan, RunOptions{});
  ASSERT_TRUE(shrunk_replay.violation.has_value());
  EXPECT_EQ(shrunk_replay.violation->message, shrunk.result.violation->message);
  EXPECT_EQ(shrunk_replay.trace_hash, shrunk.result.trace_hash);

  // The replay's timeline shows the offending critical section.
  const RunResult drawn = scenario.run(found->seed, plan, RunOptions{/*timeline=*/true, false});
  ASSERT_TRUE(drawn.violation.has_value());
  EXPECT_EQ(drawn.trace_hash, replay1.trace_hash);
  // Mutual exclusion is checked first: two holders at once, whether or not an update was lost.
  std::optional<LostUpdate> lost = parse_lost_update(drawn.violation->message);
  if (!lost) lost = parse_overlap(drawn.violation->message);
  ASSERT_TRUE(lost.has_value()) << "unexpected violation: " << drawn.violation->message;
  std::istringstream lines(drawn.timeline);
  std::string culprit;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" " + lost->writer + " ") != std::string::npos &&
        line.find(" cs ") != std::string::npos &&
        line.find("token=" + lost->token + " ") != std::string::npos) {
      culprit = line;
    }
  }
  ASSERT_FALSE(culprit.empty()) << "no critical section of " << lost->writer << " with token "
                                << lost->token << " in the timeline:\n"
                                << drawn.timeline;
  const std::string stale_write = "wrote " + lost->value;
  const bool reported_ok = !lost->value.empty() && culprit.find("-> ok") != std::string::npos;
  if (reported_ok) {
    EXPECT_NE(culprit.find(stale_write), std::string::npos) << culprit;
  }
  EXPECT_NE(drawn.timeline.find("!!"), std::string::npos) << "the faults are shown too";
  std::cout << "[ hazard   ] violating section: " << culprit << "\n";
}

TEST(LeaseLockUnfenced, HoldsWithoutFaults) {
  const LeaseLockScenario scenario(/*fenced=*/false);
  const LeaseLockWorkload workload;
  const int sections = workload.clients * workload.sections;
  const FaultPlan quiet;  // no scheduled faults, zero network faults
  ASSERT_TRUE(quiet.faults.empty());
  ASSERT_EQ(quiet.network, NetworkFaults{});
  for (std::uint64_t i = 0; i < 20; ++i) {
    const std::uint64_t seed = seed_at(kSweepFirst, i);
    const RunResult r = scenario.run(seed, quiet, RunOptions{});
    EXPECT_FALSE(r.violation.has_value())
        << "seed index " << i << ": " << r.violation->message << " [" << r.summary << "]";
    // The workload really ran: every lease taken led to a write that was applied (an acquire may
    // still give up as busy under contention, after its bounded attempts).
    const int acquired = summary_counter(r.summary, "acquired");
    EXPECT_GE(acquired, sections * 9 / 10) << r.summary;
    EXPECT_EQ(summary_counter(r.summary, "sections ok"), acquired) << r.summary;
    EXPECT_EQ(summary_counter(r.summary, "writes applied"), acquired) << r.summary;
  }
}

// The fenced register refuses stale tokens (server side, whether or not the client hears of it):
// fencing is what saves the lock. Counted from RunResult::stale_refused.
TEST(LeaseLockFenced, RegisterRefusesStaleTokensSomewhereInTheSweep) {
  const LeaseLockScenario scenario(/*fenced=*/true);
  ASSERT_EQ(scenario.expect(), Expect::kHolds);
  std::optional<std::uint64_t> refused_at;
  for (std::uint64_t i = 0; i < kSweepMax && !refused_at; ++i) {
    const RunResult r = scenario.run(seed_at(kSweepFirst, i));
    ASSERT_FALSE(r.violation.has_value()) << r.violation->message;
    if (r.stale_refused > 0) refused_at = i;
  }
  ASSERT_TRUE(refused_at.has_value()) << "fencing never had to refuse a stale token";
  std::cout << "[ fencing  ] first stale token refused at seed index " << *refused_at << "\n";
}

TEST(LeaseLockFenced, TheHazardSeedIsSafeWhenFenced) {
  // The very seed and plan that break the unfenced lock: with fencing, no lost update, because
  // the register refuses the stale holder; without fencing nothing is ever refused.
  const LeaseLockScenario unfenced(false);
  const std::optional<Found> found = first_violation(unfenced);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->result.stale_refused, 0u) << "an unfenced register refuses nothing";
  const LeaseLockScenario fenced(true);
  const RunResult r = fenced.run(found->seed);
  EXPECT_FALSE(r.violation.has_value()) << r.violation->message;
  EXPECT_GT(r.stale_refused, 0u) << r.summary;
}

// ---- pg-advisory/half-open: the liveness cost of a half-open connection ----------------------

TEST(PgHalfOpen, BoundIsTheKeepaliveDetectionPlusASecond) {
  EXPECT_EQ(kHalfOpenKeepalive.detection(), std::chrono::seconds(5));
  EXPECT_EQ(half_open_bound(kHalfOpenKeepalive), std::chrono::seconds(6));
  EXPECT_EQ(half_open_spec().max_unavailable, std::chrono::seconds(6));
  EXPECT_EQ(sim::Keepalive{}.detection(), std::chrono::seconds(7200 + 9 * 75))
      << "the OS defaults: over two hours";
}

TEST(PgHalfOpen, AVanishedHolderBlocksEveryoneForAboutTheKeepalive) {
  // The cost is real, not just bounded: with the allowed gap cut to a second under the
  // keepalive's detection time, some seed shows a longer refusal span (a server that noticed at
  // once, like a closed connection, would never show one).
  LockScenarioSpec spec = half_open_spec();
  spec.max_unavailable = kHalfOpenKeepalive.detection() - std::chrono::seconds(1);
  const LockScenario scenario(spec);
  const SweepResult result = sweep(scenario, SweepOptions{.first = 0x5EED, .count = 200});
  ASSERT_TRUE(result.first_violation.has_value()) << "no vanished holder blocked anyone";
  EXPECT_NE(result.first_violation->violation->message.find("liveness"), std::string::npos)
      << result.first_violation->violation->message;
}

// A rendered run draws the servers' grants on their lanes (server_spans.h), and observing the
// servers for it changes nothing: the same trace hash, events and verdict as a plain run.
TEST(LockScenarioServerSpans, RenderedRunsDrawGrantsOnServerLanesAndKeepTheirTrace) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"lease-lock/fenced", "redis"},
      {"redlock/fenced", "redis-3"},
      {"redlock/restart-without-persistence", "redis-1"},
      {"pg-advisory/fenced", "postgres"}};
  for (const auto& [name, server] : cases) {
    const std::unique_ptr<Scenario> scenario = find_scenario(name);
    ASSERT_NE(scenario, nullptr) << name;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      SCOPED_TRACE(name + " seed " + std::to_string(seed));
      const sim::FaultPlan plan = scenario->plan_for_seed(seed);
      const RunResult plain = scenario->run(seed, plan, RunOptions{});
      const RunResult drawn = scenario->run(seed, plan, RunOptions{true, true});
      EXPECT_EQ(plain.trace_hash, drawn.trace_hash);
      EXPECT_EQ(plain.events, drawn.events);
      EXPECT_EQ(plain.finished_at, drawn.finished_at);
      EXPECT_EQ(plain.summary, drawn.summary);
      const std::string grant = "<title>" + server + ": granted to client-";
      EXPECT_NE(drawn.html.find(grant), std::string::npos)
          << "no grant bar on " << server << "'s lane";
      EXPECT_NE(drawn.html.find(R"(<rect class="grant)"), std::string::npos);
      EXPECT_NE(drawn.html.find(R"(class="lane server">)" + server + "<"), std::string::npos)
          << server << " is drawn as a server";
    }
  }
}

}  // namespace
}  // namespace faultline::scenarios
