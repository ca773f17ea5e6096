// The PostgreSQL advisory lock scenarios.
//
//   pg-advisory/fenced           holds: fencing tokens from the database's durable counter, under
//                                dropped connections, pauses, crashes, partitions, lost messages
//   pg-advisory/connection-drop  hazard: without fencing, a holder whose connection dropped
//                                (the server released its session lock) keeps working and
//                                writes after another client took the lock
//   pg-advisory/half-open        holds, at a cost: a holder vanishes without closing its
//                                connection; its lock stays held until the server's TCP
//                                keepalive gives up, and nobody else gets it meanwhile. The
//                                claim is the bound: no refusal comes more than
//                                half_open_bound(keepalive) after the last grant
#pragma once

#include <vector>

#include "scenarios/locks/lock_scenario.h"

namespace faultline::scenarios {

[[nodiscard]] std::vector<LockScenarioSpec> pg_advisory_specs();

// The keepalive pg-advisory/half-open runs with: short (5s to notice), so that runs stay short;
// the bound scales with it. A real server with the OS defaults takes over two hours.
inline constexpr sim::Keepalive kHalfOpenKeepalive{std::chrono::seconds(2),
                                                   std::chrono::seconds(1), 3};

// The longest a lock may stay unavailable after a holder vanished silently: the keepalive's
// detection time plus 1s for the holder's section before it vanished and round trips.
[[nodiscard]] Duration half_open_bound(const sim::Keepalive& keepalive);
[[nodiscard]] LockScenarioSpec half_open_spec(sim::Keepalive keepalive = kHalfOpenKeepalive);

}  // namespace faultline::scenarios
