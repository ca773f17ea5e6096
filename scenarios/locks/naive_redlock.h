// NaiveRedlock: Redlock with one deliberate mistake, for the redlock/no-elapsed-check hazard.
//
// It acquires on a majority like the real one, but starts the lease's clock when the last
// reply arrived rather than before the first request left, and lets each node take as long as
// the whole ttl. The nodes started their ttl when each request arrived, so when replies are
// slow the holder believes in a lease that has already expired on the nodes that granted it
// first. The real Redlock (core/locks/redlock.h) measures from before the first request and
// subtracts the elapsed time. Not for use outside the scenario.
#pragma once

#include <string>
#include <vector>

#include "faultline/locks/lease_lock.h"
#include "faultline/locks/lock_store.h"
#include "faultline/locks/redlock.h"

namespace faultline::scenarios {

class NaiveRedlock {
 public:
  NaiveRedlock(std::vector<locks::LockStore*> nodes, Clock& clock, Random& random,
               std::string key, locks::RedlockOptions options)
      : nodes_(std::move(nodes)), clock_(&clock), random_(&random), key_(std::move(key)),
        options_(options), backoff_(resilience::Backoff::create(options.backoff).value()) {}

  Task<Result<locks::Lease>> acquire();
  Task<Result<void>> release(const locks::Lease& lease);

 private:
  std::vector<locks::LockStore*> nodes_;
  Clock* clock_;
  Random* random_;
  std::string key_;
  locks::RedlockOptions options_;
  resilience::Backoff backoff_;  // the options must be valid (the scenario's are)
};

}  // namespace faultline::scenarios
