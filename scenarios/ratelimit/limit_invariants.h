// The rate-limit claims, written once: functions over the admissions the environment recorded
// (when a server or an instance let units through, on one reference clock), never over a
// limiter's own state, so that the same checks judge a simulated run (shared_limiter.cc: the
// World's true time, decisions told by the Redis node) and a run against a real server (the
// times a proxy in front of the protected service saw).
//
// Admissions are grouped by key and each key is judged on its own; within a key their order in
// the input does not matter. Windows are half-open, [from, from + length): two admissions are in
// one window of length W when they are less than W apart, which is the sliding log's window
// (now - W, now] seen from its end.
//
//   check_window_limit  no key was admitted more than `limit` units in any window of `window`
//                       (the sliding log's claim; the fixed window's hazard is judged by it);
//   check_gcra_bound    over any window of length d (each of `lengths`), at most
//                       limit + d / T units (gcra.h's bound; T the emission interval, d / T
//                       rounded down).
// Each returns the first key (in byte order) that broke its bound, with the busiest window as
// the witness, or nullopt. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faultline/ratelimit/decision.h"

namespace faultline::scenarios::ratelimit {

namespace rl = faultline::ratelimit;

struct Admission {
  std::string key;
  rl::Micros at{};        // on the reference clock (a simulated run: true time since its start)
  std::int64_t units{0};  // > 0
  std::string by{};       // who was admitted, for messages ("client-2"); may be empty
  std::ptrdiff_t operation{-1};  // the history operation it answered, when known
};

// The window of one key holding the most units, and which admissions (indices into the input
// vector, in time order) made it.
struct BusiestWindow {
  rl::Micros from{};
  rl::Micros length{};
  std::int64_t units{0};
  std::vector<std::size_t> members;
};

struct LimitViolation {
  std::string key;
  std::int64_t bound{0};  // what the window may hold
  BusiestWindow window;
  std::string message;  // "key 'api': 23 units admitted in [1.200s, 1.300s) (limit 20) ..."
};

// The admissions' indices per key, each list in time order (ties in input order).
[[nodiscard]] std::map<std::string, std::vector<std::size_t>> admissions_by_key(
    const std::vector<Admission>& admissions);

// The busiest window of `length` over `indices` (one key's, in time order), by a two-pointer
// sweep: each window that could hold the most starts at an admission. length > 0.
[[nodiscard]] BusiestWindow busiest_window(const std::vector<Admission>& admissions,
                                           const std::vector<std::size_t>& indices,
                                           rl::Micros length);

[[nodiscard]] std::optional<LimitViolation> check_window_limit(
    const std::vector<Admission>& admissions, std::int64_t limit, rl::Micros window);

[[nodiscard]] std::optional<LimitViolation> check_gcra_bound(
    const std::vector<Admission>& admissions, std::int64_t limit, rl::Micros emission_interval,
    const std::vector<rl::Micros>& lengths);

// An instant of the run for a violation's message, in seconds to the millisecond: "1.203s".
[[nodiscard]] std::string seconds_text(rl::Micros t);

}  // namespace faultline::scenarios::ratelimit
