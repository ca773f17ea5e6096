// Fault plans: drawn from a seed, applied to a world, printed and shrunk.
//
// Coroutines here are free functions taking references to objects declared *before* the World
// (so they outlive every coroutine frame), and no non-trivially destructible temporary appears
// inside a co_await operand (g++ 12 destroys those twice).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/random.h"
#include "faultline/sim/fault_plan.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/pg_lock_session.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/rng.h"
#include "faultline/sim/rpc.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_steps.h"

namespace faultline::sim {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// ---- Fault plans ----------------------------------------------------------------------------

FaultSpace test_space() {
  FaultSpace space;
  space.clients = {"client-1", "client-2", "client-3"};
  space.nodes = {"redis"};
  space.horizon = seconds(6);
  space.max_faults = 6;
  space.client_crashes = true;
  return space;
}

TEST(FaultPlan, GenerateIsDeterministicForASeed) {
  const FaultSpace space = test_space();
  std::set<std::string> distinct;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Rng r1(seed);
    Rng r2(seed);
    const FaultPlan p1 = generate_plan(r1, space);
    const FaultPlan p2 = generate_plan(r2, space);
    ASSERT_EQ(p1, p2) << "seed " << seed;
    ASSERT_EQ(p1.to_string(), p2.to_string());
    distinct.insert(p1.to_string());
  }
  EXPECT_GT(distinct.size(), 40u) << "different seeds should mostly give different plans";
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void expect_within(const FaultPlan& plan, const FaultSpace& space, std::uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed) + "\n" + plan.to_string());
  const NetworkFaults& max = space.network_max;
  EXPECT_LE(plan.network.request_loss_ppm, max.request_loss_ppm);
  EXPECT_LE(plan.network.reply_loss_ppm, max.reply_loss_ppm);
  EXPECT_LE(plan.network.duplicate_ppm, max.duplicate_ppm);
  EXPECT_LE(plan.network.spike_ppm, max.spike_ppm);
  EXPECT_LE(plan.network.spike_max, max.spike_max);
  EXPECT_LE(plan.faults.size(), static_cast<std::size_t>(space.max_faults));
  std::vector<std::string> everyone = space.clients;
  everyone.insert(everyone.end(), space.nodes.begin(), space.nodes.end());
  for (std::size_t i = 0; i < plan.faults.size(); ++i) {
    const Fault& f = plan.faults[i];
    EXPECT_GE(f.at, Duration::zero());
    EXPECT_LT(f.at, space.horizon);
    if (i > 0) {
      EXPECT_LE(plan.faults[i - 1].at, f.at) << "faults are ordered by time";
    }
    switch (f.kind) {
      case FaultKind::kPause:
        EXPECT_TRUE(space.pauses);
        EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
        EXPECT_GT(f.duration, Duration::zero());
        EXPECT_LE(f.duration, space.pause_max);
        break;
      case FaultKind::kCrash:
        if (contains(space.nodes, f.target)) {
          EXPECT_TRUE(space.node_crashes);
          EXPECT_TRUE(f.persist || space.node_crash_without_persistence);
        } else {
          EXPECT_TRUE(space.client_crashes);
          EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
          EXPECT_TRUE(f.persist) << "only store nodes lose data";
        }
        EXPECT_GT(f.duration, Duration::zero());
        EXPECT_LE(f.duration, space.downtime_max);
        break;
      case FaultKind::kClockStep:
        EXPECT_TRUE(space.clock_faults);
        EXPECT_TRUE(contains(everyone, f.target)) << f.target;
        EXPECT_LE(f.amount, space.step_max);
        EXPECT_GE(f.amount, -space.step_max);
        break;
      case FaultKind::kClockDrift:
        EXPECT_TRUE(space.clock_faults);
        EXPECT_TRUE(contains(everyone, f.target)) << f.target;
        EXPECT_LE(f.drift_ppm, space.drift_ppm_max);
        EXPECT_GE(f.drift_ppm, -space.drift_ppm_max);
        break;
      case FaultKind::kPartition:
        EXPECT_TRUE(space.partitions);
        EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
        EXPECT_TRUE(contains(space.nodes, f.peer)) << f.peer;
        EXPECT_GT(f.duration, Duration::zero());
        EXPECT_LE(f.duration, space.partition_max);
        break;
      case FaultKind::kDisconnect:
        EXPECT_TRUE(space.disconnects);
        EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
        EXPECT_TRUE(contains(space.nodes, f.peer)) << f.peer;
        break;
      case FaultKind::kSilentCrash:
        EXPECT_TRUE(space.silent_client_crashes);
        EXPECT_TRUE(contains(space.clients, f.target)) << f.target;
        EXPECT_GE(f.duration, space.downtime_min);
        EXPECT_LE(f.duration, space.downtime_max);
        break;
      case FaultKind::kOutage:
        EXPECT_TRUE(space.outages);
        EXPECT_TRUE(contains(space.services, f.target)) << f.target;
        EXPECT_TRUE(f.fail_fast || space.outage_timeouts);
        EXPECT_GE(f.duration, space.outage_min);
        EXPECT_LE(f.duration, space.outage_max);
        break;
      case FaultKind::kSlowNode:
        EXPECT_TRUE(space.slow_nodes);
        EXPECT_TRUE(contains(space.nodes, f.target)) << f.target;
        EXPECT_GT(f.amount, Duration::zero());
        EXPECT_LE(f.amount, space.slow_max);
        EXPECT_LE(f.duration, space.slow_for_max);
        break;
    }
  }
}

