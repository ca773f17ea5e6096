// The claims of several limits on one request and of a limiter's outage fallback, written once
// as pure functions over what the environment recorded (a store node's decisions, the instants
// an instance admitted at), never over a limiter's own state.
//
//   check_all_or_nothing  a request's tiers are charged together or not at all. Judged per
//                         decision the store made (one node step, an atomic script), from the
//                         events it told (one per tier it decided in that step): a step that
//                         charged any tier must have charged every tier of one request (its
//                         events' keys are exactly one of `tier_sets`, each charged the same
//                         cost), and a step in which some tier refused charged nothing.
//                         Per step, not per request: the network may run a request twice (a
//                         duplicate) or late (after its caller gave up and sent the next one),
//                         so one request may own several complete steps, and its caller may be
//                         told the refusal of one while the other charged everything; neither
//                         is a partial charge. A limiter that decides tier by tier makes one
//                         step per tier, so its first charge is a step of one tier: found. The
//                         message names the request (`request`, attributed by the scenario, for
//                         the witness only) and, when one of its later steps refused, that
//                         refusal: the charge it left behind was never refunded.
//   check_fallback_bound  admissions from the store (its record) and from the instances'
//                         local fallbacks (the true time each admitted at), each key judged on
//                         its own over every window of `window`: the store's at most
//                         `store_limit`, the fallbacks' together at most `fallback_limit`. So
//                         a window holds at most store_limit when one source admitted in it
//                         and store_limit + fallback_limit when both did (it straddles a switch:
//                         the store does not know what the fallbacks admitted, nor they what
//                         the store did, so at each switch both budgets may be fresh; no tighter
//                         bound is the pattern's to keep).
// Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faultline/ratelimit/decision.h"
#include "scenarios/ratelimit/limit_invariants.h"

namespace faultline::scenarios::ratelimit {

// One event a store node told of a decision (limit_events.h): one tier of one step.
struct TierEvent {
  std::uint64_t step{0};       // which node step told it: events of one decision share it
  std::string key;             // the tier's key ("caller/c-1")
  rl::Micros at{};             // on the reference clock
  std::int64_t cost{0};        // units charged: > 0 only when the step charged this tier
  bool allowed{false};         // the tier's own decision (a refused tier is the refusal's cause)
  std::ptrdiff_t request{-1};  // the history operation it is attributed to, when known
};

struct PartialCharge {
  std::uint64_t step{0};
  std::vector<std::size_t> events;  // the step's events (indices into the input)
  std::ptrdiff_t request{-1};
  std::string message;  // "step at 0.103s charged caller/c-1 +2 but not tenant/t-1, ..."
};

// `tier_sets`: every request's tiers (each a set of keys). nullopt when every step is whole;
// else the first partial step whose request was later refused, or the first partial step.
[[nodiscard]] std::optional<PartialCharge> check_all_or_nothing(
    const std::vector<TierEvent>& events, const std::vector<std::vector<std::string>>& tier_sets);

// Which source broke its bound (`fallback`: the window's members index `fallback`, else `store`).
struct FallbackViolation {
  bool fallback{false};
  LimitViolation over;
};

[[nodiscard]] std::optional<FallbackViolation> check_fallback_bound(
    const std::vector<Admission>& store, const std::vector<Admission>& fallback,
    std::int64_t store_limit, std::int64_t fallback_limit, rl::Micros window);

}  // namespace faultline::scenarios::ratelimit
