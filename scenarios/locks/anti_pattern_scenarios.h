// The catalogue's forbidden lock anti-patterns, each beside the correct version under the same
// faults, so that the violation is the anti-pattern's and not the fault space's.
//
//   locks/crash-recovery               holds: a lease (ttl) lock frees itself when its holder
//                                      crashes; some acquire succeeds within 3s at all times
//   locks/no-ttl                       hazard (liveness): SET without expiry; a holder that
//                                      crashes keeps the lock for ever
//   locks/owner-checked-release        holds: pauses past the lease, the release checks the
//                                      owner (no prepare window between check and write)
//   locks/release-without-owner-check  hazard: the same with DEL on release, which frees the
//                                      next holder's lock; two holders then overlap
#pragma once

#include <vector>

#include "scenarios/locks/lock_scenario.h"

namespace faultline::scenarios {

[[nodiscard]] std::vector<LockScenarioSpec> anti_pattern_specs();

}  // namespace faultline::scenarios
