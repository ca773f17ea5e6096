// FaultPlan: the faults of one run, as a plain value.
//
// A plan is drawn from a seed (generate_plan) or built by RapidCheck (tests/fault_plan_gen.h),
// so a failing plan can be shrunk: remove faults, shorten them, quieten the network. It prints
// as text, one fault per line, that parse_plan() reads back to an equal plan, and apply() turns
// it into world events. Everything one kind knows (its text, how it is drawn, applied and
// shrunk) sits in one descriptor in sim/src/fault_kinds.cc; adding a kind is an enum value
// here, its fields below if it needs new ones, and one descriptor there.
//
// Vocabulary (turmoil's verbs; faults.h has one verb of the same name per kind):
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
//   outage    the service `target` is down for `duration`: it answers every call at once with
//             an error (`fail_fast`) or never answers (callers time out); the process stays up
//   slow      every message to or from `target` takes `amount` longer for `duration`
// plus per-message network faults on every client<->server link (NetworkFaults).
//
// Times and durations print exactly (nanoseconds, as seconds with at least three decimals),
// so that the text form is the plan and not an approximation of it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "faultline/sim/faults.h"
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
  kSilentCrash,
  kOutage,
  kSlowNode,
};
inline constexpr int kFaultKinds = 9;

struct Fault {
  FaultKind kind = FaultKind::kPause;
  Duration at{};        // true time since the start of the run
  std::string target;   // process name
  Duration duration{};  // pause length, downtime (crash, vanish, outage), partition, slowness
  Duration amount{};    // clock step; a slow node's added latency
  std::int32_t drift_ppm = 0;
  bool persist = true;    // crash: does durable state survive
  bool one_way = false;   // partition
  bool fail_fast = true;  // outage: answers with an error (else never answers)
  std::string peer;       // partition, disconnect

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
  // Services (processes callers reach through call()) that may have outages, and how long.
  std::vector<std::string> services;
  bool outages = false;
  bool outage_timeouts = false;  // outages may hang (else they always fail fast)
  Duration outage_min = std::chrono::milliseconds(1);
  Duration outage_max = std::chrono::seconds(2);
  // Slow nodes: any of `nodes` gets up to slow_max added latency for up to slow_for_max.
  bool slow_nodes = false;
  Duration slow_max = std::chrono::milliseconds(200);
  Duration slow_for_max = std::chrono::seconds(2);
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
    space.outages = false;
    space.slow_nodes = false;
    space.network_max = NetworkFaults{0, 0, 0, 0, std::chrono::seconds(1)};
    return space;
  }
};

// Draws a plan from `rng` within `space`. Deterministic in the generator's state.
[[nodiscard]] FaultPlan generate_plan(Rng& rng, const FaultSpace& space);

// One fault of `kind`, drawn within `space` (starting in [0, horizon)). The kind must be one
// the space admits (admitted_kinds). The property-test generator builds plans from this too.
[[nodiscard]] Fault draw_fault(Rng& rng, FaultKind kind, const FaultSpace& space);
// The kinds `space` admits, in enum order.
[[nodiscard]] std::vector<FaultKind> admitted_kinds(const FaultSpace& space);

// Simpler variants of `fault`, simplest first, for the shrinker (shorter, smaller, tamer); each
// still a fault the same space admits. Empty when there is nothing left to simplify.
[[nodiscard]] std::vector<Fault> shrink_candidates(const Fault& fault);

// What was wrong with a plan's text: the 1-based line, that line, and why.
struct PlanParseError {
  std::size_t line = 0;
  std::string text;
  std::string what;
  [[nodiscard]] std::string to_string() const;  // "line 3: <what>: '<text>'"
};

// Reads what FaultPlan::to_string() writes: the network line, then one fault per line (or "no
// scheduled faults"). Blank lines and lines starting with '#' are skipped, so an edited plan may
// carry comments. Faults need not be sorted. Returns the plan, or the first error.
[[nodiscard]] std::variant<FaultPlan, PlanParseError> parse_plan(std::string_view text);

// The link profile a client -> server (request) or server -> client (reply) link gets.
[[nodiscard]] LinkProfile request_link(const LinkProfile& base, const NetworkFaults& faults);
[[nodiscard]] LinkProfile reply_link(const LinkProfile& base, const NetworkFaults& faults);

// A plan names a process the world does not have (an edited plan file, say).
class UnknownTarget : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Schedules every fault of `plan` as world events, noting each in `history` when it happens;
// each does its work through the verb of the same name on `faults` (faults.h). Throws
// UnknownTarget, before scheduling anything, when a fault names no process of the world.
void apply(const Faults& faults, History& history, const FaultPlan& plan);
// The same over `world` and `network`.
void apply(World& world, Network& network, History& history, const FaultPlan& plan);

// The first fault naming a process `world` lacks, as an error message; nothing when all exist.
[[nodiscard]] std::optional<std::string> check_targets(World& world, const FaultPlan& plan);

}  // namespace faultline::sim
