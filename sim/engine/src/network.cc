#include "faultline/sim/network.h"

#include <fmt/format.h>

#include <cassert>

#include "faultline/sim/rng.h"
#include "faultline/invariant.h"

namespace faultline::sim {

void Network::grow(ProcessId id) {
  if (id < width_) return;
  const std::size_t width = id + 1;
  std::vector<std::int32_t> link_index(width * width, -1);
  std::vector<std::uint16_t> cuts(width * width, 0);
  std::vector<SimTime> cut_at(width * width);
  for (std::size_t from = 0; from < width_; ++from) {
    for (std::size_t to = 0; to < width_; ++to) {
      link_index[from * width + to] = link_index_[from * width_ + to];
      cuts[from * width + to] = cuts_[from * width_ + to];
      cut_at[from * width + to] = cut_at_[from * width_ + to];
    }
  }
  link_index_ = std::move(link_index);
  cuts_ = std::move(cuts);
  cut_at_ = std::move(cut_at);
  width_ = width;
}

std::size_t Network::index(ProcessId from, ProcessId to) const {
  assert(from < width_ && to < width_);
  return static_cast<std::size_t>(from) * width_ + to;
}

void Network::set_link(ProcessId from, ProcessId to, const LinkProfile& profile) {
  FAULTLINE_INVARIANT(profile.latency_min >= Duration::zero(), "latency is never negative");
  FAULTLINE_INVARIANT(profile.latency_max >= profile.latency_min,
                      "a latency range must not be inverted");
  FAULTLINE_INVARIANT(profile.spike_max >= profile.spike_min, "a spike range must not be inverted");
  grow(std::max(from, to));
  links_.push_back(profile);
  link_index_[index(from, to)] = static_cast<std::int32_t>(links_.size() - 1);
}

const LinkProfile& Network::profile(ProcessId from, ProcessId to) const {
  if (from >= width_ || to >= width_) return default_;
  const std::int32_t i = link_index_[index(from, to)];
  return i < 0 ? default_ : links_[static_cast<std::size_t>(i)];
}

void Network::partition(ProcessId a, ProcessId b, bool one_way) {
  grow(std::max(a, b));
  const bool newly_ab = cut(a, b);
  const bool newly_ba = !one_way && cut(b, a);
  for (const CutHook& hook : cut_hooks_) {
    if (newly_ab) hook(a, b);
    if (newly_ba) hook(b, a);
  }
}

bool Network::cut(ProcessId from, ProcessId to) {
  const std::size_t i = index(from, to);
  FAULTLINE_INVARIANT(cuts_[i] < UINT16_MAX,
                      "a link's partition count overflowed: partitions never healed");
  if (cuts_[i]++ > 0) return false;
  cut_at_[i] = world_.now();
  return true;
}

std::optional<SimTime> Network::blocked_since(ProcessId from, ProcessId to) const {
  if (!blocked(from, to)) return std::nullopt;
  return cut_at_[index(from, to)];
}

void Network::heal(ProcessId a, ProcessId b, bool one_way) {
  grow(std::max(a, b));
  FAULTLINE_INVARIANT(cuts_[index(a, b)] > 0, "healing a partition that was never made");
  --cuts_[index(a, b)];
  if (!one_way) {
    FAULTLINE_INVARIANT(cuts_[index(b, a)] > 0, "a partition cuts both directions");
    --cuts_[index(b, a)];
  }
}

bool Network::blocked(ProcessId from, ProcessId to) const {
  if (from >= width_ || to >= width_) return false;
  return cuts_[index(from, to)] > 0;
}

Duration normal_latency(std::uint64_t bits, Duration mean, Duration stddev) noexcept {
  // Twelve 16-bit uniforms from three splitmix64 outputs seeded by one draw, so a message still
  // takes a fixed number of draws from the world's generator.
  std::uint64_t state = bits;
  std::int64_t sum = 0;  // sum of 12 values in [0, 65536)
  for (int word = 0; word < 3; ++word) {
    const std::uint64_t w = splitmix64(state);
    for (int part = 0; part < 4; ++part) sum += static_cast<std::int64_t>((w >> (16 * part)) & 0xFFFF);
  }
  // z * 65536 = sum - 6 * 65536; latency = mean + stddev * z, in 128 bits against overflow.
  const int128 scaled = static_cast<int128>(stddev.count()) * (sum - 6 * 65536) / 65536;
  const int128 latency = static_cast<int128>(mean.count()) + scaled;
  return Duration(static_cast<std::int64_t>(latency < 0 ? -latency : latency));
}

Network::Route Network::decide(ProcessId from, ProcessId to) {
  ++sent_;
  const LinkProfile& link = profile(from, to);
  Rng& rng = world_.rng();
  // Always the same six draws per message, whatever the probabilities: turning one fault off
  // (as the shrinker does) then changes only that fault's decisions, not every later draw.
  const bool lost = uniform_below(rng, 1'000'000) < link.loss_ppm;
  const bool normal = link.latency_stddev > Duration::zero();
  const auto draw_latency = [&] {
    return normal ? normal_latency(rng.next_u64(), link.latency_mean, link.latency_stddev)
                  : uniform_duration(rng, link.latency_min, link.latency_max);
  };
  const Duration latency = draw_latency();
  const bool spiked = uniform_below(rng, 1'000'000) < link.spike_ppm;
  const Duration spike = uniform_duration(rng, link.spike_min, link.spike_max);
  const bool duplicated = uniform_below(rng, 1'000'000) < link.duplicate_ppm;
  const Duration duplicate_latency = draw_latency();

  Route route;
  if (lost || blocked(from, to)) {
    ++dropped_;
    route.dropped = true;
    if (observer_) observer_(from, to, lost ? "message lost" : "message dropped by partition");
    return route;
  }
  route.delay = latency + (spiked ? spike : Duration::zero()) + added_latency(from, to);
  if (duplicated) route.duplicate_delay = duplicate_latency + added_latency(from, to);
  if (observer_ && spiked) {
    observer_(from, to, fmt::format("message delayed {:.3f}s", static_cast<double>(route.delay.count()) / 1e9));
  }
  if (observer_ && duplicated) observer_(from, to, "message duplicated");
  return route;
}

void Network::slow(ProcessId node, Duration extra) {
  assert(extra >= Duration::zero());
  slow_[node] += extra;
}

void Network::unslow(ProcessId node, Duration extra) {
  auto it = slow_.find(node);
  assert(it != slow_.end() && it->second >= extra);
  it->second -= extra;
  if (it->second == Duration::zero()) slow_.erase(it);
}

Duration Network::added_latency(ProcessId from, ProcessId to) const {
  if (slow_.empty()) return Duration::zero();  // the usual case: no node is slowed
  Duration extra = Duration::zero();
  for (const ProcessId id : {from, to}) {
    const auto it = slow_.find(id);
    if (it != slow_.end()) extra += it->second;
  }
  return extra;
}

void Network::begin_outage(ProcessId node, OutageMode mode) {
  Outages& o = outages_[node];
  ++(mode == OutageMode::kTimeout ? o.timeout : o.fail_fast);
}

void Network::end_outage(ProcessId node, OutageMode mode) {
  auto it = outages_.find(node);
  assert(it != outages_.end());
  int& count = mode == OutageMode::kTimeout ? it->second.timeout : it->second.fail_fast;
  assert(count > 0);
  --count;
  if (it->second.timeout == 0 && it->second.fail_fast == 0) outages_.erase(it);
}

std::optional<Network::OutageMode> Network::outage(ProcessId node) const {
  const auto it = outages_.find(node);
  if (it == outages_.end()) return std::nullopt;
  return it->second.timeout > 0 ? OutageMode::kTimeout : OutageMode::kFailFast;
}

}  // namespace faultline::sim
