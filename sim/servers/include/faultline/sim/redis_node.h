// RedisNode: a simulated Redis server: a keyspace (RedisKeyspace) with expiry on the node's own
// wall clock, persistence, an optional asynchronous replica, and crash and failover. It knows no
// pattern: each family brings a command module that runs its atomic steps on the node through
// step() (the lock operations are one, RedisLocks in redis_locks.h), as the real backends run a
// Lua script or a single command.
//
// Time: the keyspace reads the node's *wall* clock (ProcessClock::wall_now()), in whole
// milliseconds, as Redis does, so skew, drift and steps of the node's clock, backwards too,
// change when keys expire. Time stands still during one step, as during a Lua script.
//
// Crash: without persistence the node restarts empty: every module loses everything (a lock
// module forgets locks *and* fencing counters). With persistence the data survives as the
// node's AOF policy allows:
//   - appendfsync always (the default): every write was on disk before its reply; nothing is
//     lost;
//   - appendfsync everysec (enable_aof_everysec): the AOF reaches the disk once a period, so a
//     restart loses every write since the last flush: counters roll back, and the next INCR
//     hands out a value that was already issued.
// With a replica, a crash is a failover: the replica is promoted with what had reached it.
//
// Ownership: the node hooks itself into its host process's crash (hooks append, so other models
// on the same process keep theirs); both must outlive the World's run. Thread-safety: none.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "faultline/sim/limit_events.h"
#include "faultline/sim/lock_events.h"
#include "faultline/sim/redis_keyspace.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

class RedisNode {
 public:
  explicit RedisNode(Process& host);
  RedisNode(const RedisNode&) = delete;
  RedisNode& operator=(const RedisNode&) = delete;

  [[nodiscard]] Process& host() noexcept { return host_; }
  // What the server holds now, for invariants that judge from the server's record (its peek
  // functions see without touching: no expiry, no command counted).
  [[nodiscard]] const RedisKeyspace& keyspace() const noexcept { return keyspace_; }

  // Gives the node an asynchronously replicated replica, `lag` behind. A crash of the node is
  // then a failover: the replica is promoted with whatever had reached it, so the writes of the
  // last `lag` are lost, whatever `persist` says.
  void enable_replica(Duration lag);
  // appendfsync everysec: the AOF reaches the disk every `period` of true time (Redis: one
  // second), and a crash that keeps data restarts from the last flush, losing the writes since.
  // period > 0. Without this call, persistence is appendfsync always.
  void enable_aof_everysec(Duration period);
  // Told, in words, when a crash loses acknowledged writes (a failover promotes a lagging
  // replica, or a restart from an AOF misses its unflushed tail), for a run's history.
  void on_data_loss(std::function<void(const std::string&)> note) { data_loss_note_ = std::move(note); }
  // Told of every lock grant, extension and release a lock module (RedisLocks) makes on this
  // node, and of a crash that replaced its data, under lock_events.h's contract (observing
  // never changes the run). Empty (the default): nothing is built or told.
  void set_lock_observer(LockObserver observer) { lock_observer_ = std::move(observer); }
  [[nodiscard]] const LockObserver& lock_observer() const noexcept { return lock_observer_; }
  // Told of every decision a rate-limit module (RedisLimits) makes on this node, under
  // limit_events.h's contract. Empty (the default): nothing is told.
  void set_limit_observer(LimitObserver observer) { limit_observer_ = std::move(observer); }
  [[nodiscard]] const LimitObserver& limit_observer() const noexcept { return limit_observer_; }

  // Runs `script` (a callable taking RedisKeyspace&) as one atomic step on the node, now, and
  // returns what it returns: the keyspace's clock is the node's wall clock for the whole step,
  // and if the script wrote, the step is replicated and persisted as one unit (as Redis does a
  // Lua script's effects). Called from the operation a simulated request runs on the node.
  template <class Script>
  auto step(Script&& script) {
    begin_step();
    if constexpr (std::is_void_v<std::invoke_result_t<Script, RedisKeyspace&>>) {
      std::forward<Script>(script)(keyspace_);
      end_step();
    } else {
      auto result = std::forward<Script>(script)(keyspace_);
      end_step();
      return result;
    }
  }

 private:
  void begin_step();
  void end_step();
  // After every write: ships the node's data to the replica, arriving `replica_lag_` later.
  void replicate();
  // Before every step: if an AOF flush fell due since the last write, the data as it is now
  // (unchanged since that flush) is what reached the disk. Lazy, so the node schedules nothing.
  void flush_due();
  // A crash with persistence under appendfsync everysec: back to what the last flush saved.
  void restore_flushed();
  void fail_over();
  // After a crash replaced keyspace_: tells the lock observer, if any.
  void report_data_replaced();

  Process& host_;
  RedisKeyspace keyspace_;
  std::optional<Duration> replica_lag_;
  std::function<void(const std::string&)> data_loss_note_;
  LockObserver lock_observer_;
  LimitObserver limit_observer_;
  std::uint64_t replication_epoch_ = 0;  // a failover discards what the old primary still ships
  RedisKeyspace replica_;
  std::optional<Duration> fsync_period_;  // set: appendfsync everysec
  std::int64_t flushed_periods_ = 0;       // flushes done: the last one at this many periods
  RedisKeyspace flushed_;
};

}  // namespace faultline::sim
