// The resilience scenarios: the patterns of core/include/faultline/resilience/ under simulated
// outages, floods, latency and clock faults (callers' clocks drift and jump forward), each with
// an invariant judged from outside the pattern (the dependency's record of arrivals, the result
// codes callers got; never the pattern's state, events or counters) and an expected verdict.
//
//   breaker/outage             holds   per outage and client, attempts reaching the dependency
//                                      within the bound the breaker's options give; every long
//                                      outage refused; calls succeed again within the longest
//                                      open wait plus probes; no refusal outside outages
//   retry/storm                holds   callers retry through an outage with a shared retry
//                                      budget: the retries reaching the dependency stay within
//                                      the budget's bound, and use 90% of its earnings
//   retry/storm-unbudgeted     hazard  the same callers without the budget multiply the load
//   bulkhead/isolation         holds   an optional-tier flood never starves critical calls; as
//                                      the callers saw it, no tier over its limit, no queue over
//                                      its bound, and the flood saturated its tier
//   pipeline/outage            holds   the library Pipeline (retry + breaker) under outages and
//                                      malformed requests never retries a refusal or a caller
//                                      error, sends nothing while refused, and its breaker opens
//   retry/non-retryable        hazard  a hand-rolled retry that retries every error re-sends
//                                      requests the dependency rejected as malformed
//   retry/outside-breaker      hazard  a hand-rolled retry wrapped around the breaker retries
//                                      calls the open circuit refused
// (backoff/contention, backoff_contention.h, is the AWS jitter study as a scenario.)
// The two hand-rolled retries exist only here: the library's Retry and Pipeline cannot express
// them (retry.h, pipeline.h).
#pragma once

#include <cstdint>
#include <memory>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

// A way to switch off or break the pattern a scenario relies on, so that a test can show the
// scenario's invariant failing (tests/resilience_scenario_invariant_test.cc). The invariant is
// always computed from the options the scenario claims; a sabotage changes only what runs. The
// catalogue uses kNone. A scenario given a sabotage it has no use for runs unchanged.
enum class Sabotage : std::uint8_t {
  kNone,
  kBreakerNeverOpens,  // breaker/outage, pipeline/outage: every outcome classified a success
  kNoBreaker,          // breaker/outage, pipeline/outage: the Pipeline has no breaker
  kShortOpenWait,      // breaker/outage, pipeline/outage: the breaker waits 1 ms when open
  kLongOpenWait,       // breaker/outage: the breaker waits a minute when open (never recovers)
  kExtraProbe,         // breaker/outage: one probe more per half-open episode than claimed
  kNeverRetries,       // retry/storm: one attempt per call
  kNoDeposits,         // retry/storm: the budget earns nothing from calls (ratio 0)
  kNoTimeRefill,       // retry/storm: the budget earns nothing from time (min_per_second 0)
  kNoBudget,           // retry/storm: no budget at all
  kNoTierLimit,        // bulkhead/isolation: the optional tier without a limit
  kNoIsolation,        // bulkhead/isolation: critical calls share the optional tier
  kNoJitter,           // backoff/contention: every jittered strategy runs as plain exponential
  kNoBackoff,          // backoff/contention: every strategy retries at once
};

[[nodiscard]] std::unique_ptr<Scenario> make_breaker_outage_scenario(
    Sabotage sabotage = Sabotage::kNone);
[[nodiscard]] std::unique_ptr<Scenario> make_retry_storm_scenario(
    bool budgeted, Sabotage sabotage = Sabotage::kNone);
[[nodiscard]] std::unique_ptr<Scenario> make_bulkhead_isolation_scenario(
    Sabotage sabotage = Sabotage::kNone);
[[nodiscard]] std::unique_ptr<Scenario> make_pipeline_outage_scenario(
    Sabotage sabotage = Sabotage::kNone);
[[nodiscard]] std::unique_ptr<Scenario> make_non_retryable_hazard();
[[nodiscard]] std::unique_ptr<Scenario> make_retry_outside_breaker_hazard();

}  // namespace faultline::scenarios
