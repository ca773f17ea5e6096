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
//   - a client that dies silently (World::crash_silently: power loss, or cut off for good)
//     leaves its connections half-open: the server notices only when TCP keepalive gives up on
//     them, Keepalive::detection() later, and until then its sessions and their locks stay held;
//   - close() is a FIN the client's kernel retransmits (backoff from 200ms, 15 times, about 15
//     minutes): the session ends on the server once one gets through, also after a partition;
//   - a partition between the node and a client that lasts Keepalive::detection() ends that
//     client's sessions the same way, when the node watches its network (watch());
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

// TCP keepalive on the server's side of its connections: PostgreSQL's tcp_keepalives_idle,
// tcp_keepalives_interval and tcp_keepalives_count (0 there means the OS default). The defaults
// here are Linux's (net.ipv4.tcp_keepalive_time, _intvl, _probes), what a server gets when
// nobody sets them: a silently vanished client holds its locks for over two hours.
struct Keepalive {
  Duration idle = std::chrono::hours(2);         // silence before the first probe
  Duration interval = std::chrono::seconds(75);  // between unanswered probes
  int count = 9;                                 // unanswered probes before the drop
  // How long after its peer vanished an idle connection is dropped: the first probe goes after
  // `idle`, and the connection ends when `count` probes, `interval` apart, went unanswered.
  [[nodiscard]] Duration detection() const { return idle + interval * count; }
};

class PgNode {
 public:
  explicit PgNode(Process& host);
  PgNode(const PgNode&) = delete;
  PgNode& operator=(const PgNode&) = delete;

  [[nodiscard]] Process& host() noexcept { return host_; }

  // The server's keepalive settings, for connections whose client dies from now on.
  void set_keepalive(Keepalive keepalive) { keepalive_ = keepalive; }
  [[nodiscard]] const Keepalive& keepalive() const noexcept { return keepalive_; }
  // Lets the node's keepalive notice partitions on `network` too: a link between the node and a
  // client that stays cut (either way) for Keepalive::detection() ends that client's sessions,
  // as unanswered probes do on a real server. Call once, before the run; `network` must outlive
  // the node's events.
  void watch(Network& network);

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
  // `client` died silently: its sessions end when keepalive notices, unless they end before.
  void half_open(ProcessId client);

  Process& host_;
  Keepalive keepalive_;
  SessionId next_session_ = 1;
  std::map<SessionId, ProcessId> sessions_;  // live sessions and their client
  std::map<locks::AdvisoryLockId, Hold> holds_;
  std::map<std::string, locks::FencingToken> counters_;
};

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
