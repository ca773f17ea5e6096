// The resilience scenarios: the patterns of core/include/faultline/resilience/ under simulated
// outages, floods and latency, each with an invariant and an expected verdict.
//
//   breaker/outage             holds   no call while OPEN; half-open probes within the permitted
//                                      number; CLOSED again within the open wait plus the probe
//                                      time after the dependency recovers
//   retry/storm                holds   callers retry through an outage with a shared retry
//                                      budget: the load on the dependency stays within the
//                                      budget's amplification bound
//   retry/storm-unbudgeted     hazard  the same callers without the budget multiply the load
//   bulkhead/isolation         holds   an optional-tier flood never starves critical calls; no
//                                      tier over its limit, no queue over its bound
//   pipeline/outage            holds   the library Pipeline (retry + breaker) under
//                                      outages and malformed requests never retries a refusal
//                                      or a caller error
//   retry/non-retryable        hazard  a hand-rolled retry that retries every error re-sends
//                                      requests the dependency rejected as malformed
//   retry/outside-breaker      hazard  a hand-rolled retry wrapped around the breaker retries
//                                      calls the open circuit refused
// The two hand-rolled retries exist only here: the library's Retry and Pipeline cannot express
// them (retry.h, pipeline.h).
#pragma once

#include <memory>

#include "scenarios/scenario.h"

namespace faultline::scenarios {

[[nodiscard]] std::unique_ptr<Scenario> make_breaker_outage_scenario();
[[nodiscard]] std::unique_ptr<Scenario> make_retry_storm_scenario(bool budgeted);
[[nodiscard]] std::unique_ptr<Scenario> make_bulkhead_isolation_scenario();
[[nodiscard]] std::unique_ptr<Scenario> make_pipeline_outage_scenario();
[[nodiscard]] std::unique_ptr<Scenario> make_non_retryable_hazard();
[[nodiscard]] std::unique_ptr<Scenario> make_retry_outside_breaker_hazard();

}  // namespace faultline::scenarios
