#include "faultline/sim/redis_locks.h"

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "faultline/sim/rpc.h"

namespace faultline::sim {
namespace {

constexpr std::string_view kOwner = "owner";
constexpr std::string_view kToken = "token";

// A request's key and owner as its op keeps them until the server runs it (the caller's views
// may be gone by then). Inline up to 56 bytes together: the usual request (a short key and a
// 32-character owner) then allocates nothing, and each move that carries the op into its call
// copies a fixed array. Longer ones go to the heap.
class KeyAndOwner {
 public:
  KeyAndOwner(std::string_view key, std::string_view owner)
      : key_size_(key.size()), size_(key.size() + owner.size()) {
    char* out = inline_.data();
    if (size_ > inline_.size()) {
      heap_ = std::make_unique<char[]>(size_);
      out = heap_.get();
    }
    std::memcpy(out, key.data(), key.size());
    std::memcpy(out + key.size(), owner.data(), owner.size());
  }
  KeyAndOwner(const KeyAndOwner& other) : KeyAndOwner(other.key(), other.owner()) {}
  // Leaves `other` empty (a key and an owner of no bytes), not pointing past its inline bytes.
  KeyAndOwner(KeyAndOwner&& other) noexcept
      : inline_(other.inline_),
        heap_(std::move(other.heap_)),
        key_size_(std::exchange(other.key_size_, 0)),
        size_(std::exchange(other.size_, 0)) {}
  KeyAndOwner& operator=(const KeyAndOwner&) = delete;
  KeyAndOwner& operator=(KeyAndOwner&&) = delete;

  [[nodiscard]] std::string_view key() const noexcept { return {data(), key_size_}; }
  [[nodiscard]] std::string_view owner() const noexcept {
    return {data() + key_size_, size_ - key_size_};
  }

 private:
  [[nodiscard]] const char* data() const noexcept { return heap_ ? heap_.get() : inline_.data(); }

