// The PostgreSQL advisory lock scenarios.
//
//   pg-advisory/fenced           holds: fencing tokens from the database's durable counter, under
//                                dropped connections, pauses, crashes, partitions, lost messages
//   pg-advisory/connection-drop  hazard: without fencing, a holder whose connection dropped
//                                (the server released its session lock) keeps working and
//                                writes after another client took the lock
#pragma once

#include <vector>

#include "scenarios/lock_scenario.h"

namespace faultline::scenarios {

[[nodiscard]] std::vector<LockScenarioSpec> pg_advisory_specs();

}  // namespace faultline::scenarios
