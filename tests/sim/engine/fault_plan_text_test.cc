// The fault vocabulary: a plan's text reads back to the same plan, bad text is refused with the
// line and the reason, and the new kinds (outage, slow node) do what they say in a world.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <string>
#include <variant>

#include "faultline/harness/rapidcheck.h"
#include "faultline/result.h"
#include "faultline/sim/fault_plan.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/rpc.h"
#include "faultline/sim/world.h"

namespace faultline::sim {
namespace {

using namespace std::chrono_literals;

// A space that admits every kind, so the round trip covers every pattern.
FaultSpace every_kind() {
  FaultSpace space;
  space.clients = {"client-1", "client-2"};
  space.nodes = {"redis-1", "pg"};
  space.services = {"dep"};
  space.client_crashes = true;
  space.disconnects = true;
  space.silent_client_crashes = true;
  space.outages = true;
  space.outage_timeouts = true;
  space.slow_nodes = true;
  space.max_faults = 12;
  return space;
}

FaultPlan parsed(const std::string& text) {
  auto result = parse_plan(text);
  if (auto* error = std::get_if<PlanParseError>(&result)) {
    ADD_FAILURE() << error->to_string();
    return {};
  }
  return std::get<FaultPlan>(result);
}

PlanParseError refused(const std::string& text) {
  auto result = parse_plan(text);
  EXPECT_TRUE(std::holds_alternative<PlanParseError>(result)) << text;
  return std::holds_alternative<PlanParseError>(result) ? std::get<PlanParseError>(result)
                                                         : PlanParseError{};
}

RC_GTEST_PROP(PlanText, GeneratedPlanRoundTrips, ()) {
  const FaultPlan plan = *harness::gen_plan(every_kind());
  const std::string text = plan.to_string();
  auto result = parse_plan(text);
  RC_ASSERT(std::holds_alternative<FaultPlan>(result));
  RC_ASSERT(std::get<FaultPlan>(result) == plan);
}

TEST(PlanText, EveryKindIsDrawnAndReadsBack) {
  std::set<FaultKind> seen;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const FaultPlan plan = generate_plan(rng, every_kind());
    for (const Fault& f : plan.faults) seen.insert(f.kind);
    EXPECT_EQ(parsed(plan.to_string()), plan) << plan.to_string();
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kFaultKinds));
}

TEST(PlanText, ReadsAnEditedPlanWithComments) {
  const FaultPlan plan = parsed(
      "# quiet network\n"
      "network: request loss 0 ppm, reply loss 0 ppm, duplicates 0 ppm, delay spikes 0 ppm "
      "(up to 1.000s)\n"
      "\n"
      "at 2.5s outage of dep (hangs) for 0.750s\n"
      "at 1.000s slow redis-1 by 0.2s for 3.000s\n");
  ASSERT_EQ(plan.faults.size(), 2u);
  EXPECT_EQ(plan.faults[0].kind, FaultKind::kOutage);
  EXPECT_EQ(plan.faults[0].at, 2500ms);
  EXPECT_FALSE(plan.faults[0].fail_fast);
  EXPECT_EQ(plan.faults[0].duration, 750ms);
  EXPECT_EQ(plan.faults[1].kind, FaultKind::kSlowNode);
  EXPECT_EQ(plan.faults[1].amount, 200ms);
}

