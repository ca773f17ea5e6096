// The plan as a whole: drawing, printing, parsing, applying and shrinking go through the
// kinds' descriptors (fault_kinds.cc); nothing here knows one kind from another.
#include "faultline/sim/fault_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

#include "fault_kinds.h"
#include "fault_text.h"

namespace faultline::sim {

using detail::exact_seconds;
using detail::kind_info;

std::string Fault::to_string() const {
  return detail::print_pattern(kind_info(kind).pattern, *this);
}

std::string NetworkFaults::to_string() const {
  return fmt::format(
      "network: request loss {} ppm, reply loss {} ppm, duplicates {} ppm, delay spikes {} ppm "
      "(up to {})",
      request_loss_ppm, reply_loss_ppm, duplicate_ppm, spike_ppm, exact_seconds(spike_max));
}

std::string FaultPlan::to_string() const {
  std::string text = network.to_string() + "\n";
  if (faults.empty()) text += "no scheduled faults\n";
  for (const Fault& f : faults) text += f.to_string() + "\n";
  return text;
}

std::vector<FaultKind> admitted_kinds(const FaultSpace& space) {
  std::vector<FaultKind> kinds;
  for (const detail::FaultKindInfo& info : detail::fault_kinds()) {
    if (info.admitted(space)) kinds.push_back(info.kind);
  }
  return kinds;
}

Fault draw_fault(Rng& rng, FaultKind kind, const FaultSpace& space) {
  Fault f;
  f.kind = kind;
  // [0, horizon): a fault at the horizon itself would fall outside the space.
  f.at = uniform_duration(rng, Duration::zero(),
                          std::max(Duration::zero(), space.horizon - Duration(1)));
  kind_info(kind).draw(rng, space, f);
  return f;
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

  const std::vector<FaultKind> kinds = admitted_kinds(space);
  if (kinds.empty() || space.max_faults <= 0) return plan;
  const auto count = uniform_below(rng, static_cast<std::uint64_t>(space.max_faults) + 1);
  for (std::uint64_t i = 0; i < count; ++i) {
    const FaultKind kind = kinds[uniform_below(rng, kinds.size())];
    plan.faults.push_back(draw_fault(rng, kind, space));
  }
  std::stable_sort(plan.faults.begin(), plan.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  return plan;
}

std::vector<Fault> shrink_candidates(const Fault& fault) {
  return kind_info(fault.kind).shrink(fault);
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

void apply(const Faults& faults, History& history, const FaultPlan& plan) {
  if (auto unknown = check_targets(faults.world(), plan)) throw UnknownTarget(*unknown);
  const detail::ApplyContext context{faults, history};
  for (const Fault& fault : plan.faults) {
    kind_info(fault.kind).apply(context, fault, fault.to_string());
  }
}

void apply(World& world, Network& network, History& history, const FaultPlan& plan) {
  apply(Faults(world, network), history, plan);
}

std::optional<std::string> check_targets(World& world, const FaultPlan& plan) {
  for (const Fault& f : plan.faults) {
    for (const std::string* name : {&f.target, &f.peer}) {
      if (name->empty() && name == &f.peer) continue;
      if (world.find_process(*name) == nullptr) {
        return fmt::format("'{}' names no process of this scenario: {}", *name, f.to_string());
      }
    }
  }
  return std::nullopt;
}

}  // namespace faultline::sim
