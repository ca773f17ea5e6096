// RedisKeyspace: the data of a simulated Redis server, with Redis's own semantics for the
// commands the patterns' scripts use: strings (GET, SET, INCRBY), hashes (HGET, HSET), key expiry
// (PEXPIRE, PTTL) and DEL.
//
// Time: every key's expiry is an absolute wall-clock time in whole milliseconds, as Redis stores
// it (PEXPIRE sets now_ms + ttl_ms), and a key is expired once now_ms > that (not >=). The
// keyspace does not read a clock: its owner (RedisNode) sets `now` at the start of each atomic
// step, so time stands still during a step, as it does inside a Redis Lua script.
//
// Expiry is lazy, as Redis's on access: a read of an expired key removes it. Removing an expired
// key is not a write (a replica holding the same key expires it at the same time).
//
// Errors: a command on a key of the other type (HGET on a string, INCRBY on a hash or on a
// string that is not an integer) is Redis's WRONGTYPE / "not an integer" error. The scripts of
// this project never provoke them, so here they are model bugs: FAULTLINE_INVARIANT fails.
//
// Thread-safety: none. Copyable: a copy is a snapshot (an AOF on disk, a replica's data).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <utility>

#include "faultline/sim/world.h"

namespace faultline::sim {

class RedisKeyspace {
 public:
  using Hash = std::map<std::string, std::string, std::less<>>;

  // Set by the node before each atomic step (whole milliseconds of its wall clock).
  void set_now(WallTime now) noexcept { now_ = now; }
  [[nodiscard]] WallTime now() const noexcept { return now_; }

  // ---- reads (a missing or expired key reads as absent) ----
  // get and hget return the stored value, or nullptr; the pointer is valid until the next
  // write to the keyspace (within one step, then: copy what outlives it).
  [[nodiscard]] bool exists(std::string_view key);
  [[nodiscard]] const std::string* get(std::string_view key);
  [[nodiscard]] const std::string* hget(std::string_view key, std::string_view field);
  // SCAN with MATCH <prefix>*: up to `count` names (expired keys skipped, not dropped) after
  // `after` in name order ("" from the first), and whether any key lies beyond the last one
  // examined. The cursor is the last name examined, so unlike Redis a page never repeats a key.
  struct ScanPage {
    std::vector<std::string> names;
    std::string last_examined;  // "" when nothing was examined
    bool more = false;
  };
  [[nodiscard]] ScanPage scan(std::string_view after, std::size_t count, std::string_view prefix) const;
  // PTTL: the time left, or nullopt for a missing key or a key without expiry.
  [[nodiscard]] std::optional<Duration> pttl(std::string_view key);

  // ---- peeks, for observers: const, and blind to expiry (an expired key not yet dropped
  // still shows; read expiry() to judge). Neither drops a key nor counts as a command. ----
  // The hash field's value, or nullptr (missing key or field, or the key is a string).
  [[nodiscard]] const std::string* peek_hget(std::string_view key, std::string_view field) const;
  // The key's expiry (whole ms of the node's wall clock), or nullopt: missing, or no expiry.
  [[nodiscard]] std::optional<WallTime> expiry(std::string_view key) const;

  // ---- writes ----
  // SET key value: replaces any value, and clears the key's expiry (as SET without KEEPTTL).
  void set(std::string_view key, std::string value);
  // HSET key field value: creates the hash if missing; keeps the key's expiry.
  void hset(std::string_view key, std::string_view field, std::string value);
  // INCRBY key by: a missing key counts from 0; keeps the key's expiry. Returns the new value.
  std::int64_t incrby(std::string_view key, std::int64_t by);
  // PEXPIRE key ttl: the key expires at now + ttl (whole ms). False when the key is missing.
  bool pexpire(std::string_view key, Duration ttl);
  // DEL key: true when a live key was removed.
  bool del(std::string_view key);

  // True when a write happened since the last call: the step must replicate and persist.
  [[nodiscard]] bool take_dirty() noexcept { return std::exchange(dirty_, false); }

  // The live string keys and their values, for the notes of a crash that loses writes.
  [[nodiscard]] std::map<std::string, std::string, std::less<>> strings();

  // Same data (expired keys not yet dropped count as data, so compare after access).
  [[nodiscard]] bool same_data(const RedisKeyspace& other) const { return keys_ == other.keys_; }

 private:
  struct Entry {
    std::variant<std::string, Hash> value;
    std::optional<WallTime> expires_at;  // whole ms of the node's wall clock
    bool operator==(const Entry&) const = default;
  };
  // The live entry under `key`, after dropping it if it has expired.
  Entry* live(std::string_view key);

  std::map<std::string, Entry, std::less<>> keys_;
  WallTime now_{};
  bool dirty_ = false;
};

}  // namespace faultline::sim