TEST(FaultPlan, GeneratedPlansStayWithinTheSpace) {
  const FaultSpace space = test_space();
  std::set<FaultKind> kinds;
  std::size_t max_count = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng(seed);
    const FaultPlan plan = generate_plan(rng, space);
    expect_within(plan, space, seed);
    for (const Fault& f : plan.faults) kinds.insert(f.kind);
    max_count = std::max(max_count, plan.faults.size());
  }
  EXPECT_EQ(kinds.size(), 5u) << "every kind of fault should be drawn over 300 seeds";
  EXPECT_EQ(max_count, static_cast<std::size_t>(space.max_faults));
}

TEST(FaultPlan, RestrictedSpaceIsRespected) {
  FaultSpace space = test_space();
  space.pauses = false;
  space.clock_faults = false;
  space.client_crashes = false;
  space.node_crash_without_persistence = false;
  space.max_faults = 3;
  space.network_max = NetworkFaults{100, 0, 7, 0, milliseconds(300)};
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const FaultPlan plan = generate_plan(rng, space);
    expect_within(plan, space, seed);
    EXPECT_EQ(plan.network.reply_loss_ppm, 0u);
    for (const Fault& f : plan.faults) {
      EXPECT_TRUE(f.kind == FaultKind::kCrash || f.kind == FaultKind::kPartition);
      if (f.kind == FaultKind::kCrash) {
        EXPECT_EQ(f.target, "redis");
        EXPECT_TRUE(f.persist);
      }
    }
  }
  space.max_faults = 0;
  Rng rng(1);
  EXPECT_TRUE(generate_plan(rng, space).faults.empty());
}

// "faults start within [0, horizon)": with a horizon of 1ns the only legal start is 0.
TEST(FaultPlan, StartTimesExcludeTheHorizon) {
  FaultSpace space = test_space();
  space.horizon = nanoseconds(1);
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    Rng rng(seed);
    const FaultPlan plan = generate_plan(rng, space);
    for (const Fault& f : plan.faults) {
      ASSERT_EQ(f.at, Duration::zero()) << "seed " << seed << ": " << f.to_string();
    }
  }
}

TEST(FaultPlan, ToStringHasOneLinePerFault) {
  const FaultSpace space = test_space();
  bool saw_nonempty = false;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    Rng rng(seed);
    const FaultPlan plan = generate_plan(rng, space);
    std::vector<std::string> lines;
    std::istringstream in(plan.to_string());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0].rfind("network:", 0), 0u) << lines[0];
    if (plan.faults.empty()) {
      ASSERT_EQ(lines.size(), 2u);
      EXPECT_EQ(lines[1], "no scheduled faults");
      continue;
    }
    saw_nonempty = true;
    ASSERT_EQ(lines.size(), plan.faults.size() + 1);
    for (std::size_t i = 0; i < plan.faults.size(); ++i) {
      EXPECT_EQ(lines[i + 1], plan.faults[i].to_string());
      EXPECT_NE(lines[i + 1].find(plan.faults[i].target), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_nonempty);
}

