// FaultPlan: the faults of one run, as a plain value.
//
// A plan is drawn from a seed (generate) or built by RapidCheck (tests/sim_generators.h), so a
// failing plan can be shrunk: remove faults, shorten them, quieten the network. It prints as
// readable text, one fault per line, and apply() turns it into world events.
//
// Vocabulary (turmoil's verbs):
//   pause     stop-the-world pause of a process for `duration` (GC, swap, a stopped VM)
//   crash     a process or store node dies; restarts after `duration`. For a store node,
//             `persist` says whether its data survives (Redis without AOF forgets every key)
//   step      the process's wall clock jumps by `amount` (either sign); its steady clock (what
//             patterns read) jumps only forward: a backward step leaves it alone
//   drift     the process's clock runs fast/slow by `drift_ppm` from then on
//   partition messages between `target` and `peer` are dropped for `duration`
//             (only target -> peer when `one_way`)
//   vanish    a client dies silently (power loss, or cut off for good) and restarts after
//             `duration`: its connections stay half-open until the servers' keepalive notices
//   disconnect the connections between client `target` and server `peer` drop (the server ends
//             their sessions; the client finds out at its next call)
// plus per-message network faults on every client<->server link (NetworkFaults).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/rng.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

enum class FaultKind {
  kPause,
  kCrash,
  kClockStep,
  kClockDrift,
  kPartition,
  kDisconnect,
  kSilentCrash
};

struct Fault {
  FaultKind kind = FaultKind::kPause;
  Duration at{};        // true time since the start of the run
  std::string target;   // process name
  Duration duration{};  // pause length, downtime (crash, vanish), partition length
  Duration amount{};    // clock step
  std::int32_t drift_ppm = 0;
  bool persist = true;   // crash: does durable state survive
  bool one_way = false;  // partition
  std::string peer;      // partition

  [[nodiscard]] std::string to_string() const;
  bool operator==(const Fault&) const = default;
};

struct NetworkFaults {
  std::uint32_t request_loss_ppm = 0;  // client -> server messages dropped
  std::uint32_t reply_loss_ppm = 0;    // server -> client messages dropped: the op happened
  std::uint32_t duplicate_ppm = 0;
  std::uint32_t spike_ppm = 0;  // messages delayed by up to spike_max on top of latency
  Duration spike_max = std::chrono::seconds(1);

  [[nodiscard]] std::string to_string() const;
  bool operator==(const NetworkFaults&) const = default;
};

struct FaultPlan {
  NetworkFaults network;
  std::vector<Fault> faults;

  [[nodiscard]] std::string to_string() const;
  bool operator==(const FaultPlan&) const = default;
};

// Which faults a scenario admits, and their ranges. Bounds every generated value.
struct FaultSpace {
  std::vector<std::string> clients;  // may pause, crash, skew
  std::vector<std::string> nodes;    // store nodes: may crash and restart, skew
  Duration horizon = std::chrono::seconds(10);  // faults start within [0, horizon)
  int max_faults = 6;
  bool pauses = true;
  Duration pause_max = std::chrono::seconds(2);
  bool client_crashes = false;
  bool node_crashes = true;
  bool node_crash_without_persistence = true;  // allowed at all
  bool node_crash_always_loses_data = false;   // when allowed: every time, not half the time
  Duration downtime_min = std::chrono::milliseconds(1);
  Duration downtime_max = std::chrono::seconds(2);
  bool clock_faults = true;
  bool client_clock_faults = true;  // false: only store nodes' clocks step and drift
  Duration step_max = std::chrono::milliseconds(200);
  bool forward_steps_only = false;
  std::int32_t drift_ppm_max = 2'000;
  bool partitions = true;
  Duration partition_max = std::chrono::seconds(2);
  bool disconnects = false;
  bool silent_client_crashes = false;  // clients vanish, leaving half-open connections
  NetworkFaults network_max{50'000, 50'000, 10'000, 10'000, std::chrono::seconds(1)};

  // A space with every kind of fault turned off (a quiet network too): scenarios about one
  // hazard start here and turn on only the faults that hazard needs.
  [[nodiscard]] static FaultSpace none() {
    FaultSpace space;
    space.pauses = false;
    space.client_crashes = false;
    space.node_crashes = false;
    space.clock_faults = false;
    space.partitions = false;
    space.disconnects = false;
    space.silent_client_crashes = false;
    space.network_max = NetworkFaults{0, 0, 0, 0, std::chrono::seconds(1)};
    return space;
  }
};

// Draws a plan from `rng` within `space`. Deterministic in the generator's state.
[[nodiscard]] FaultPlan generate_plan(Rng& rng, const FaultSpace& space);

// The link profile a client -> server (request) or server -> client (reply) link gets.
[[nodiscard]] LinkProfile request_link(const LinkProfile& base, const NetworkFaults& faults);
[[nodiscard]] LinkProfile reply_link(const LinkProfile& base, const NetworkFaults& faults);

// Schedules every fault of `plan` as world events, noting each in `history` when it happens.
// Targets that name no process are a programming error (asserted).
void apply(World& world, Network& network, History& history, const FaultPlan& plan);

}  // namespace faultline::sim
