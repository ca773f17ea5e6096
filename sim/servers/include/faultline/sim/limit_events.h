// LimitEvent and LimitObserver: each decision a simulated rate-limit module makes, told as the
// server made it, so that a scenario can judge admissions from the server's side (a request
// allowed on the node whose reply was then lost still consumed its units).
//
// Contract of a server that takes one (RedisNode::set_limit_observer, told by RedisLimits):
//   - unset (the default), it costs one test of an empty std::function per decision;
//   - set, it is called synchronously inside the node's atomic step, once per decision,
//     allowed or refused (peeks too), with views valid only during the call. A tiered
//     decision tells one event per tier, its cost the units the step charged that tier (from
//     the state it wrote: 0 for a tier it left unchanged, so a refused request's tiers, and
//     any tier a faulty module would have charged on a refusal shows up as charged). It must not
//     schedule events, draw randomness, send messages or write the World's trace or a
//     History: observing a run never changes it.
// Thread-safety: none (a run's World is single-threaded).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "faultline/ratelimit/policy.h"

namespace faultline::sim {

struct LimitEvent {
  std::string_view key;                       // the caller's key (not limit_key's name)
  const ratelimit::Policy* policy = nullptr;  // never null when told
  std::int64_t cost = 0;
  ratelimit::Decision decision{};
  ratelimit::Instant at{};  // the node's clock the decision was made at (whole ms, in us)
};

using LimitObserver = std::function<void(const LimitEvent&)>;

}  // namespace faultline::sim
