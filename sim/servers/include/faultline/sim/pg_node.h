// PgNode: a simulated PostgreSQL server: sessions that end with their connection, session
// advisory locks, and durable tables (PgDatabase) changed by transactions. Families add their
// operations as steps on it (the advisory-lock client is SimSessionLockStore, in
// pg_lock_session.h; fencing counters are rows of the table faultline_fencing, as in the real
// backend).
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
//   - tables are durable: a committed transaction survives any crash (PostgreSQL fsyncs its
//     WAL at commit), and a transaction whose body fails leaves nothing behind;
//   - lock() waits on the server, as pg_advisory_lock under lock_timeout does: a session that
//     finds the lock held by another queues behind the sessions already waiting for it, is
//     granted it when the holder gives it back (an unlock or the end of its session), first come
//     first served, and is answered kBusy when its wait runs out first (the real backend's
//     message). A session that ends while waiting stops waiting, and its client is told
//     kUnavailable "session terminated" (a connection reset), if the message gets through.
//     Sessions that end together (a node crash) all end before any lock they held is handed
//     on. Simplifications: a backend blocked on a lock notices its client's FIN or keepalive
//     failure only once granted or timed out, where the model ends its wait at once (optimistic
//     by at most the lock_timeout); deadlock detection is not modelled (one lock per client);
//     a second lock() on a session already waiting is refused with kProtocol.
//
// Thread-safety: none. Ownership: the node registers hooks with its World and host process;
// both must outlive the run.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include <type_traits>
#include <utility>
#include <vector>

#include "faultline/locks/lock_store.h"
#include "faultline/locks/session_lock_store.h"
#include "faultline/result.h"
#include "faultline/sim/lock_events.h"
#include "faultline/sim/network.h"
#include "faultline/sim/pg_database.h"
#include "faultline/sim/rpc.h"
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
  // Told of every advisory lock a session takes (kGranted: the first hold; a re-entrant one is
  // not an event) and of every one it gives back (kReleased: its last unlock, or the session's
  // end), under lock_events.h's contract: observing never changes the run. The event's key is
  // the lock id in decimal, its owner the session's client's name, its token the session id; no
  // expiry. Empty (the default): nothing is built or told.
  void set_lock_observer(LockObserver observer) { lock_observer_ = std::move(observer); }

  // The atomic steps (run on the node). A dead session gives kUnavailable.
  [[nodiscard]] SessionId open_session(ProcessId client);
  [[nodiscard]] Result<bool> try_lock(SessionId session, locks::AdvisoryLockId id);
  // pg_advisory_lock(id) with lock_timeout = `wait` (on the node's clock): answers `reply` with
  // true once the session holds the lock (at once if it is free or already its own), or kBusy
  // when `wait` passes first; see the model above.
  void lock(SessionId session, locks::AdvisoryLockId id, Duration wait, Reply<bool> reply);
  [[nodiscard]] Result<bool> unlock(SessionId session, locks::AdvisoryLockId id);
  [[nodiscard]] Result<locks::FencingToken> next_token(SessionId session, const std::string& key);
  void close_session(SessionId session);

  // Runs `body` (a callable taking PgDatabase& and returning Result<T>) as one transaction of
  // `session`, now: atomically and all or nothing (an error from the body rolls back every
  // change it made). A dead session gives kUnavailable and runs nothing.
  template <class Body>
  auto transaction(SessionId session, Body&& body) -> std::invoke_result_t<Body, PgDatabase&> {
    if (!alive(session)) return session_terminated();
    PgDatabase work = database_;
    auto result = std::forward<Body>(body)(work);
    if (result.ok()) database_ = std::move(work);
    return result;
  }
  // The committed data (for checkers and tests).
  [[nodiscard]] const PgDatabase& database() const noexcept { return database_; }

  // Forgets every waiting lock() unanswered. Each holds its caller's coroutine (rpc.h's Reply),
  // so an owner that destroys the World before the node calls this first (Topology does).
  void drop_waiters();
  // Ends every session `client` has (its connection dropped), releasing their locks.
  void terminate_sessions_of(ProcessId client);
  // The session holding `id`, or 0 (for checkers and tests).
  [[nodiscard]] SessionId holder(locks::AdvisoryLockId id) const;
  [[nodiscard]] bool alive(SessionId session) const;
  // What every step of a session the server has ended answers (kUnavailable).
  [[nodiscard]] static Error session_terminated();

 private:
  struct Hold {
    SessionId session = 0;
    int count = 0;
  };
  // A session waiting in lock(), until granted, timed out or ended.
  struct Waiter {
    SessionId session = 0;
    std::uint64_t ticket = 0;  // names the waiter to its timeout event
    Reply<bool> reply;
    World::EventId timeout;
  };
  // Ends `sessions` together (see pg_node.cc), releasing their locks and stopping their waits.
  void end_sessions(const std::vector<SessionId>& sessions);
  // Whether `session` is waiting in lock().
  [[nodiscard]] bool waiting(SessionId session) const;
  // Takes `session`'s waiters out of every queue (their timeouts cancelled); returns their
  // replies, unsent.
  std::vector<Reply<bool>> stop_waiting(SessionId session);
  // `id` was given back: the first session waiting for it takes it.
  void grant_next(locks::AdvisoryLockId id);
  // The wait of ticket `ticket` for `id` ran out.
  void wait_expired(locks::AdvisoryLockId id, std::uint64_t ticket, Duration wait);
  // `client` died silently: its sessions end when keepalive notices, unless they end before.
  void half_open(ProcessId client);
  // Tells the lock observer, if any, that `session` took or gave back `id`.
  void report(LockEvent::Kind kind, SessionId session, ProcessId client, locks::AdvisoryLockId id);

  Process& host_;
  Keepalive keepalive_;
  SessionId next_session_ = 1;
  std::map<SessionId, ProcessId> sessions_;  // live sessions and their client
  std::map<locks::AdvisoryLockId, Hold> holds_;
  std::map<locks::AdvisoryLockId, std::deque<Waiter>> waiting_;  // each queue first come first
  std::uint64_t next_ticket_ = 1;
  PgDatabase database_;
  LockObserver lock_observer_;
};

}  // namespace faultline::sim
