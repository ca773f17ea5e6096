#include "scenarios/dependency.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "faultline/random.h"
#include "faultline/sim/rpc.h"
#include "faultline/sim/timeline.h"

namespace faultline::scenarios {

std::vector<Outage> draw_outages(sim::Rng& rng, int max_outages, Duration from, Duration until,
                                 Duration min_length, Duration max_length) {
  const auto count = static_cast<int>(1 + uniform_below(rng, static_cast<std::uint64_t>(max_outages)));
  std::vector<Outage> outages;
  for (int i = 0; i < count; ++i) {
    const Duration start = uniform_duration(rng, from, until);
    const Duration length = uniform_duration(rng, min_length, max_length);
    outages.push_back(Outage{sim::SimTime(start), sim::SimTime(start + length)});
  }
  std::sort(outages.begin(), outages.end(),
            [](const Outage& a, const Outage& b) { return a.start < b.start; });
  std::vector<Outage> merged;
  for (const Outage& o : outages) {
    if (!merged.empty() && o.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, o.end);
    } else {
      merged.push_back(o);
    }
  }
  return merged;
}

Dependency::Dependency(sim::World& world, sim::Network& network, sim::History& history,
                       std::vector<Outage> outages, std::string name)
    : world_(world), network_(network), process_(world.add_process(std::move(name))),
      outages_(std::move(outages)) {
  for (const Outage& o : outages_) {
    const sim::ProcessId id = process_.id();
    const double length = std::chrono::duration<double>(o.end - o.start).count();
    world_.schedule(o.start, sim::kWorldProcess, 0, [&history, id, length] {
      history.note(id, fmt::format("outage begins ({:.3f}s)", length));
    });
    world_.schedule(o.end, sim::kWorldProcess, 0,
                    [&history, id] { history.note(id, "outage ends"); });
  }
}

bool Dependency::in_outage(sim::SimTime at) const noexcept {
  return std::any_of(outages_.begin(), outages_.end(),
                     [at](const Outage& o) { return at >= o.start && at < o.end; });
}

Task<Result<std::uint64_t>> Dependency::call(sim::Process& caller, Duration timeout,
                                             std::uint64_t request, bool bad) {
  const sim::ProcessId from = caller.id();
  co_return co_await sim::call<std::uint64_t>(
      network_, caller, process_, timeout, [this, from, request, bad]() -> Result<std::uint64_t> {
        const sim::SimTime now = world_.now();
        const bool down = in_outage(now);
        arrivals_.push_back(Arrival{now, from, request, down, bad && !down});
        if (down) return unavailable("503: in an outage");
        if (bad) return invalid_argument(fmt::format("400: request {} is malformed", request));
        return request;
      });
}

ClockFaults ClockFaults::draw(sim::Rng& rng, int max_steps, Duration max_step, Duration from,
                              Duration until) {
  ClockFaults out;
  out.drift_ppm = static_cast<std::int32_t>(uniform_between(rng, -kMaxDriftPpm, kMaxDriftPpm));
  const auto count = static_cast<int>(uniform_below(rng, static_cast<std::uint64_t>(max_steps) + 1));
  for (int i = 0; i < count; ++i) {
    const Duration at = uniform_duration(rng, from, until);
    const Duration amount = uniform_duration(rng, Duration(std::chrono::milliseconds(1)), max_step);
    out.steps.push_back(Step{sim::SimTime(at), amount});
  }
  std::sort(out.steps.begin(), out.steps.end(),
            [](const Step& a, const Step& b) { return a.at < b.at; });
  return out;
}

Duration ClockFaults::stepped(sim::SimTime from, sim::SimTime to) const {
  Duration total = Duration::zero();
  for (const Step& s : steps) {
    if (s.at >= from && s.at <= to) total += s.amount;
  }
  return total;
}

DependencyRun::DependencyRun(std::uint64_t seed, std::vector<Outage> outages, Duration latency_max)
    : world(seed), network(world), history(world),
      dependency(world, network, history, std::move(outages)) {
  sim::LinkProfile link;
  link.latency_min = std::chrono::milliseconds(1);
  link.latency_max = latency_max;
  network.set_default(link);
}

void DependencyRun::add_clock_faults(sim::Process& process, sim::Rng& rng, int max_steps,
                                     Duration max_step, Duration from, Duration until) {
  const ClockFaults& faults = clock_faults[process.id()] =
      ClockFaults::draw(rng, max_steps, max_step, from, until);
  process.clock().set_drift_ppm(faults.drift_ppm);
  sim::ProcessClock* clock = &process.clock();
  const sim::ProcessId id = process.id();
  for (const ClockFaults::Step& s : faults.steps) {
    const Duration amount = s.amount;
    world.schedule(s.at, sim::kWorldProcess, 0, [this, clock, id, amount] {
      clock->step(amount);
      history.note(id, fmt::format("clock steps forward {:.3f}s",
                                   std::chrono::duration<double>(amount).count()));
    });
  }
}

Duration DependencyRun::stepped(sim::ProcessId process, sim::SimTime from, sim::SimTime to) const {
  const auto it = clock_faults.find(process);
  return it == clock_faults.end() ? Duration::zero() : it->second.stepped(from, to);
}

void DependencyRun::violate(std::string message) {
  if (!violation) violation = Violation{std::move(message)};
}

RunResult DependencyRun::result(std::uint64_t seed, const std::string& scenario,
                                std::string summary, const RunOptions& options) {
  RunResult out;
  out.seed = seed;
  out.violation = violation;
  out.trace_hash = world.trace().hash();
  out.events = world.events_run();
  out.finished_at = world.now();
  out.summary = std::move(summary);
  if (options.timeline) out.timeline = sim::render_timeline(history);
  if (options.html) {
    out.html = sim::render_timeline_html(
        history,
        fmt::format("{} seed {:#x}: {}", scenario, seed,
                    violation ? violation->message : std::string("invariant held")),
        -1);
  }
  return out;
}

}  // namespace faultline::scenarios
