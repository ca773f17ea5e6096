#include "faultline/sim/redis_node.h"

#include "faultline/invariant.h"

namespace faultline::sim {

RedisNode::RedisNode(Process& host) : host_(host) {
  host_.on_crash([this](Process&, bool persist) {
    if (replica_lag_) {
      fail_over();
    } else if (!persist) {
      keyspace_ = RedisKeyspace{};
    } else if (fsync_period_) {
      restore_flushed();
    } else {
      return;  // appendfsync always: the data survives as it was
    }
    report_data_replaced();
  });
}

void RedisNode::enable_replica(Duration lag) {
  FAULTLINE_INVARIANT(lag >= Duration::zero(), "a replica's lag is a duration, never negative");
  replica_lag_ = lag;
}

void RedisNode::enable_aof_everysec(Duration period) {
  FAULTLINE_INVARIANT(period > Duration::zero(), "an fsync period must be positive");
  fsync_period_ = period;
  flushed_periods_ = (host_.world().now() - SimTime{}) / period;
  flushed_ = keyspace_;
}

void RedisNode::begin_step() {
  flush_due();
  // Redis keeps time in whole milliseconds, and a script sees one time throughout.
  keyspace_.set_now(std::chrono::floor<std::chrono::milliseconds>(host_.clock().wall_now()));
}

void RedisNode::end_step() {
  if (keyspace_.take_dirty()) replicate();
}

void RedisNode::flush_due() {
  if (!fsync_period_) return;
  const std::int64_t periods = (host_.world().now() - SimTime{}) / *fsync_period_;
  if (periods == flushed_periods_) return;
  flushed_periods_ = periods;
  flushed_ = keyspace_;
}

void RedisNode::fail_over() {
  if (data_loss_note_) {
    data_loss_note_("fails over to its replica, " +
                    std::to_string(replica_lag_->count() / 1'000'000) +
                    "ms behind: the newest writes are lost");
  }
  ++replication_epoch_;
  keyspace_ = replica_;
}

void RedisNode::report_data_replaced() {
  if (!lock_observer_) return;
  LockEvent event;
  event.kind = LockEvent::Kind::kDataReplaced;
  event.at = std::chrono::floor<std::chrono::milliseconds>(host_.clock().wall_now());
  event.data = &keyspace_;
  lock_observer_(event);
}

void RedisNode::restore_flushed() {
  flush_due();
  keyspace_.set_now(std::chrono::floor<std::chrono::milliseconds>(host_.clock().wall_now()));
  flushed_.set_now(keyspace_.now());
  const auto kept = flushed_.strings();
  std::string lost;
  for (const auto& [name, value] : keyspace_.strings()) {
    auto it = kept.find(name);
    const std::string before = it == kept.end() ? "0" : it->second;
    if (before != value) lost += " " + name + " " + value + " -> " + before + ";";
  }
  if (data_loss_note_ && (!lost.empty() || !keyspace_.same_data(flushed_))) {
    data_loss_note_("restarts from its AOF (appendfsync everysec): the writes since the last "
                    "flush are lost; counters roll back:" +
                    (lost.empty() ? std::string(" none") : lost));
  }
  keyspace_ = flushed_;
}

void RedisNode::replicate() {
  if (!replica_lag_) return;
  const std::uint64_t epoch = replication_epoch_;
  host_.world().schedule_after(*replica_lag_, kWorldProcess,
                               [this, epoch, data = keyspace_]() mutable {
                                 if (epoch != replication_epoch_) return;  // old primary's
                                 replica_ = std::move(data);
                               });
}

}  // namespace faultline::sim
