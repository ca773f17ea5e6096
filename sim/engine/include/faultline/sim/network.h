// Network: messages between simulated processes, with per-link latency, loss, duplication,
// delay spikes and partitions.
//
// A message is a callable run on the destination process when it arrives. Arrival is an event
// owned by the destination: it waits while the destination is paused and is discarded if the
// destination crashes before it arrives (the connection died with it). Random latency reorders
// messages; a duplicated message runs twice. Every decision is drawn from the World's Rng.
//
// Thread-safety: none (belongs to its World).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/random.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

struct LinkProfile {
  // Latency is uniform in [latency_min, latency_max], unless latency_stddev is positive: then it
  // is |Normal(latency_mean, latency_stddev)| (the model of the AWS backoff study), drawn as
  // Irwin-Hall (the sum of 12 uniforms), which is exact integer arithmetic on every platform
  // and bounded at six deviations.
  Duration latency_min = std::chrono::microseconds(100);
  Duration latency_max = std::chrono::milliseconds(2);
  Duration latency_mean{};
  Duration latency_stddev{};
  std::uint32_t loss_ppm = 0;       // message silently dropped
  std::uint32_t duplicate_ppm = 0;  // message delivered twice
  std::uint32_t spike_ppm = 0;      // message delayed by a spike on top of its latency
  Duration spike_min = std::chrono::milliseconds(100);
  Duration spike_max = std::chrono::seconds(1);
};

// |mean + stddev * z|, z ~ Irwin-Hall(12) - 6 (mean 0, variance 1) built from the 64 bits given.
[[nodiscard]] Duration normal_latency(std::uint64_t bits, Duration mean, Duration stddev) noexcept;

class Network {
 public:
  explicit Network(World& world) : world_(world) {}

  // The profile of links with no profile of their own.
  void set_default(const LinkProfile& profile) { default_ = profile; }
  // The profile of the directed link from -> to.
  void set_link(ProcessId from, ProcessId to, const LinkProfile& profile);

  // Drops every message a -> b (and b -> a unless one_way) until the same partition is healed
  // with the same arguments. Partitions nest: a link is cut while any partition covers it, so
  // healing one of two overlapping partitions leaves the other in force.
  void partition(ProcessId a, ProcessId b, bool one_way);
  void heal(ProcessId a, ProcessId b, bool one_way);
  [[nodiscard]] bool blocked(ProcessId from, ProcessId to) const;
  // Since when from -> to has been cut without a break, or nothing when it is not cut.
  [[nodiscard]] std::optional<SimTime> blocked_since(ProcessId from, ProcessId to) const;
  // Slow node: every message to or from `node` takes `extra` longer, on top of its drawn
  // latency, until the same slowdown is lifted. Slowdowns add up. Draws nothing: a slow node
  // leaves every other random decision where it was.
  void slow(ProcessId node, Duration extra);
  void unslow(ProcessId node, Duration extra);
  [[nodiscard]] Duration added_latency(ProcessId from, ProcessId to) const;

  // Service outage: the service running on `node` is down while any outage covers it (they
  // nest, like partitions). kFailFast: it answers every request at once with an error (a 503);
  // kTimeout: it never answers (a hung server). The process itself stays up: models reached
  // through call() consult outage() before serving, and call() drops every reply of a node in
  // a timeout outage.
  enum class OutageMode { kFailFast, kTimeout };
  void begin_outage(ProcessId node, OutageMode mode);
  void end_outage(ProcessId node, OutageMode mode);
  // The outage in force (a timeout outage wins over a fail-fast one), if any.
  [[nodiscard]] std::optional<OutageMode> outage(ProcessId node) const;

  // Called when the link from -> to becomes cut (it was not), after the cut is in force: servers
  // that notice dead peers by silence (TCP keepalive) start their timers here. Hooks run in
  // registration order and must not partition or heal themselves.
  using CutHook = std::function<void(ProcessId from, ProcessId to)>;
  void on_cut(CutHook hook) { cut_hooks_.push_back(std::move(hook)); }

  // Sends a message that runs `deliver` on `to` (as of generation `to_generation`) when it
  // arrives. `deliver` must be copyable: a duplicated message runs a copy.
  template <class F>
  void send(ProcessId from, ProcessId to, std::uint32_t to_generation, F deliver) {
    const Route route = decide(from, to);
    if (route.dropped) return;
    if (route.duplicate_delay) {
      world_.schedule(world_.now() + *route.duplicate_delay, to, to_generation, F(deliver));
    }
    world_.schedule(world_.now() + route.delay, to, to_generation, std::move(deliver));
  }

  // Called for every message a fault touched: dropped (lost or partitioned), delayed by a spike,
  // or duplicated. Scenarios note these in their history so a timeline shows why a message was
  // late. Must not send messages itself. `what` is valid only during the call: copy what is kept.
  using Observer = std::function<void(ProcessId from, ProcessId to, std::string_view what)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  [[nodiscard]] std::uint64_t sent() const noexcept { return sent_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  struct Route {
    bool dropped = false;
    Duration delay{};
    std::optional<Duration> duplicate_delay;
  };
  [[nodiscard]] Route decide(ProcessId from, ProcessId to);
  // Adds one partition over from -> to; true when the link was not cut before.
  bool cut(ProcessId from, ProcessId to);
  [[nodiscard]] const LinkProfile& profile(ProcessId from, ProcessId to) const;
  [[nodiscard]] std::size_t index(ProcessId from, ProcessId to) const;
  void grow(ProcessId id);

  World& world_;
  Observer observer_;
  LinkProfile default_;
  std::size_t width_ = 0;                 // matrices below are width_ x width_, by process id
  std::vector<std::int32_t> link_index_;  // -1: default profile, else index into links_
  std::vector<LinkProfile> links_;
  std::vector<std::uint16_t> cuts_;  // partitions covering each directed link
  std::vector<SimTime> cut_at_;      // when each directed link's current cut began
  std::vector<CutHook> cut_hooks_;
  std::map<ProcessId, Duration> slow_;  // added latency per slow node
  struct Outages {
    int fail_fast = 0;
    int timeout = 0;
  };
  std::map<ProcessId, Outages> outages_;
  std::uint64_t sent_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace faultline::sim
