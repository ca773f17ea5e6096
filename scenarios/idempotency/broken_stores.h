// IdempotencyStores that get one thing wrong, on purpose, for the hazard scenarios, and one
// that crashes its process between phases, for the recovery claim. Each forwards to a correct
// store (the simulated Redis module) and changes only what its name says.
//
//   CheckThenSetStore     begin() reads whether the record exists (one round trip), and if not
//                         creates it with a blind write (a second one): two concurrent begins
//                         can both find nothing and both start. The anti-pattern Powertools'
//                         users report ("the handler ran twice under concurrency").
//   NoRecoveryPointsStore checkpoint() renews the lease but saves nothing: a record is only ever
//                         in progress (at kStartedPoint) or completed, as in stores that keep
//                         INPROGRESS / COMPLETED alone. A resumed request starts over.
//   CrashAfterCheckpoint  after a checkpoint the store acknowledged, with probability
//                         `chance_ppm`, crashes its own process (it restarts `downtime` later):
//                         a server killed between two phases. Drawn from the process's seeded
//                         generator, so one seed replays the same crashes; they are not part of
//                         the fault plan, so the shrinker does not remove them.
//
// Ownership: borrow everything they are given. Thread-safety: none; one World.
#pragma once

#include <cstdint>

#include "faultline/idempotency/idempotency_store.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_idempotency.h"
#include "faultline/sim/redis_node.h"
#include "faultline/sim/world.h"

namespace faultline::scenarios {

// Forwards every operation to `inner`; the hazards override what they break.
class ForwardingIdempotencyStore : public idempotency::IdempotencyStore {
 public:
  explicit ForwardingIdempotencyStore(idempotency::IdempotencyStore& inner) : inner_(inner) {}
  Task<Result<idempotency::BeginReply>> begin(idempotency::RequestId id,
                                              std::string_view fingerprint, std::string_view owner,
                                              Duration lease, Duration retention,
                                              Duration timeout) override {
    return inner_.begin(id, fingerprint, owner, lease, retention, timeout);
  }
  Task<Result<bool>> checkpoint(idempotency::RequestId id, std::string_view owner,
                                std::string_view point, std::string_view data, Duration lease,
                                Duration timeout) override {
    return inner_.checkpoint(id, owner, point, data, lease, timeout);
  }
  Task<Result<bool>> complete(idempotency::RequestId id, std::string_view owner,
                              std::string_view response, Duration timeout) override {
    return inner_.complete(id, owner, response, timeout);
  }
  Task<Result<bool>> release(idempotency::RequestId id, std::string_view owner,
                             Duration timeout) override {
    return inner_.release(id, owner, timeout);
  }
  Task<Result<std::size_t>> reap(std::size_t limit, Duration timeout) override {
    return inner_.reap(limit, timeout);
  }
  Task<Result<idempotency::AbandonedPage>> abandoned(std::string_view cursor, std::size_t limit,
                                                     Duration timeout) override {
    return inner_.abandoned(cursor, limit, timeout);
  }

 protected:
  idempotency::IdempotencyStore& inner_;
};

class CheckThenSetStore final : public ForwardingIdempotencyStore {
 public:
  CheckThenSetStore(idempotency::IdempotencyStore& inner, sim::Network& network,
                    sim::Process& self, sim::RedisNode& node)
      : ForwardingIdempotencyStore(inner), network_(network), self_(self), node_(node) {}
  Task<Result<idempotency::BeginReply>> begin(idempotency::RequestId id,
                                              std::string_view fingerprint, std::string_view owner,
                                              Duration lease, Duration retention,
                                              Duration timeout) override;

 private:
  sim::Network& network_;
  sim::Process& self_;
  sim::RedisNode& node_;
};

class NoRecoveryPointsStore final : public ForwardingIdempotencyStore {
 public:
  using ForwardingIdempotencyStore::ForwardingIdempotencyStore;
  Task<Result<bool>> checkpoint(idempotency::RequestId id, std::string_view owner,
                                std::string_view point, std::string_view data, Duration lease,
                                Duration timeout) override;
};

class CrashAfterCheckpoint final : public ForwardingIdempotencyStore {
 public:
  CrashAfterCheckpoint(idempotency::IdempotencyStore& inner, sim::Process& self,
                       sim::History& history, std::uint32_t chance_ppm, Duration downtime)
      : ForwardingIdempotencyStore(inner), self_(self), history_(history),
        chance_ppm_(chance_ppm), downtime_(downtime) {}
  Task<Result<bool>> checkpoint(idempotency::RequestId id, std::string_view owner,
                                std::string_view point, std::string_view data, Duration lease,
                                Duration timeout) override;

 private:
  sim::Process& self_;
  sim::History& history_;
  std::uint32_t chance_ppm_;
  Duration downtime_;
};

}  // namespace faultline::scenarios
