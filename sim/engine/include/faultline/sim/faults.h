// Faults: the simulator's fault verbs in one place, named after the fault plan's kinds.
//
// Each verb does now what the FaultKind of the same name (fault_plan.h) does when its time
// comes; sim::apply schedules a plan's faults through these verbs, so a test that injects a
// fault by hand and a plan that draws one speak the same vocabulary:
//
//   kind          verb                          undone by
//   pause         pause(p)                      resume(p)
//   crash         crash(p, persist)             restart(p)
//   clock-step    clock_step(p, amount)         -
//   clock-drift   clock_drift(p, ppm)           clock_drift(p, 0)
//   partition     partition(a, b, one_way)      heal(a, b, one_way)
//   disconnect    disconnect(client, server)    -
//   silent-crash  silent_crash(p)               restart(p)
//   outage        outage(service, mode)         end_outage(service, mode)
//   slow-node     slow_node(node, extra)        end_slow_node(node, extra)
//
// The verbs are World's (pause, crash, disconnect, restart), Network's (partition, outage,
// slowness) and ProcessClock's (step, drift), unchanged: a verb adds no check, draws nothing
// and records in the trace exactly what the underlying call records. What a plan adds on top
// (skipping a pause of a process that is down, ending only the pause it began) stays in
// sim::apply.
//
// Ownership: a handle of two pointers; copy it freely. The World and Network must outlive it.
// Thread-safety: none (belongs to its World's thread).
#pragma once

#include <cstdint>

#include "faultline/clock.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

class Faults {
 public:
  Faults(World& world, Network& network) : world_(&world), network_(&network) {}

  [[nodiscard]] World& world() const noexcept { return *world_; }
  [[nodiscard]] Network& network() const noexcept { return *network_; }

  // pause: `p`'s events are held, not run, until resume(p) (a GC pause, a stopped VM).
  void pause(Process& p) const { world_->pause(p); }
  void resume(Process& p) const { world_->resume(p); }

  // crash: `p` dies (its events are discarded, its connections reset) until restart(p).
  // `persist` says whether a store node's durable state survives.
  void crash(Process& p, bool persist) const { world_->crash(p, persist); }
  // silent-crash: `p` dies without closing its connections (they stay half-open on the servers
  // until their keepalive notices).
  void silent_crash(Process& p) const { world_->crash_silently(p); }
  // Boots a crashed `p` again: its on_start hooks run, as at start.
  void restart(Process& p) const { world_->restart(p); }

  // clock-step: `p`'s wall clock jumps by `amount` (either sign); its steady clock only forward.
  void clock_step(Process& p, Duration amount) const { p.clock().step(amount); }
  // clock-drift: `p`'s clocks run fast (ppm > 0) or slow from now on; 0 runs them true again.
  void clock_drift(Process& p, std::int32_t ppm) const { p.clock().set_drift_ppm(ppm); }

  // partition: messages a -> b (and b -> a unless `one_way`) are dropped until the same
  // partition heals. Partitions nest.
  void partition(const Process& a, const Process& b, bool one_way = false) const {
    network_->partition(a.id(), b.id(), one_way);
  }
  void heal(const Process& a, const Process& b, bool one_way = false) const {
    network_->heal(a.id(), b.id(), one_way);
  }

  // disconnect: the connections between `client` and `server` drop (either order); servers
  // end what lived on them (sessions and their locks).
  void disconnect(Process& client, Process& server) const { world_->disconnect(client, server); }

  // outage: the service on `service` fails fast or hangs while any outage covers it; the
  // process stays up. Outages nest.
  void outage(const Process& service, Network::OutageMode mode) const {
    network_->begin_outage(service.id(), mode);
  }
  void end_outage(const Process& service, Network::OutageMode mode) const {
    network_->end_outage(service.id(), mode);
  }

  // slow-node: every message to or from `node` takes `extra` longer; slowdowns add up.
  void slow_node(const Process& node, Duration extra) const { network_->slow(node.id(), extra); }
  void end_slow_node(const Process& node, Duration extra) const {
    network_->unslow(node.id(), extra);
  }

 private:
  World* world_;
  Network* network_;
};

}  // namespace faultline::sim
