#include "scenarios/resilience/dependency.h"

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

Dependency::Dependency(sim::Network& network, sim::Process& host)
    : network_(network), process_(host) {}

Task<Result<std::uint64_t>> Dependency::call(sim::Process& caller, Duration timeout,
                                             std::uint64_t request, bool bad) {
  const sim::ProcessId from = caller.id();
  co_return co_await sim::call<std::uint64_t>(
      network_, caller, process_, timeout, [this, from, request, bad]() -> Result<std::uint64_t> {
        const sim::SimTime now = process_.world().now();
        const bool down = network_.outage(process_.id()).has_value();
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

void add_outages(sim::FaultPlan& plan, const std::vector<Outage>& outages,
                 const std::string& service) {
  for (const Outage& o : outages) {
    sim::Fault f;
    f.kind = sim::FaultKind::kOutage;
    f.at = o.start.time_since_epoch();
    f.target = service;
    f.duration = o.end - o.start;
    plan.faults.push_back(std::move(f));
  }
}

void add_clock_faults(sim::FaultPlan& plan, const std::string& process, const ClockFaults& faults) {
  sim::Fault drift;
  drift.kind = sim::FaultKind::kClockDrift;
  drift.target = process;
  drift.drift_ppm = faults.drift_ppm;
  plan.faults.push_back(std::move(drift));
  for (const ClockFaults::Step& s : faults.steps) {
    sim::Fault step;
    step.kind = sim::FaultKind::kClockStep;
    step.at = s.at.time_since_epoch();
    step.target = process;
    step.amount = s.amount;
    plan.faults.push_back(std::move(step));
  }
}

void sort_by_time(sim::FaultPlan& plan) {
  std::stable_sort(plan.faults.begin(), plan.faults.end(),
                   [](const sim::Fault& a, const sim::Fault& b) { return a.at < b.at; });
}

std::vector<Outage> outage_windows(const sim::FaultPlan& plan, const std::string& service) {
  std::vector<Outage> windows;
  for (const sim::Fault& f : plan.faults) {
    if (f.kind != sim::FaultKind::kOutage || f.target != service) continue;
    windows.push_back(Outage{sim::SimTime(f.at), sim::SimTime(f.at + f.duration)});
  }
  std::sort(windows.begin(), windows.end(),
            [](const Outage& a, const Outage& b) { return a.start < b.start; });
  std::vector<Outage> merged;
  for (const Outage& o : windows) {
    if (!merged.empty() && o.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, o.end);
    } else {
      merged.push_back(o);
    }
  }
  return merged;
}

ClockFaults clock_faults_of(const sim::FaultPlan& plan, const std::string& process) {
  ClockFaults out;
  for (const sim::Fault& f : plan.faults) {
    if (f.target != process) continue;
    if (f.kind == sim::FaultKind::kClockDrift) out.drift_ppm = f.drift_ppm;
    if (f.kind == sim::FaultKind::kClockStep && f.amount > Duration::zero()) {
      out.steps.push_back(ClockFaults::Step{sim::SimTime(f.at), f.amount});
    }
  }
  return out;
}

sim::TopologyBuilder dependency_topology(std::uint64_t seed, Duration latency_max) {
  sim::LinkProfile link;
  link.latency_min = std::chrono::milliseconds(1);
  link.latency_max = latency_max;
  sim::TopologyBuilder spec(seed);
  spec.link(link).service("dep");
  return spec;
}

DependencyRun::DependencyRun(const sim::TopologyBuilder& spec)
    : topology(spec),
      world(topology.world()),
      network(topology.network()),
      history(world),
      dependency(network, topology.process("dep")) {}

void DependencyRun::apply(const sim::FaultPlan& plan) {
  sim::apply(topology.faults(), history, plan);
  dependency.set_outages(outage_windows(plan, dependency.process().name()));
  for (const sim::Fault& f : plan.faults) {
    if (f.kind != sim::FaultKind::kClockDrift && f.kind != sim::FaultKind::kClockStep) continue;
    const sim::Process* p = world.find_process(f.target);
    if (p != nullptr) clock_faults[p->id()] = clock_faults_of(plan, f.target);
  }
}

Duration DependencyRun::stepped(sim::ProcessId process, sim::SimTime from, sim::SimTime to) const {
  const auto it = clock_faults.find(process);
  return it == clock_faults.end() ? Duration::zero() : it->second.stepped(from, to);
}

void DependencyRun::violate(std::string kind, std::string message,
                            std::vector<std::size_t> witness) {
  if (violation) return;
  violation = Violation{.message = std::move(message),
                        .operation = -1,
                        .kind = std::move(kind),
                        .witness = std::move(witness)};
}

bool overlaps(const sim::Operation& op, sim::SimTime from, sim::SimTime to) {
  return op.invoked <= to && (op.status == sim::OpStatus::kPending || op.completed >= from);
}

std::vector<std::size_t> DependencyRun::operations_of(sim::ProcessId process, sim::SimTime from,
                                                      sim::SimTime to, std::size_t most) const {
  std::vector<std::size_t> ops;
  for (const sim::Operation& op : history.operations()) {
    if (ops.size() >= most) break;
    if (op.process == process && overlaps(op, from, to)) ops.push_back(op.id);
  }
  return ops;
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
  const std::vector<std::size_t> witness =
      violation ? violation->witness : std::vector<std::size_t>{};
  if (options.timeline) {
    out.timeline =
        sim::render_replay_timeline(history, witness, violation ? violation->kind : std::string());
  }
  if (options.html) {
    out.html = sim::render_timeline_html(
        history,
        fmt::format("{} seed {:#x}: {}", scenario, seed,
                    violation ? violation->message : std::string("invariant held")),
        witness);
  }
  return out;
}

}  // namespace faultline::scenarios
