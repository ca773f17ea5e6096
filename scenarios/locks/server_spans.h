// ServerSpans: the lock's grants as its servers saw them, recorded as spans of a run's History on
// each server's lane ("granted to client-3 token 7 (released)"), so that a replay's HTML picture
// draws grants and expiries on the server lanes beside the clients' own idea of their leases.
//
// It observes the nodes (RedisNode::set_lock_observer, PgNode::set_lock_observer; the contract
// is lock_events.h's) and so never changes a run: it schedules nothing, draws nothing, reads no
// data through a command, and writes only spans, which are kept out of the trace. The lock
// scenarios create one only for a run that renders a timeline.
//
// A grant's span runs, in true time, from the step that granted it to the first of:
//   - its expiry: the moment the node's wall clock passes the key's expiry (Redis keeps a key
//     through its expiry millisecond), converted to true time at the node's rate when last told
//     (ProcessClock::to_true); an extension moves it; a later event on the node whose wall clock
//     is already past it (a clock step forward) ends it there at the latest;
//   - its release (owner-checked, a DEL, the end of the PostgreSQL session holding it);
//   - a crash that replaced the node's data without it (restart without persistence, failover to
//     a replica it had not reached, an AOF restart that lost it);
//   - a new grant of the same key on the same node (the old hold had lapsed);
//   - for a hold without expiry (PostgreSQL), the run's end.
// A label names the holder's client once an acquire returned a lease with that owner
// (name_owner); an owner no lease came from (a lost reply, a failed Redlock round) is not named,
// and owner strings, which are secrets, are never shown.
//
// Ownership: borrows the History and the nodes; detaches from the nodes when destroyed, so it
// may die before them (not after). Thread-safety: none.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "faultline/locks/lock_store.h"
#include "faultline/sim/history.h"
#include "faultline/sim/lock_events.h"
#include "faultline/sim/pg_node.h"
#include "faultline/sim/redis_node.h"
#include "faultline/sim/topology.h"

namespace faultline::scenarios {

class ServerSpans {
 public:
  explicit ServerSpans(sim::History& history) : history_(history) {}
  ~ServerSpans();
  ServerSpans(const ServerSpans&) = delete;
  ServerSpans& operator=(const ServerSpans&) = delete;

  // A ServerSpans watching the nodes named `nodes` of `topology` (PostgreSQL nodes when
  // `postgres`, else Redis) when `wanted`; else null, and nothing is observed.
  [[nodiscard]] static std::unique_ptr<ServerSpans> watching(bool wanted, sim::History& history,
                                                             sim::Topology& topology,
                                                             std::span<const std::string> nodes,
                                                             bool postgres);

  void watch(sim::RedisNode& node);
  void watch(sim::PgNode& node);
  // A lease with owner string `owner` went to `client`: labels name it.
  void name_owner(const std::string& owner, const std::string& client);
  // Records every grant as a span: the ended ones, and the open ones up to their expiry (which
  // may lie past now) or, without one, to now. Call once, when the run is over.
  void finish();

 private:
  struct Hold {
    sim::ProcessId server = 0;
    std::string owner;
    locks::FencingToken token = 0;
    bool session = false;  // a PostgreSQL session's lock: the token is the session id
    sim::SimTime from{};
    std::optional<sim::SimTime> to;       // the expiry in true time, or the hold's end
    std::optional<sim::WallTime> expires_at;   // on the node's wall clock
    std::string ended;                    // "released", ...; empty while open
  };
  using Where = std::pair<sim::ProcessId, std::string>;  // (server, key)

  void on_event(sim::Process& server, const sim::LockEvent& event);
  // The true time at which `server`'s wall clock passes `expires_at`, at its current rate.
  [[nodiscard]] sim::SimTime true_expiry(sim::Process& server, sim::WallTime expires_at) const;
  // Holds on `server` whose expiry its wall clock (at `at`) is already past: ended by now.
  void lapse(sim::Process& server, sim::WallTime at);
  void open(sim::Process& server, const sim::LockEvent& event);
  void close(const Where& where, std::string why);
  void data_replaced(sim::Process& server, const sim::LockEvent& event);
  [[nodiscard]] std::string label(const Hold& hold) const;

  sim::History& history_;
  std::vector<sim::RedisNode*> redis_;
  std::vector<sim::PgNode*> postgres_;
  std::map<Where, Hold> open_;
  std::vector<Hold> closed_;
  std::map<std::string, std::string> clients_;  // owner string -> client name
};

}  // namespace faultline::scenarios