TEST(PlanText, DurationsPrintExactly) {
  Fault f;
  f.kind = FaultKind::kClockStep;
  f.at = Duration(1'000'000'001);
  f.target = "n";
  f.amount = -Duration(123'456);
  EXPECT_EQ(f.to_string(), "at 1.000000001s step clock of n by -0.000123456s");
}

constexpr const char* kNetwork =
    "network: request loss 0 ppm, reply loss 0 ppm, duplicates 0 ppm, delay spikes 0 ppm "
    "(up to 1.000s)\n";

TEST(PlanText, BadTextNamesTheLineAndWhatWasWrong) {
  const PlanParseError unknown = refused(std::string(kNetwork) + "at 1.000s explode dep\n");
  EXPECT_EQ(unknown.line, 2u);
  EXPECT_EQ(unknown.text, "at 1.000s explode dep");
  EXPECT_NE(unknown.what.find("not a fault line"), std::string::npos) << unknown.what;

  const PlanParseError duration =
      refused(std::string(kNetwork) + "# c\nat 1.000s pause client-1 for 2 seconds\n");
  EXPECT_EQ(duration.line, 3u);
  EXPECT_NE(duration.what.find("a duration like 0.250s"), std::string::npos) << duration.what;
  EXPECT_NE(duration.to_string().find("line 3: "), std::string::npos);

  const PlanParseError mode =
      refused(std::string(kNetwork) + "at 1.000s outage of dep (sulks) for 1.000s\n");
  EXPECT_NE(mode.what.find("'fails fast'"), std::string::npos) << mode.what;

  const PlanParseError network = refused("network: request loss lots\n");
  EXPECT_EQ(network.line, 1u);
  EXPECT_NE(network.what.find("network line"), std::string::npos) << network.what;

  EXPECT_NE(refused("").what.find("no network line"), std::string::npos);
  EXPECT_EQ(refused(std::string(kNetwork) + "at 1.000s pause c for 1.000s trailing\n").line, 2u);
  EXPECT_EQ(refused(std::string(kNetwork) + "at -1.000s pause c for 1.000s\n").line, 2u);
}

TEST(FaultKinds, NewKindsShrinkTowardsTamerFaults) {
  Fault outage;
  outage.kind = FaultKind::kOutage;
  outage.duration = 1s;
  outage.fail_fast = false;
  const auto o = shrink_candidates(outage);
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].duration, 500ms);
  EXPECT_TRUE(o[1].fail_fast);
  Fault slow;
  slow.kind = FaultKind::kSlowNode;
  slow.duration = 1ms;
  slow.amount = 100ms;
  const auto s = shrink_candidates(slow);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].amount, 50ms);
}

// A world with a client and a service, a fixed 1 ms link, and a plan applied.
struct Applied {
  World world{7};
  Network network{world};
  History history{world};
  Process& client = world.add_process("client");
  Process& dep = world.add_process("dep");
  explicit Applied(const std::string& faults) {
    LinkProfile link;
    link.latency_min = link.latency_max = 1ms;
    network.set_default(link);
    apply(world, network, history, parsed(std::string(kNetwork) + faults));
    world.start();
  }
  // Calls at `when` with a 100 ms deadline; the result and when it came.
  std::pair<Result<int>, SimTime> call_at(Duration when) {
    std::optional<std::pair<Result<int>, SimTime>> out;
    world.schedule(SimTime(when), client.id(), client.generation(), [this, &out] {
      client.spawn([](Applied& a, auto& result) -> Task<void> {
        auto op = [&a]() -> Result<int> {
          if (a.network.outage(a.dep.id())) return unavailable("503: in an outage");
          return 1;
        };
        Result<int> r = co_await call<int>(a.network, a.client, a.dep, 100ms, op);
        result.emplace(std::move(r), a.world.now());
      }(*this, out));
    });
    world.run_until(SimTime(when + 1s));
    return *out;
  }
};

TEST(FaultKinds, FailFastOutageAnswersAtOnceThenEnds) {
  Applied a("at 1.000s outage of dep (fails fast) for 1.000s\n");
  const auto [during, at] = a.call_at(1500ms);
  ASSERT_FALSE(during.ok());
  EXPECT_EQ(during.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(at, SimTime(1502ms));
  EXPECT_TRUE(a.call_at(2500ms).first.ok());
}

TEST(FaultKinds, HangingOutageTimesTheCallerOut) {
  Applied a("at 1.000s outage of dep (hangs) for 1.000s\n");
  const auto [during, at] = a.call_at(1500ms);
  ASSERT_FALSE(during.ok());
  EXPECT_EQ(during.error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_EQ(at, SimTime(1600ms));
  EXPECT_TRUE(a.call_at(2500ms).first.ok());
}

TEST(FaultKinds, SlowNodeAddsLatencyBothWaysForItsDuration) {
  Applied a("at 1.000s slow dep by 0.020s for 1.000s\n");
  EXPECT_EQ(a.call_at(500ms).second, SimTime(502ms));
  EXPECT_EQ(a.call_at(1500ms).second, SimTime(1542ms));
  EXPECT_EQ(a.call_at(2500ms).second, SimTime(2502ms));
}

TEST(FaultKinds, CheckTargetsNamesAnUnknownProcess) {
  World world(1);
  world.add_process("dep");
  const auto error =
      check_targets(world, parsed(std::string(kNetwork) + "at 1.000s pause ghost for 1.000s\n"));
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("'ghost'"), std::string::npos) << *error;
  Network network(world);
  History history(world);
  EXPECT_THROW(apply(world, network, history,
                     parsed(std::string(kNetwork) + "at 1.000s pause ghost for 1.000s\n")),
               UnknownTarget);
}

}  // namespace
}  // namespace faultline::sim
