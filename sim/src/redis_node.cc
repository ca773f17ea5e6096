#include "faultline/sim/redis_node.h"


#include "faultline/sim/rpc.h"
#include "faultline/invariant.h"

namespace faultline::sim {
namespace {

// Redis keeps time in whole milliseconds: PEXPIRE stores now_ms + ttl_ms, and a key is expired
// once now_ms > that (not >=). The model does the same, so boundaries match the real server.
WallTime whole_ms(WallTime t) { return std::chrono::floor<std::chrono::milliseconds>(t); }

}  // namespace

RedisNode::RedisNode(Process& host) : host_(host) {
  host_.on_crash([this](Process&, bool persist) {
    if (replica_lag_) {  // failover: the replica, with what had reached it, takes over
      if (data_loss_note_) {
        data_loss_note_("fails over to its replica, " +
                        std::to_string(replica_lag_->count() / 1'000'000) +
                        "ms behind: the newest writes are lost");
      }
      ++replication_epoch_;
      locks_ = replica_locks_;
      counters_ = replica_counters_;
    } else if (!persist) {
      locks_.clear();
      counters_.clear();
    } else if (fsync_period_) {
      restore_flushed();
    }
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
  flushed_locks_ = locks_;
  flushed_counters_ = counters_;
}

void RedisNode::flush_due() {
  if (!fsync_period_) return;
  const std::int64_t periods = (host_.world().now() - SimTime{}) / *fsync_period_;
  if (periods == flushed_periods_) return;
  flushed_periods_ = periods;
  flushed_locks_ = locks_;
  flushed_counters_ = counters_;
}

void RedisNode::restore_flushed() {
  flush_due();
  std::string lost;
  for (const auto& [name, value] : counters_) {
    auto it = flushed_counters_.find(name);
    const locks::FencingToken kept = it == flushed_counters_.end() ? 0 : it->second;
    if (kept != value) {
      lost += " " + name + " " + std::to_string(value) + " -> " + std::to_string(kept) + ";";
    }
  }
  if (data_loss_note_ && (!lost.empty() || locks_ != flushed_locks_)) {
    data_loss_note_("restarts from its AOF (appendfsync everysec): the writes since the last "
                    "flush are lost; counters roll back:" +
                    (lost.empty() ? std::string(" none") : lost));
  }
  locks_ = flushed_locks_;
  counters_ = flushed_counters_;
}

WallTime RedisNode::now_ms() const { return whole_ms(host_.clock().wall_now()); }

void RedisNode::replicate() {
  if (!replica_lag_) return;
  const std::uint64_t epoch = replication_epoch_;
  host_.world().schedule_after(
      *replica_lag_, kWorldProcess,
      [this, epoch, locks = locks_, counters = counters_]() mutable {
        if (epoch != replication_epoch_) return;  // shipped by a primary that failed over
        replica_locks_ = std::move(locks);
        replica_counters_ = std::move(counters);
      });
}

RedisNode::Lock* RedisNode::live(std::string_view key) {
  auto it = locks_.find(key);
  if (it == locks_.end()) return nullptr;
  if (now_ms() > it->second.expires_at) {
    locks_.erase(it);
    return nullptr;
  }
  return &it->second;
}

locks::AcquireReply RedisNode::acquire(std::string_view key, std::string_view owner,
                                       Duration ttl) {
  flush_due();
  const WallTime expires_at = now_ms() + ttl;
  if (Lock* lock = live(key)) {
    if (lock->owner != owner) return {false, 0};
    lock->expires_at = expires_at;  // idempotent re-acquire by the same owner
    replicate();
    return {true, lock->token};
  }
  const locks::FencingToken token = incr(locks::fence_key(key));
  locks_.insert_or_assign(std::string(key), Lock{std::string(owner), token, expires_at});
  replicate();
  return {true, token};
}

bool RedisNode::release(std::string_view key, std::string_view owner) {
  flush_due();
  Lock* lock = live(key);
  if (lock == nullptr || lock->owner != owner) return false;
  locks_.erase(locks_.find(key));
  replicate();
  return true;
}

bool RedisNode::extend(std::string_view key, std::string_view owner, Duration ttl) {
  flush_due();
  Lock* lock = live(key);
  if (lock == nullptr || lock->owner != owner) return false;
  lock->expires_at = now_ms() + ttl;
  replicate();
  return true;
}

locks::FencingToken RedisNode::incr(std::string_view counter) {
  flush_due();
  auto it = counters_.find(counter);
  if (it == counters_.end()) it = counters_.emplace(std::string(counter), 0).first;
  const locks::FencingToken token = ++it->second;
  replicate();
  return token;
}

bool RedisNode::remove(std::string_view key) {
  flush_due();
  if (live(key) == nullptr) return false;
  locks_.erase(locks_.find(key));
  replicate();
  return true;
}

std::string RedisNode::holder(std::string_view key) {
  Lock* lock = live(key);
  return lock == nullptr ? std::string() : lock->owner;
}

// ---- SimLockStore ---------------------------------------------------------------------------

Task<Result<locks::AcquireReply>> SimLockStore::acquire(std::string_view key,
                                                        std::string_view owner, Duration ttl,
                                                        Duration timeout) {
  if (auto r = locks::validate_request(key, owner, ttl, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  // Named locals, not temporaries inside co_await: g++ 12 destroys non-trivial temporaries
  // of a co_await operand twice.
  auto op = [node, key = std::string(key), owner = std::string(owner), ttl]() {
    return Result<locks::AcquireReply>(node->acquire(key, owner, ttl));
  };
  auto reply = call<locks::AcquireReply>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<bool>> SimLockStore::release(std::string_view key, std::string_view owner,
                                         Duration timeout) {
  if (auto r = locks::validate_request(key, owner, std::nullopt, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  // Named locals, not temporaries inside co_await: g++ 12 destroys non-trivial temporaries
  // of a co_await operand twice.
  auto op = [node, key = std::string(key), owner = std::string(owner)]() {
    return Result<bool>(node->release(key, owner));
  };
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<bool>> SimLockStore::extend(std::string_view key, std::string_view owner,
                                        Duration ttl, Duration timeout) {
  if (auto r = locks::validate_request(key, owner, ttl, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  // Named locals, not temporaries inside co_await: g++ 12 destroys non-trivial temporaries
  // of a co_await operand twice.
  auto op = [node, key = std::string(key), owner = std::string(owner), ttl]() {
    return Result<bool>(node->extend(key, owner, ttl));
  };
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<locks::FencingToken>> SimLockStore::next_fencing_token(std::string_view key,
                                                                   Duration timeout) {
  if (auto r = locks::validate_request(key, std::nullopt, std::nullopt, timeout); !r) {
    co_return std::move(r).error();
  }
  RedisNode* node = &node_;
  // Named locals, not temporaries inside co_await: g++ 12 destroys non-trivial temporaries
  // of a co_await operand twice.
  auto op = [node, counter = locks::fence_key(key)]() {
    return Result<locks::FencingToken>(node->incr(counter));
  };
  auto reply = call<locks::FencingToken>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

}  // namespace faultline::sim