  std::array<char, 56> inline_{};
  std::unique_ptr<char[]> heap_;  // when key and owner do not fit inline_
  std::size_t key_size_;
  std::size_t size_;
};

// The token a lock hash stores (written by acquire, so always a number).
locks::FencingToken stored_token(RedisKeyspace& keys, std::string_view key) {
  const std::string* token = keys.hget(key, kToken);
  return token == nullptr ? 0 : static_cast<locks::FencingToken>(std::stoull(*token));
}

// Whether the lock hash under `key` is there and names `owner`.
bool owned_by(RedisKeyspace& keys, std::string_view key, std::string_view owner) {
  const std::string* holder = keys.hget(key, kOwner);
  return holder != nullptr && *holder == owner;
}

// Tells the node's lock observer, if any, of a change to the lock under `key` (lock_events.h):
// its token is `token`, or else read (peeked: no command) from the hash, which is still there.
void report(RedisNode& node, const RedisKeyspace& keys, LockEvent::Kind kind,
            std::string_view key, std::string_view owner,
            std::optional<locks::FencingToken> token = std::nullopt) {
  const LockObserver& observer = node.lock_observer();
  if (!observer) return;
  if (!token) {
    const std::string* stored = keys.peek_hget(key, kToken);
    token = stored == nullptr ? 0 : static_cast<locks::FencingToken>(std::stoull(*stored));
  }
  observer(LockEvent{.kind = kind,
                     .key = key,
                     .owner = owner,
                     .token = *token,
                     .at = keys.now(),
                     .expires_at = kind == LockEvent::Kind::kReleased ? std::nullopt
                                                                      : keys.expiry(key)});
}

}  // namespace

// As lock_scripts.h's acquire: take a free key with a fresh token; the same owner re-acquiring
// extends and keeps its token; anyone else is refused.
locks::AcquireReply RedisLocks::acquire(std::string_view key, std::string_view owner,
                                        Duration ttl) {
  return node_.step([&](RedisKeyspace& keys) -> locks::AcquireReply {
    const std::string* holder = keys.hget(key, kOwner);
    if (holder == nullptr) {  // every lock hash has an owner: the key is free
      const auto token = static_cast<locks::FencingToken>(keys.incrby(locks::fence_key(key), 1));
      keys.hset(key, kOwner, std::string(owner));
      keys.hset(key, kToken, std::to_string(token));
      keys.pexpire(key, ttl);
      report(node_, keys, LockEvent::Kind::kGranted, key, owner, token);
      return {true, token};
    }
    if (*holder != owner) return {false, 0};
    keys.pexpire(key, ttl);
    report(node_, keys, LockEvent::Kind::kExtended, key, owner);
    return {true, stored_token(keys, key)};
  });
}

bool RedisLocks::release(std::string_view key, std::string_view owner) {
  return node_.step([&](RedisKeyspace& keys) {
    if (!node_.lock_observer()) return owned_by(keys, key, owner) && keys.del(key);
    if (!owned_by(keys, key, owner)) return false;
    const locks::FencingToken token = stored_token(keys, key);  // before the DEL drops it
    if (!keys.del(key)) return false;
    report(node_, keys, LockEvent::Kind::kReleased, key, owner, token);
    return true;
  });
}

bool RedisLocks::extend(std::string_view key, std::string_view owner, Duration ttl) {
  return node_.step([&](RedisKeyspace& keys) {
    if (!owned_by(keys, key, owner) || !keys.pexpire(key, ttl)) return false;
    report(node_, keys, LockEvent::Kind::kExtended, key, owner);
    return true;
  });
}

locks::FencingToken RedisLocks::incr(std::string_view counter) {
  return node_.step([&](RedisKeyspace& keys) {
    return static_cast<locks::FencingToken>(keys.incrby(counter, 1));
  });
}

bool RedisLocks::remove(std::string_view key) {
  return node_.step([&](RedisKeyspace& keys) {
    if (!node_.lock_observer()) return keys.del(key);
    // Peeked before the DEL, which drops the hash: only an observer pays for the copies.
    const std::string* holder = keys.peek_hget(key, kOwner);
    const std::string owner = holder == nullptr ? std::string() : *holder;
    const std::string* stored = keys.peek_hget(key, kToken);
    const locks::FencingToken token = stored == nullptr ? 0 : std::stoull(*stored);
    if (!keys.del(key)) return false;
    report(node_, keys, LockEvent::Kind::kReleased, key, owner, token);
    return true;
  });
}

std::optional<RedisLocks::Holder> RedisLocks::peek_holder(const RedisKeyspace& data,
                                                          std::string_view key) {
  const std::string* owner = data.peek_hget(key, kOwner);
  if (owner == nullptr) return std::nullopt;
  const std::string* token = data.peek_hget(key, kToken);
  return Holder{*owner, token == nullptr ? 0 : std::stoull(*token), data.expiry(key)};
}

std::string RedisLocks::holder(std::string_view key) {
  return node_.step([&](RedisKeyspace& keys) {
    const std::string* holder = keys.hget(key, kOwner);
    return holder == nullptr ? std::string() : *holder;
  });
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
  auto op = [node, args = KeyAndOwner(key, owner), ttl]() {
    return Result<locks::AcquireReply>(RedisLocks(*node).acquire(args.key(), args.owner(), ttl));
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
  auto op = [node, args = KeyAndOwner(key, owner)]() {
    return Result<bool>(RedisLocks(*node).release(args.key(), args.owner()));
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
  auto op = [node, args = KeyAndOwner(key, owner), ttl]() {
    return Result<bool>(RedisLocks(*node).extend(args.key(), args.owner(), ttl));
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
    return Result<locks::FencingToken>(RedisLocks(*node).incr(counter));
  };
  auto reply = call<locks::FencingToken>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

}  // namespace faultline::sim
