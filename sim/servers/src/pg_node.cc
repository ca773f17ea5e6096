#include "faultline/sim/pg_node.h"

#include "faultline/invariant.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>


namespace faultline::sim {
namespace {

constexpr std::string_view kFencing = "faultline_fencing";

}  // namespace

PgNode::PgNode(Process& host) : host_(host) {
  host_.world().on_silent_crash([this](ProcessId client) { half_open(client); });
  host_.world().on_disconnect([this](ProcessId a, ProcessId b) {
    // (node, kWorldProcess): the node went down, every session ends. Otherwise one side of a
    // connection is this node and the other a client (either order), or (client, world): that
    // client's connections, and with them its sessions, end.
    if (a == host_.id() && b == kWorldProcess) {
      std::vector<SessionId> all;
      for (const auto& [session, client] : sessions_) all.push_back(session);
      end_sessions(all);
    } else if (a == host_.id()) {
      terminate_sessions_of(b);
    } else if (b == host_.id() || b == kWorldProcess) {
      terminate_sessions_of(a);
    }
  });
}

Error PgNode::session_terminated() {
  return unavailable("session terminated: its connection was lost");
}

SessionId PgNode::open_session(ProcessId client) {
  const SessionId session = next_session_++;
  sessions_.emplace(session, client);
  return session;
}

bool PgNode::alive(SessionId session) const { return sessions_.contains(session); }

Result<bool> PgNode::try_lock(SessionId session, locks::AdvisoryLockId id) {
  if (!alive(session)) return session_terminated();
  auto it = holds_.find(id);
  if (it == holds_.end()) {
    holds_.emplace(id, Hold{session, 1});
    report(LockEvent::Kind::kGranted, session, sessions_.at(session), id);
    return true;
  }
  if (it->second.session != session) return false;
  ++it->second.count;  // re-entrant, as pg_try_advisory_lock is within one session
  return true;
}

void PgNode::lock(SessionId session, locks::AdvisoryLockId id, Duration wait,
                  Reply<bool> reply) {
  Result<bool> taken = try_lock(session, id);
  if (!taken.ok() || *taken) {
    reply(std::move(taken));
    return;
  }
  if (waiting(session)) {
    // A connection runs one statement at a time: the client gave up on the first one (its
    // deadline passed) and must not reuse the connection before the server has answered it.
    reply(Error{ErrorCode::kProtocol,
                "session " + std::to_string(session) +
                    " is already waiting for a lock: a connection runs one statement at a time"});
    return;
  }
  const std::uint64_t ticket = next_ticket_++;
  const World::EventId timeout = host_.world().schedule_after(
      host_.clock().to_true(wait), host_.id(),
      [this, id, ticket, wait] { wait_expired(id, ticket, wait); });
  waiting_[id].push_back(Waiter{session, ticket, std::move(reply), timeout});
}

void PgNode::wait_expired(locks::AdvisoryLockId id, std::uint64_t ticket, Duration wait) {
  const auto queue = waiting_.find(id);
  if (queue == waiting_.end()) return;
  std::deque<Waiter>& waiters = queue->second;
  const auto it = std::find_if(waiters.begin(), waiters.end(),
                               [ticket](const Waiter& w) { return w.ticket == ticket; });
  if (it == waiters.end()) return;
  Reply<bool> reply = std::move(it->reply);
  waiters.erase(it);
  if (waiters.empty()) waiting_.erase(queue);
  reply(locks::lock_wait_ran_out(id, std::chrono::duration_cast<std::chrono::milliseconds>(wait)));
}

void PgNode::grant_next(locks::AdvisoryLockId id) {
  const auto queue = waiting_.find(id);
  if (queue == waiting_.end()) return;
  Waiter next = std::move(queue->second.front());
  queue->second.pop_front();
  if (queue->second.empty()) waiting_.erase(queue);
  host_.world().cancel(next.timeout);
  // A waiter's session is alive: end_sessions() takes its waiters out of every queue.
  const bool granted = holds_.emplace(id, Hold{next.session, 1}).second;
  FAULTLINE_INVARIANT(granted, "a lock is granted to a waiter only once it is free");
  report(LockEvent::Kind::kGranted, next.session, sessions_.at(next.session), id);
  next.reply(true);
}

bool PgNode::waiting(SessionId session) const {
  return std::any_of(waiting_.begin(), waiting_.end(), [session](const auto& queue) {
    return std::any_of(queue.second.begin(), queue.second.end(),
                       [session](const Waiter& w) { return w.session == session; });
  });
}

void PgNode::drop_waiters() {
  // Moved out first: destroying a caller's coroutine may run code that reaches this node.
  std::map<locks::AdvisoryLockId, std::deque<Waiter>> dropped = std::move(waiting_);
  waiting_.clear();
  for (auto& [id, waiters] : dropped) {
    for (Waiter& w : waiters) host_.world().cancel(w.timeout);
  }
}

Result<bool> PgNode::unlock(SessionId session, locks::AdvisoryLockId id) {
  if (!alive(session)) return session_terminated();
  auto it = holds_.find(id);
  if (it == holds_.end() || it->second.session != session) return false;
  if (--it->second.count == 0) {
    holds_.erase(it);
    report(LockEvent::Kind::kReleased, session, sessions_.at(session), id);
    grant_next(id);
  }
  return true;
}

Result<locks::FencingToken> PgNode::next_token(SessionId session, const std::string& key) {
  // INSERT ... ON CONFLICT (key) DO UPDATE SET token = token + 1 RETURNING token
  return transaction(session, [&key](PgDatabase& db) -> Result<locks::FencingToken> {
    PgTable& fencing = db.table(kFencing);
    if (fencing.insert(key, PgRow{{"token", "1"}})) return locks::FencingToken{1};
    const locks::FencingToken token = std::stoull(fencing.find(key)->at("token")) + 1;
    fencing.update(key, "token", std::to_string(token));
    return token;
  });
}

void PgNode::close_session(SessionId session) { end_sessions({session}); }

void PgNode::terminate_sessions_of(ProcessId client) {
  std::vector<SessionId> ending;
  for (const auto& [session, owner] : sessions_) {
    if (owner == client) ending.push_back(session);
  }
  end_sessions(ending);
}

void PgNode::half_open(ProcessId client) {
  std::vector<SessionId> orphaned;
  for (const auto& [session, owner] : sessions_) {
    if (owner == client) orphaned.push_back(session);
  }
  if (orphaned.empty()) return;
  // The node's own event: a node crash before then ends every session anyway, and discards it.
  host_.world().schedule_after(keepalive_.detection(), host_.id(),
                               [this, orphaned = std::move(orphaned)] {
                                 end_sessions(orphaned);
                               });
}

void PgNode::watch(Network& network) {
  Network* net = &network;
  network.on_cut([this, net](ProcessId from, ProcessId to) {
    if (from != host_.id() && to != host_.id()) return;
    const ProcessId client = from == host_.id() ? to : from;
    if (client == host_.id() || client == kWorldProcess) return;
    const SimTime cut_at = host_.world().now();
    // Probes go unanswered from the cut on; if it still holds, unbroken, when the last probe
    // gives up, the connection is dropped. A cut that healed (or healed and came back) counts
    // from its own start and its own check.
    host_.world().schedule_after(keepalive_.detection(), host_.id(), [this, net, from, to, client,
                                                                      cut_at] {
      const std::optional<SimTime> since = net->blocked_since(from, to);
      if (since && *since == cut_at) terminate_sessions_of(client);
    });
  });
}

void PgNode::end_sessions(const std::vector<SessionId>& sessions) {
  // All of them end before any lock they held is handed on: a waiter among them (a node crash
  // ends every session) must not be granted a lock its own session is about to give back.
  std::vector<std::pair<SessionId, ProcessId>> ended;
  std::vector<Reply<bool>> stopped;
  for (const SessionId session : sessions) {
    const auto found = sessions_.find(session);
    if (found == sessions_.end()) continue;  // ended already: it holds nothing
    ended.emplace_back(session, found->second);
    sessions_.erase(found);
    for (Reply<bool>& reply : stop_waiting(session)) stopped.push_back(std::move(reply));
  }
  std::vector<locks::AdvisoryLockId> released;
  for (const auto& [session, client] : ended) {
    for (auto it = holds_.begin(); it != holds_.end();) {
      if (it->second.session != session) {
        ++it;
        continue;
      }
      released.push_back(it->first);
      it = holds_.erase(it);
      report(LockEvent::Kind::kReleased, session, client, released.back());
    }
  }
  for (const locks::AdvisoryLockId id : released) grant_next(id);
  for (Reply<bool>& reply : stopped) reply(session_terminated());
}

std::vector<Reply<bool>> PgNode::stop_waiting(SessionId session) {
  std::vector<Reply<bool>> stopped;
  for (auto queue = waiting_.begin(); queue != waiting_.end();) {
    std::deque<Waiter>& waiters = queue->second;
    for (auto it = waiters.begin(); it != waiters.end();) {
      if (it->session != session) {
        ++it;
        continue;
      }
      host_.world().cancel(it->timeout);
      stopped.push_back(std::move(it->reply));
      it = waiters.erase(it);
    }
    queue = waiters.empty() ? waiting_.erase(queue) : std::next(queue);
  }
  return stopped;
}

void PgNode::report(LockEvent::Kind kind, SessionId session, ProcessId client,
                    locks::AdvisoryLockId id) {
  if (!lock_observer_) return;
  const std::string key = std::to_string(id);
  const std::string owner = host_.world().process(client).name();
  lock_observer_(LockEvent{.kind = kind,
                           .key = key,
                           .owner = owner,
                           .token = session,
                           .at = host_.clock().wall_now(),
                           .expires_at = std::nullopt});
}

SessionId PgNode::holder(locks::AdvisoryLockId id) const {
  auto it = holds_.find(id);
  return it == holds_.end() ? 0 : it->second.session;
}

}  // namespace faultline::sim
