// PgNode: a simulated PostgreSQL server's advisory locks and fencing counters, and the client
// side (SimSessionLockStore, SimLockSession) implementing locks::SessionLockStore over the
// simulated network.
//
// The model, matching PostgreSQL's semantics where the scenarios depend on them:
//   - a session is a connection; session advisory locks are re-entrant (a count per session);
//   - a session ends when its connection drops (World::disconnect between the client and the
//     node, or the client process crashing) or the node crashes: every lock it held is released
//     at once, on the server, and the client learns of it only at its next call
//     (kUnavailable "session terminated"), when lost() becomes true;
//   - a session's requests travel on one connection, so each is applied once: a request the
//     simulated network duplicates is not applied twice (TCP would not deliver it twice);
//   - fencing counters are durable (a table, as in the real backend): they survive crashes;
//   - lock(id, timeout) is modelled as try_lock retried every 10ms, not as a server-side wait
//     queue (a simplification: the scenarios only need "waits, then gets it or kBusy"); it gives
//     up when the real backend's lock_timeout would (see pg_node.cc), so both answer alike.
//
// Thread-safety: none. Ownership: the node registers hooks with its World and host process;
// both must outlive the run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "faultline/locks/session_lock_store.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

using SessionId = std::uint64_t;

class PgNode {
 public:
  explicit PgNode(Process& host);
  PgNode(const PgNode&) = delete;
  PgNode& operator=(const PgNode&) = delete;

  [[nodiscard]] Process& host() noexcept { return host_; }

  // The atomic steps (run on the node). A dead session gives kUnavailable.
  [[nodiscard]] SessionId open_session(ProcessId client);
  [[nodiscard]] Result<bool> try_lock(SessionId session, locks::AdvisoryLockId id);
  [[nodiscard]] Result<bool> unlock(SessionId session, locks::AdvisoryLockId id);
  [[nodiscard]] Result<locks::FencingToken> next_token(SessionId session, const std::string& key);
  void close_session(SessionId session);

  // Ends every session `client` has (its connection dropped), releasing their locks.
  void terminate_sessions_of(ProcessId client);
  // The session holding `id`, or 0 (for checkers and tests).
  [[nodiscard]] SessionId holder(locks::AdvisoryLockId id) const;
  [[nodiscard]] bool alive(SessionId session) const;

 private:
  struct Hold {
    SessionId session = 0;
    int count = 0;
  };
  void end_session(SessionId session);

  Process& host_;
  SessionId next_session_ = 1;
  std::map<SessionId, ProcessId> sessions_;  // live sessions and their client
  std::map<locks::AdvisoryLockId, Hold> holds_;
  std::map<std::string, locks::FencingToken> counters_;
};

class SimLockSession final : public locks::LockSession {
 public:
  SimLockSession(Network& network, Process& client, PgNode& node, SessionId session)
      : network_(network), client_(client), node_(node), session_(session) {}

  Task<Result<bool>> try_lock(locks::AdvisoryLockId id, Duration timeout) override;
  Task<Result<void>> lock(locks::AdvisoryLockId id, Duration timeout) override;
  Task<Result<bool>> unlock(locks::AdvisoryLockId id, Duration timeout) override;
  Task<Result<locks::FencingToken>> next_fencing_token(std::string_view key,
                                                       Duration timeout) override;
  [[nodiscard]] bool lost() const override { return lost_; }
  Task<void> close(Duration timeout) override;

 private:
  template <class R>
  Result<R> observe(Result<R> result);

  Network& network_;
  Process& client_;
  PgNode& node_;
  SessionId session_;
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
