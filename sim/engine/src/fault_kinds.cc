// Each fault kind, whole: its line, when a space admits it, how it is drawn, applied and
// shrunk. To add a kind: an enum value (fault_plan.h), and one entry in kKinds below.
#include "fault_kinds.h"

#include <array>
#include <cassert>

#include "faultline/random.h"

namespace faultline::sim::detail {
namespace {

using std::chrono::milliseconds;

const std::string& pick(Rng& rng, const std::vector<std::string>& names) {
  return names[uniform_below(rng, names.size())];
}

std::vector<std::string> everyone(const FaultSpace& space) {
  std::vector<std::string> all = space.clients;
  all.insert(all.end(), space.nodes.begin(), space.nodes.end());
  return all;
}

const std::vector<std::string>& clock_targets(const FaultSpace& space,
                                              std::vector<std::string>& all) {
  all = everyone(space);
  return space.client_clock_faults ? all : space.nodes;
}

Process& resolve(const Faults& faults, const std::string& name) {
  Process* p = faults.world().find_process(name);
  assert(p != nullptr && "fault plan names an unknown process");
  return *p;
}

// Halving what lasts (a duration of at least 2 ms): the shrink every timed kind shares.
std::vector<Fault> halve_duration(const Fault& f) {
  if (f.duration < milliseconds(2)) return {};
  Fault shorter = f;
  shorter.duration /= 2;
  return {shorter};
}

std::vector<Fault> nothing_to_shrink(const Fault&) { return {}; }

// Runs `begin` (a world event) at the fault's time.
template <class Begin>
void at(const Faults& faults, const Fault& fault, Begin begin) {
  faults.world().schedule(SimTime(fault.at), kWorldProcess, 0, std::move(begin));
}

// Runs `end` (a world event) `length` from now: what ends the fault `at` began.
template <class End>
void after(const Faults& faults, Duration length, End end) {
  faults.world().schedule_after(length, kWorldProcess, std::move(end));
}

// ---- pause --------------------------------------------------------------------------------

void draw_pause(Rng& rng, const FaultSpace& space, Fault& f) {
  f.target = pick(rng, space.clients);
  f.duration = uniform_duration(rng, Duration(milliseconds(1)), Duration(space.pause_max));
}

void apply_pause(const ApplyContext& c, const Fault& fault, std::string text) {
  Process& target = resolve(c.faults, fault.target);
  const Faults faults = c.faults;
  History& history = c.history;
  at(faults, fault, [faults, &history, &target, fault, text] {
    if (!target.up() || target.paused()) return;
    history.note(target.id(), text);
    faults.pause(target);
    // Resume only this pause: a crash and a later pause must not be ended by it.
    const std::uint64_t epoch = target.pause_epoch();
    after(faults, fault.duration, [faults, &history, &target, epoch] {
      if (!target.paused() || target.pause_epoch() != epoch) return;
      history.note(target.id(), "resumes after pause");
      faults.resume(target);
    });
  });
}

// ---- crash and vanish ---------------------------------------------------------------------

void draw_crash(Rng& rng, const FaultSpace& space, Fault& f) {
  const bool node = space.node_crashes && !space.nodes.empty() &&
                    (!space.client_crashes || space.clients.empty() || uniform_below(rng, 2) == 0);
  f.target = node ? pick(rng, space.nodes) : pick(rng, space.clients);
  f.duration = uniform_duration(rng, Duration(space.downtime_min), Duration(space.downtime_max));
  // Always the same draw, whatever the space says, so spaces differ only in outcome.
  const bool coin = uniform_below(rng, 2) == 0;
  f.persist = !(node && space.node_crash_without_persistence &&
                (space.node_crash_always_loses_data || coin));
}

void draw_vanish(Rng& rng, const FaultSpace& space, Fault& f) {
  f.target = pick(rng, space.clients);
  f.duration = uniform_duration(rng, Duration(space.downtime_min), Duration(space.downtime_max));
}

// A crash (loud or silent) and the restart after its downtime, unless it restarted already.
void apply_crash(const ApplyContext& c, const Fault& fault, std::string text) {
  Process& target = resolve(c.faults, fault.target);
  const Faults faults = c.faults;
  History& history = c.history;
  at(faults, fault, [faults, &history, &target, fault, text] {
    if (!target.up()) return;
    history.note(target.id(), text);
    if (fault.kind == FaultKind::kSilentCrash) {
      faults.silent_crash(target);
    } else {
      faults.crash(target, fault.persist);
    }
    const std::uint32_t generation = target.generation();
    after(faults, fault.duration, [faults, &history, &target, generation] {
      if (target.up() || target.generation() != generation) return;
      history.note(target.id(), "restarts");
      faults.restart(target);
    });
  });
}

// ---- clocks -------------------------------------------------------------------------------

void draw_step(Rng& rng, const FaultSpace& space, Fault& f) {
  std::vector<std::string> all;
  f.target = pick(rng, clock_targets(space, all));
  f.amount = uniform_duration(
      rng, space.forward_steps_only ? Duration::zero() : -Duration(space.step_max),
      Duration(space.step_max));
}

void draw_drift(Rng& rng, const FaultSpace& space, Fault& f) {
  std::vector<std::string> all;
  f.target = pick(rng, clock_targets(space, all));
  f.drift_ppm = static_cast<std::int32_t>(
      uniform_between(rng, -space.drift_ppm_max, space.drift_ppm_max));
}

bool clocks_admitted(const FaultSpace& space) {
  return space.clock_faults && !(space.client_clock_faults ? everyone(space) : space.nodes).empty();
}

void apply_step(const ApplyContext& c, const Fault& fault, std::string text) {
  Process& target = resolve(c.faults, fault.target);
  const Faults faults = c.faults;
  History& history = c.history;
  at(faults, fault, [faults, &history, &target, fault, text] {
    history.note(target.id(), text);
    faults.clock_step(target, fault.amount);
  });
}

void apply_drift(const ApplyContext& c, const Fault& fault, std::string text) {
  Process& target = resolve(c.faults, fault.target);
  const Faults faults = c.faults;
  History& history = c.history;
  at(faults, fault, [faults, &history, &target, fault, text] {
    history.note(target.id(), text);
    faults.clock_drift(target, fault.drift_ppm);
  });
}

// ---- links --------------------------------------------------------------------------------

bool links_admitted(bool on, const FaultSpace& space) {
  return on && !space.clients.empty() && !space.nodes.empty();
}

void draw_partition(Rng& rng, const FaultSpace& space, Fault& f) {
  f.target = pick(rng, space.clients);
  f.peer = pick(rng, space.nodes);
  f.one_way = uniform_below(rng, 2) == 0;
  f.duration = uniform_duration(rng, Duration(milliseconds(1)), Duration(space.partition_max));
}

void draw_disconnect(Rng& rng, const FaultSpace& space, Fault& f) {
  f.target = pick(rng, space.clients);
  f.peer = pick(rng, space.nodes);
}

void apply_partition(const ApplyContext& c, const Fault& fault, std::string text) {
  Process& target = resolve(c.faults, fault.target);
  Process& peer = resolve(c.faults, fault.peer);
  const Faults faults = c.faults;
  History& history = c.history;
  at(faults, fault, [faults, &history, &target, &peer, fault, text] {
    history.note(target.id(), text);
    faults.partition(target, peer, fault.one_way);
    after(faults, fault.duration, [faults, &history, &target, &peer, fault] {
      history.note(target.id(), "partition with " + peer.name() + " heals");
      faults.heal(target, peer, fault.one_way);
    });
  });
}

void apply_disconnect(const ApplyContext& c, const Fault& fault, std::string text) {
  Process& target = resolve(c.faults, fault.target);
  Process& peer = resolve(c.faults, fault.peer);
  const Faults faults = c.faults;
  History& history = c.history;
  at(faults, fault, [faults, &history, &target, &peer, text] {
    history.note(target.id(), text);
    faults.disconnect(target, peer);
  });
}

// ---- services -----------------------------------------------------------------------------

void draw_outage(Rng& rng, const FaultSpace& space, Fault& f) {
  f.target = pick(rng, space.services);
  f.duration = uniform_duration(rng, Duration(space.outage_min), Duration(space.outage_max));
  const bool coin = uniform_below(rng, 2) == 0;  // drawn whatever the space, as for crashes
  f.fail_fast = !(space.outage_timeouts && coin);
}

void apply_outage(const ApplyContext& c, const Fault& fault, std::string text) {
  Process& target = resolve(c.faults, fault.target);
  const Faults faults = c.faults;
  History& history = c.history;
  const auto mode = fault.fail_fast ? Network::OutageMode::kFailFast : Network::OutageMode::kTimeout;
  at(faults, fault, [faults, &history, &target, fault, text, mode] {
    history.note(target.id(), text);
    faults.outage(target, mode);
    after(faults, fault.duration, [faults, &history, &target, mode] {
      history.note(target.id(), "outage ends");
      faults.end_outage(target, mode);
    });
  });
}

// A shorter outage, then (what a hazard may not need) one that fails fast instead of hanging.
std::vector<Fault> shrink_outage(const Fault& f) {
  std::vector<Fault> out = halve_duration(f);
  if (!f.fail_fast) {
    Fault fast = f;
    fast.fail_fast = true;
    out.push_back(fast);
  }
  return out;
}

void draw_slow(Rng& rng, const FaultSpace& space, Fault& f) {
  f.target = pick(rng, space.nodes);
  f.amount = uniform_duration(rng, Duration(milliseconds(1)), Duration(space.slow_max));
  f.duration = uniform_duration(rng, Duration(milliseconds(1)), Duration(space.slow_for_max));
}

void apply_slow(const ApplyContext& c, const Fault& fault, std::string text) {
  Process& target = resolve(c.faults, fault.target);
  const Faults faults = c.faults;
  History& history = c.history;
  at(faults, fault, [faults, &history, &target, fault, text] {
    history.note(target.id(), text);
    faults.slow_node(target, fault.amount);
    after(faults, fault.duration, [faults, &history, &target, fault] {
      history.note(target.id(), "no longer slow");
      faults.end_slow_node(target, fault.amount);
    });
  });
}

std::vector<Fault> shrink_slow(const Fault& f) {
  std::vector<Fault> out = halve_duration(f);
  if (f.amount >= milliseconds(2)) {
    Fault less = f;
    less.amount /= 2;
    out.push_back(less);
  }
  return out;
}

// ---- the table ----------------------------------------------------------------------------

const std::array<FaultKindInfo, kFaultKinds> kKinds{{
    {FaultKind::kPause, "at {at} pause {target} for {duration}",
     [](const FaultSpace& s) { return s.pauses && !s.clients.empty(); }, draw_pause, apply_pause,
     halve_duration},
    {FaultKind::kCrash, "at {at} crash {target} ({persist}) restart after {duration}",
     [](const FaultSpace& s) {
       return (s.client_crashes && !s.clients.empty()) || (s.node_crashes && !s.nodes.empty());
     },
     draw_crash, apply_crash, halve_duration},
    {FaultKind::kClockStep, "at {at} step clock of {target} by {step}", clocks_admitted,
     draw_step, apply_step, nothing_to_shrink},
    {FaultKind::kClockDrift, "at {at} clock of {target} drifts {drift} ppm", clocks_admitted,
     draw_drift, apply_drift, nothing_to_shrink},
    {FaultKind::kPartition, "at {at} partition {target} {direction} {peer} for {duration}",
     [](const FaultSpace& s) { return links_admitted(s.partitions, s); }, draw_partition,
     apply_partition, halve_duration},
    {FaultKind::kDisconnect, "at {at} drop the connections of {target} to {peer}",
     [](const FaultSpace& s) { return links_admitted(s.disconnects, s); }, draw_disconnect,
     apply_disconnect, nothing_to_shrink},
    {FaultKind::kSilentCrash,
     "at {at} {target} vanishes, its connections left half-open; restart after {duration}",
     [](const FaultSpace& s) { return s.silent_client_crashes && !s.clients.empty(); },
     draw_vanish, apply_crash, halve_duration},
    {FaultKind::kOutage, "at {at} outage of {target} ({mode}) for {duration}",
     [](const FaultSpace& s) { return s.outages && !s.services.empty(); }, draw_outage,
     apply_outage, shrink_outage},
    {FaultKind::kSlowNode, "at {at} slow {target} by {latency} for {duration}",
     [](const FaultSpace& s) { return s.slow_nodes && !s.nodes.empty(); }, draw_slow, apply_slow,
     shrink_slow},
}};

}  // namespace

std::span<const FaultKindInfo> fault_kinds() {
  return kKinds;
}

const FaultKindInfo& kind_info(FaultKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  assert(i < kKinds.size() && kKinds[i].kind == kind && "fault kind table out of enum order");
  return kKinds[i];
}

}  // namespace faultline::sim::detail
