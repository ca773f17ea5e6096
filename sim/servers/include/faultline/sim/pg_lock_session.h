// The advisory-lock client of the simulated PostgreSQL server: SimSessionLockStore opens
// sessions on a PgNode over the simulated network, and SimLockSession is one of them, as
// locks::SessionLockStore / LockSession specify (the conformance suite binds both to the real
// backend). The server side, and how sessions end, is described in pg_node.h.
//
// Thread-safety: none. Ownership: borrows the network, the client process and the node, which
// must outlive the stores and sessions.
#pragma once

#include <cstdint>
#include <memory>

#include "faultline/locks/session_lock_store.h"
#include "faultline/sim/network.h"
#include "faultline/sim/pg_node.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

class SimLockSession final : public locks::LockSession {
 public:
  SimLockSession(Network& network, Process& client, PgNode& node, SessionId session)
      : network_(network),
        client_(client),
        node_(node),
        session_(session),
        generation_(client.generation()) {}

  Task<Result<bool>> try_lock(locks::AdvisoryLockId id, Duration timeout) override;
  Task<Result<void>> lock(locks::AdvisoryLockId id, Duration timeout) override;
  Task<Result<bool>> unlock(locks::AdvisoryLockId id, Duration timeout) override;
  Task<Result<locks::FencingToken>> next_fencing_token(std::string_view key,
                                                       Duration timeout) override;
  // Also true once the client process has crashed since the session opened: the connection
  // died with the process that opened it, whatever the server still thinks.
  [[nodiscard]] bool lost() const override {
    return lost_ || client_.generation() != generation_;
  }
  Task<void> close(Duration timeout) override;

 private:
  template <class R>
  Result<R> observe(Result<R> result);

  Network& network_;
  Process& client_;
  PgNode& node_;
  SessionId session_;
  std::uint32_t generation_;  // of the client process when the session opened
  bool lost_ = false;
};

class SimSessionLockStore final : public locks::SessionLockStore {
 public:
  SimSessionLockStore(Network& network, Process& client, PgNode& node)
      : network_(network), client_(client), node_(node) {}
  Task<Result<std::unique_ptr<locks::LockSession>>> open_session(Duration timeout) override;

 private:
  Network& network_;
  Process& client_;
  PgNode& node_;
};

}  // namespace faultline::sim
