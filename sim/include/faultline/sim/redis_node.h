// RedisNode: a simulated Redis server holding lease locks, and SimLockStore, a client of it.
//
// The node implements the LockStore operations with exactly the semantics of the Lua scripts in
// backends/redis (the conformance suite checks both): each is one atomic step, and keys expire
// on the node's own *wall* clock (ProcessClock::wall_now()), as Redis does, so skew, drift and
// steps of the node's clock, backwards too, change when a lease ends. Expiry is checked on
// access, as an absolute wall-clock time in whole milliseconds (as Redis stores it).
//
// Crash: without persistence the node restarts empty: it forgets every lock *and* every fencing
// counter, so it may grant a held lock again and issue smaller tokens than before. With
// persistence the data survives as the node's AOF policy allows:
//   - appendfsync always (the default): every write was on disk before its reply; nothing is
//     lost;
//   - appendfsync everysec (enable_aof_everysec): the AOF reaches the disk once a period, so a
//     restart loses every write since the last flush; counters roll back to an earlier value
//     and the next INCR hands out a token that was already issued.
//
// Ownership: the node hooks itself into its host process's crash; both must outlive the World's
// run. Thread-safety: none.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "faultline/locks/lock_store.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

class RedisNode {
 public:
  explicit RedisNode(Process& host);
  RedisNode(const RedisNode&) = delete;
  RedisNode& operator=(const RedisNode&) = delete;

  [[nodiscard]] Process& host() noexcept { return host_; }

  // Gives the node an asynchronously replicated replica, `lag` behind. A crash of the node is
  // then a failover: the replica is promoted with whatever had reached it, so the writes of the
  // last `lag` (locks granted, tokens issued) are lost, whatever `persist` says.
  void enable_replica(Duration lag);
  // appendfsync everysec: the AOF reaches the disk every `period` of true time (Redis: one
  // second), and a crash that keeps data restarts from the last flush, losing the writes since.
  // period > 0. Without this call, persistence is appendfsync always.
  void enable_aof_everysec(Duration period);
  // Told, in words, when a crash loses acknowledged writes (a failover promotes a lagging
  // replica, or a restart from an AOF misses its unflushed tail), for a run's history.
  void on_data_loss(std::function<void(const std::string&)> note) { data_loss_note_ = std::move(note); }

  // The atomic steps; arguments are assumed valid (the client validated them).
  [[nodiscard]] locks::AcquireReply acquire(std::string_view key, std::string_view owner,
                                            Duration ttl);
  [[nodiscard]] bool release(std::string_view key, std::string_view owner);
  [[nodiscard]] bool extend(std::string_view key, std::string_view owner, Duration ttl);
  [[nodiscard]] locks::FencingToken incr(std::string_view counter);

  // DEL: removes `key` whoever holds it. Not a LockStore operation on purpose (release must
  // check the owner); here for the scenario that shows why.
  [[nodiscard]] bool remove(std::string_view key);

  // Who holds `key` now, or "" (for checkers and tests).
  [[nodiscard]] std::string holder(std::string_view key);

 private:
  struct Lock {
    std::string owner;
    locks::FencingToken token = 0;
    WallTime expires_at{};  // on the node's wall clock, whole milliseconds
    bool operator==(const Lock&) const = default;
  };
  // The live lock under `key`, after dropping it if it has expired.
  Lock* live(std::string_view key);

  // After every write: ships the node's state to the replica, arriving `replica_lag_` later.
  void replicate();
  // Before every write: if an AOF flush fell due since the last write, the state as it is now
  // (unchanged since that flush) is what reached the disk. Lazy, so the node schedules nothing.
  void flush_due();
  // A crash with persistence under appendfsync everysec: back to what the last flush saved.
  void restore_flushed();
  [[nodiscard]] WallTime now_ms() const;

  Process& host_;
  std::map<std::string, Lock, std::less<>> locks_;
  std::map<std::string, locks::FencingToken, std::less<>> counters_;
  std::optional<Duration> replica_lag_;
  std::function<void(const std::string&)> data_loss_note_;
  std::uint64_t replication_epoch_ = 0;  // a failover discards what the old primary still ships
  std::map<std::string, Lock, std::less<>> replica_locks_;
  std::map<std::string, locks::FencingToken, std::less<>> replica_counters_;
  std::optional<Duration> fsync_period_;  // set: appendfsync everysec
  std::int64_t flushed_periods_ = 0;       // flushes done: the last one at this many periods
  std::map<std::string, Lock, std::less<>> flushed_locks_;
  std::map<std::string, locks::FencingToken, std::less<>> flushed_counters_;
};

// A LockStore for one client process talking to one RedisNode over the simulated network.
class SimLockStore final : public locks::LockStore {
 public:
  SimLockStore(Network& network, Process& client, RedisNode& node)
      : network_(network), client_(client), node_(node) {}

  Task<Result<locks::AcquireReply>> acquire(std::string_view key, std::string_view owner,
                                            Duration ttl, Duration timeout) override;
  Task<Result<bool>> release(std::string_view key, std::string_view owner,
                             Duration timeout) override;
  Task<Result<bool>> extend(std::string_view key, std::string_view owner, Duration ttl,
                            Duration timeout) override;
  Task<Result<locks::FencingToken>> next_fencing_token(std::string_view key,
                                                       Duration timeout) override;

 private:
  Network& network_;
  Process& client_;
  RedisNode& node_;
};

}  // namespace faultline::sim
