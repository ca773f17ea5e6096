// What the rate-limit tests share: instants written in milliseconds, generators of policies and
// request traces, and the brute-force count of admitted units per window.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "faultline/ratelimit/policy.h"

namespace faultline::ratelimit {

using std::chrono::milliseconds;
using std::chrono::seconds;

inline Instant at_ms(std::int64_t ms) { return Instant(milliseconds(ms)); }

struct Request {
  Instant at{};
  std::int64_t cost{1};
};

// Non-decreasing instants (gaps of 0 to `max_gap_us`), costs in [1, max_cost].
inline rc::Gen<std::vector<Request>> gen_trace(std::int64_t max_gap_us, std::int64_t max_cost) {
  return rc::gen::map(rc::gen::container<std::vector<std::pair<std::int64_t, std::int64_t>>>(
                          rc::gen::pair(rc::gen::inRange<std::int64_t>(0, max_gap_us + 1),
                                        rc::gen::inRange<std::int64_t>(1, max_cost + 1))),
                      [](const std::vector<std::pair<std::int64_t, std::int64_t>>& steps) {
                        std::vector<Request> trace;
                        Instant t = at_ms(1'000'000);
                        for (const auto& [gap, cost] : steps) {
                          t += Micros(gap);
                          trace.push_back({.at = t, .cost = cost});
                        }
                        return trace;
                      });
}

// The admitted requests of `trace` under `policy`, from a fresh state.
inline std::vector<Request> admitted(const Policy& policy, const std::vector<Request>& trace) {
  State state = initial_state(policy);
  std::vector<Request> out;
  for (const Request& r : trace) {
    if (decide(state, policy, r.at, r.cost).allowed) out.push_back(r);
  }
  return out;
}

// The most units admitted within any window (t - length, t], by brute force: every window
// that could hold the most ends at an admitted instant.
inline std::int64_t max_units_in_window(const std::vector<Request>& admitted, Micros length) {
  std::int64_t best = 0;
  for (const Request& end : admitted) {
    std::int64_t units = 0;
    for (const Request& r : admitted) {
      if (r.at > end.at - length && r.at <= end.at) units += r.cost;
    }
    best = std::max(best, units);
  }
  return best;
}

template <class P>
inline rc::Gen<Policy> as_policy(rc::Gen<P> gen) {
  return rc::gen::map(std::move(gen), [](P p) { return Policy(p); });
}

// Small limits and windows from 1 ms to below `max_window_ms` (300 ms by default), so that traces
// generated hit every branch.
inline rc::Gen<Policy> gen_policy(std::int64_t max_window_ms = 300) {
  const auto limit = rc::gen::inRange<std::int64_t>(1, 8);
  const auto window = rc::gen::map(rc::gen::inRange<std::int64_t>(1, max_window_ms),
                                   [](std::int64_t ms) { return Micros(milliseconds(ms)); });
  return rc::gen::oneOf(
      as_policy(rc::gen::construct<GcraPolicy>(rc::gen::inRange<std::int64_t>(1, 8), window,
                                               rc::gen::inRange<std::int64_t>(0, 7))),
      as_policy(rc::gen::construct<TokenBucketPolicy>(limit, rc::gen::inRange<std::int64_t>(1, 8),
                                                      window)),
      as_policy(rc::gen::construct<SlidingLogPolicy>(limit, window)),
      as_policy(rc::gen::construct<SlidingCounterPolicy>(limit, window)),
      as_policy(rc::gen::construct<FixedWindowPolicy>(limit, window)));
}

}  // namespace faultline::ratelimit