Fault make_fault(FaultKind kind, Duration when, std::string target, Duration duration) {
  Fault f;
  f.kind = kind;
  f.at = when;
  f.target = std::move(target);
  f.duration = duration;
  return f;
}

TEST(FaultPlan, FaultToStringReadsLikeThePolicy) {
  const Fault pause =
      make_fault(FaultKind::kPause, milliseconds(950), "client-2", milliseconds(1200));
  EXPECT_EQ(pause.to_string(), "at 0.950s pause client-2 for 1.200s");
  Fault crash = make_fault(FaultKind::kCrash, seconds(1), "redis", milliseconds(500));
  crash.persist = false;
  EXPECT_EQ(crash.to_string(), "at 1.000s crash redis (loses data) restart after 0.500s");
  Fault step = make_fault(FaultKind::kClockStep, seconds(2), "client-1", Duration::zero());
  step.amount = -milliseconds(150);
  EXPECT_EQ(step.to_string(), "at 2.000s step clock of client-1 by -0.150s");
  Fault part = make_fault(FaultKind::kPartition, seconds(3), "client-1", seconds(1));
  part.peer = "redis";
  part.one_way = true;
  EXPECT_EQ(part.to_string(), "at 3.000s partition client-1 -/-> redis for 1.000s");
}

TEST(FaultPlan, ApplySchedulesPauseAndPartition) {
  Mark mark;
  Inbox inbox;
  World world(31);
  Network net(world);
  History history(world);
  Process& a = world.add_process("a");
  Process& b = world.add_process("b");
  FaultPlan plan;
  plan.faults.push_back(make_fault(FaultKind::kPause, milliseconds(50), "a", milliseconds(200)));
  Fault part = make_fault(FaultKind::kPartition, milliseconds(10), "b", milliseconds(100));
  part.peer = "a";
  part.one_way = true;  // b -/-> a
  plan.faults.push_back(part);
  apply(world, net, history, plan);
  world.start();
  spawn_now(world, a, sleep_then_mark(a, milliseconds(100), mark));
  // A message b -> a during the partition is lost; one after it heals arrives.
  world.schedule(at(milliseconds(20)), kWorldProcess, 0,
                 [&] { send_one(world, net, b, a, inbox); });
  world.schedule(at(milliseconds(400)), kWorldProcess, 0,
                 [&] { send_one(world, net, b, a, inbox); });
  drain(world);
  ASSERT_TRUE(mark.done);
  EXPECT_EQ(mark.true_at, at(milliseconds(250))) << "the pause at 50ms held the 100ms wake-up";
  EXPECT_EQ(inbox.delivered, 1);
  ASSERT_EQ(history.notes().size(), 4u);  // partition, pause, heal, resume
  EXPECT_EQ(history.notes()[0].at, at(milliseconds(10)));
  EXPECT_EQ(history.notes()[1].at, at(milliseconds(50)));
  EXPECT_EQ(history.notes()[1].text, plan.faults[0].to_string());
}

TEST(NetworkFaults, LinkProfilesTakeThePlansFaults) {
  const LinkProfile base;
  const NetworkFaults faults{1000, 2000, 300, 40, seconds(2)};
  const LinkProfile req = request_link(base, faults);
  const LinkProfile rep = reply_link(base, faults);
  EXPECT_EQ(req.loss_ppm, 1000u);
  EXPECT_EQ(rep.loss_ppm, 2000u);
  EXPECT_EQ(req.duplicate_ppm, 300u);
  EXPECT_EQ(rep.duplicate_ppm, 300u);
  EXPECT_EQ(req.spike_ppm, 40u);
  EXPECT_EQ(req.spike_max, seconds(2));
  EXPECT_EQ(req.latency_min, base.latency_min);
  EXPECT_EQ(req.latency_max, base.latency_max);
}

}  // namespace
}  // namespace faultline::sim
