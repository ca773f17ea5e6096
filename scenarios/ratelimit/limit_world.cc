#include "scenarios/ratelimit/limit_world.h"

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <utility>

#include "faultline/duration_text.h"
#include "faultline/random.h"

namespace faultline::scenarios::ratelimit {

constexpr std::uint64_t kClockStream = 0x636C6F636B73ULL;  // "clocks": the setup's own draws

void skew_clocks(sim::Topology& topology, sim::History& history, std::uint64_t seed,
                 const InstanceClocks& clocks) {
  sim::Rng rng(seed ^ kClockStream);
  sim::Faults faults = topology.faults();
  for (int i = 1; i <= clocks.instances; ++i) {
    sim::Process& p = topology.process(fmt::format("client-{}", i));
    const Duration skew = uniform_duration(rng, -clocks.skew_max, clocks.skew_max);
    const auto ppm = static_cast<std::int32_t>(
        uniform_between(rng, -clocks.drift_ppm_max, clocks.drift_ppm_max));
    history.note(p.id(), fmt::format("clock skew {}, drift {} ppm", duration_text(skew), ppm));
    faults.clock_step(p, skew);
    faults.clock_drift(p, ppm);
    if (clocks.step_max <= Duration::zero()) continue;
    const Duration when =
        uniform_duration(rng, Duration(std::chrono::milliseconds(1)), clocks.step_within);
    const Duration step = uniform_duration(rng, -clocks.step_max, clocks.step_max);
    sim::History* h = &history;
    topology.world().schedule_after(when, sim::kWorldProcess, [faults, h, &p, step] {
      h->note(p.id(), fmt::format("clock step {}", duration_text(step)));
      faults.clock_step(p, step);
    });
  }
}

faultline::ratelimit::Micros true_ms(sim::SimTime now) {
  return std::chrono::duration_cast<faultline::ratelimit::Micros>(
      std::chrono::floor<std::chrono::milliseconds>(now.time_since_epoch()));
}

sim::FaultSpace usual_faults() {
  using namespace std::chrono_literals;
  sim::FaultSpace f = sim::FaultSpace::none();
  f.horizon = 800ms;
  f.max_faults = 4;
  f.nodes = {"redis"};
  f.pauses = true;
  f.pause_max = 300ms;
  f.partitions = true;
  f.partition_max = 300ms;
  f.network_max = sim::NetworkFaults{100'000, 100'000, 20'000, 50'000, 200ms};
  return f;
}

harness::Violation over_admitted(LimitViolation over, const std::vector<Admission>& admitted) {
  std::vector<std::size_t> witness;
  for (std::size_t i : over.window.members) {
    const std::ptrdiff_t op = admitted[i].operation;
    if (op >= 0) witness.push_back(static_cast<std::size_t>(op));
  }
  const std::ptrdiff_t blamed = witness.empty() ? -1 : static_cast<std::ptrdiff_t>(witness.back());
  return harness::Violation{std::move(over.message), blamed, "over-admitted", std::move(witness)};
}

}  // namespace faultline::scenarios::ratelimit
