#include "faultline/sim/fault_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

namespace faultline::sim {
namespace {

std::string ms(Duration d) {
  return fmt::format("{:.3f}s", static_cast<double>(d.count()) / 1e9);
}

Process& resolve(World& world, const std::string& name) {
  Process* p = world.find_process(name);
  assert(p != nullptr && "fault plan names an unknown process");
  return *p;
}

}  // namespace

std::string Fault::to_string() const {
  switch (kind) {
    case FaultKind::kPause:
      return fmt::format("at {} pause {} for {}", ms(at), target, ms(duration));
    case FaultKind::kCrash:
      return fmt::format("at {} crash {} ({}) restart after {}", ms(at), target,
                         persist ? "keeps data" : "loses data", ms(duration));
    case FaultKind::kClockStep:
      return fmt::format("at {} step clock of {} by {}{}", ms(at), target,
                         amount.count() >= 0 ? "+" : "", ms(amount));
    case FaultKind::kClockDrift:
      return fmt::format("at {} clock of {} drifts {:+} ppm", ms(at), target, drift_ppm);
    case FaultKind::kPartition:
      return fmt::format("at {} partition {} {} {} for {}", ms(at), target,
                         one_way ? "-/->" : "<-/->", peer, ms(duration));
    case FaultKind::kDisconnect:
      return fmt::format("at {} drop the connections of {} to {}", ms(at), target, peer);
    case FaultKind::kSilentCrash:
      return fmt::format("at {} {} vanishes, its connections left half-open; restart after {}",
                         ms(at), target, ms(duration));
  }
  return "?";
}

std::string NetworkFaults::to_string() const {
  return fmt::format(
      "network: request loss {} ppm, reply loss {} ppm, duplicates {} ppm, delay spikes {} ppm "
      "(up to {})",
      request_loss_ppm, reply_loss_ppm, duplicate_ppm, spike_ppm, ms(spike_max));
}

std::string FaultPlan::to_string() const {
  std::string text = network.to_string() + "\n";
  if (faults.empty()) text += "no scheduled faults\n";
  for (const Fault& f : faults) text += f.to_string() + "\n";
  return text;
}

FaultPlan generate_plan(Rng& rng, const FaultSpace& space) {
  FaultPlan plan;
  const NetworkFaults& max = space.network_max;
  auto upto = [&rng](std::uint32_t bound) {
    return bound == 0 ? 0u : static_cast<std::uint32_t>(uniform_below(rng, bound + 1));
  };
  plan.network.request_loss_ppm = upto(max.request_loss_ppm);
  plan.network.reply_loss_ppm = upto(max.reply_loss_ppm);
  plan.network.duplicate_ppm = upto(max.duplicate_ppm);
  plan.network.spike_ppm = upto(max.spike_ppm);
  plan.network.spike_max = max.spike_max;

  std::vector<std::string> everyone = space.clients;
  everyone.insert(everyone.end(), space.nodes.begin(), space.nodes.end());
  std::vector<FaultKind> kinds;
  if (space.pauses && !space.clients.empty()) kinds.push_back(FaultKind::kPause);
  if ((space.client_crashes && !space.clients.empty()) ||
      (space.node_crashes && !space.nodes.empty())) {
    kinds.push_back(FaultKind::kCrash);
  }
  const std::vector<std::string>& clock_targets =
      space.client_clock_faults ? everyone : space.nodes;
  if (space.clock_faults && !clock_targets.empty()) {
    kinds.push_back(FaultKind::kClockStep);
    kinds.push_back(FaultKind::kClockDrift);
  }
  if (space.partitions && !space.clients.empty() && !space.nodes.empty()) {
    kinds.push_back(FaultKind::kPartition);
  }
  if (space.disconnects && !space.clients.empty() && !space.nodes.empty()) {
    kinds.push_back(FaultKind::kDisconnect);
  }
  if (space.silent_client_crashes && !space.clients.empty()) {
    kinds.push_back(FaultKind::kSilentCrash);
  }
  if (kinds.empty() || space.max_faults <= 0) return plan;
  auto pick = [&rng](const std::vector<std::string>& names) -> const std::string& {
    return names[uniform_below(rng, names.size())];
  };

  const auto count = uniform_below(rng, static_cast<std::uint64_t>(space.max_faults) + 1);
  for (std::uint64_t i = 0; i < count; ++i) {
    Fault f;
    f.kind = kinds[uniform_below(rng, kinds.size())];
    // [0, horizon): a fault at the horizon itself would fall outside the space.
    f.at = uniform_duration(rng, Duration::zero(),
                            std::max(Duration::zero(), space.horizon - Duration(1)));
    switch (f.kind) {
      case FaultKind::kPause:
        f.target = pick(space.clients);
        f.duration = uniform_duration(rng, Duration(std::chrono::milliseconds(1)),
                                      Duration(space.pause_max));
        break;
      case FaultKind::kCrash: {
        const bool node = space.node_crashes && !space.nodes.empty() &&
                          (!space.client_crashes || space.clients.empty() ||
                           uniform_below(rng, 2) == 0);
        f.target = node ? pick(space.nodes) : pick(space.clients);
        f.duration = uniform_duration(rng, Duration(space.downtime_min),
                                      Duration(space.downtime_max));
        // Always the same draw, whatever the space says, so spaces differ only in outcome.
        const bool coin = uniform_below(rng, 2) == 0;
        f.persist = !(node && space.node_crash_without_persistence &&
                      (space.node_crash_always_loses_data || coin));
        break;
      }
      case FaultKind::kClockStep:
        f.target = pick(clock_targets);
        f.amount = uniform_duration(
            rng, space.forward_steps_only ? Duration::zero() : -Duration(space.step_max),
            Duration(space.step_max));
        break;
      case FaultKind::kClockDrift:
        f.target = pick(clock_targets);
        f.drift_ppm = static_cast<std::int32_t>(
            uniform_between(rng, -space.drift_ppm_max, space.drift_ppm_max));
        break;
      case FaultKind::kPartition:
        f.target = pick(space.clients);
        f.peer = pick(space.nodes);
        f.one_way = uniform_below(rng, 2) == 0;
        f.duration = uniform_duration(rng, Duration(std::chrono::milliseconds(1)),
                                      Duration(space.partition_max));
        break;
      case FaultKind::kDisconnect:
        f.target = pick(space.clients);
        f.peer = pick(space.nodes);
        break;
      case FaultKind::kSilentCrash:
        f.target = pick(space.clients);
        f.duration = uniform_duration(rng, Duration(space.downtime_min),
                                      Duration(space.downtime_max));
        break;
    }
    plan.faults.push_back(std::move(f));
  }
  std::stable_sort(plan.faults.begin(), plan.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  return plan;
}

LinkProfile request_link(const LinkProfile& base, const NetworkFaults& faults) {
  LinkProfile link = base;
  link.loss_ppm = faults.request_loss_ppm;
  link.duplicate_ppm = faults.duplicate_ppm;
  link.spike_ppm = faults.spike_ppm;
  link.spike_max = std::max(faults.spike_max, link.spike_min);
  return link;
}

LinkProfile reply_link(const LinkProfile& base, const NetworkFaults& faults) {
  LinkProfile link = request_link(base, faults);
  link.loss_ppm = faults.reply_loss_ppm;
  return link;
}

void apply(World& world, Network& network, History& history, const FaultPlan& plan) {
  for (const Fault& fault : plan.faults) {
    Process& target = resolve(world, fault.target);
    const SimTime at = SimTime(fault.at);
    std::string text = fault.to_string();
    switch (fault.kind) {
      case FaultKind::kPause:
        world.schedule(at, kWorldProcess, 0, [&world, &history, &target, fault, text] {
          if (!target.up() || target.paused()) return;
          history.note(target.id(), text);
          world.pause(target);
          // Resume only this pause: a crash and a later pause must not be ended by it.
          const std::uint64_t epoch = target.pause_epoch();
          world.schedule_after(fault.duration, kWorldProcess, [&world, &history, &target, epoch] {
            if (!target.paused() || target.pause_epoch() != epoch) return;
            history.note(target.id(), "resumes after pause");
            world.resume(target);
          });
        });
        break;
      case FaultKind::kCrash:
      case FaultKind::kSilentCrash:
        world.schedule(at, kWorldProcess, 0, [&world, &history, &target, fault, text] {
          if (!target.up()) return;
          history.note(target.id(), text);
          if (fault.kind == FaultKind::kSilentCrash) {
            world.crash_silently(target);
          } else {
            world.crash(target, fault.persist);
          }
          const std::uint32_t generation = target.generation();
          world.schedule_after(fault.duration, kWorldProcess,
                               [&world, &history, &target, generation] {
            if (target.up() || target.generation() != generation) return;
            history.note(target.id(), "restarts");
            world.restart(target);
          });
        });
        break;
      case FaultKind::kClockStep:
        world.schedule(at, kWorldProcess, 0, [&history, &target, fault, text] {
          history.note(target.id(), text);
          target.clock().step(fault.amount);
        });
        break;
      case FaultKind::kClockDrift:
        world.schedule(at, kWorldProcess, 0, [&history, &target, fault, text] {
          history.note(target.id(), text);
          target.clock().set_drift_ppm(fault.drift_ppm);
        });
        break;
      case FaultKind::kDisconnect: {
        Process& peer = resolve(world, fault.peer);
        world.schedule(at, kWorldProcess, 0, [&world, &history, &target, &peer, text] {
          history.note(target.id(), text);
          world.disconnect(target, peer);
        });
        break;
      }
      case FaultKind::kPartition: {
        Process& peer = resolve(world, fault.peer);
        world.schedule(at, kWorldProcess, 0, [&world, &network, &history, &target, &peer, fault,
                                              text] {
          history.note(target.id(), text);
          network.partition(target.id(), peer.id(), fault.one_way);
          world.schedule_after(fault.duration, kWorldProcess,
                               [&network, &history, &target, &peer, fault] {
                                 history.note(target.id(), "partition with " + peer.name() +
                                                               " heals");
                                 network.heal(target.id(), peer.id(), fault.one_way);
                               });
        });
        break;
      }
    }
  }
}

}  // namespace faultline::sim
