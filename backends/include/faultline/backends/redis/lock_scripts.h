// The Lua scripts behind RedisLockStore. Each runs atomically on the server, which is what makes
// each LockStore operation one indivisible step. The simulator's RedisNode models exactly these.
//
// KEYS[1] is the lock key: a hash {owner = <owner token>, token = <fencing token>} with a TTL.
// KEYS[2] is the fencing counter, locks::fence_key(KEYS[1]): a plain integer, never expired, so
// tokens keep increasing across acquisitions for as long as the server keeps its data. It hashes
// to KEYS[1]'s Redis Cluster slot, and every key a script touches is declared in KEYS, so the
// scripts also run on a cluster.
// ARGV[1] is the owner token; ARGV[2] the ttl in whole milliseconds.
//
// Tokens travel as Lua numbers (doubles), so they are exact up to 2^53.
#pragma once

#include <string_view>

namespace faultline::backends::redis::lock_scripts {

// Returns the fencing token (> 0) when ARGV[1] now holds the lock, 0 when another owner does.
// A free lock gets the next token; a re-acquire by the holder refreshes the ttl and returns the
// token it already has (so a retry after an unknown outcome is harmless).
inline constexpr std::string_view kAcquire = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then
  local token = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return token
end
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('HGET', KEYS[1], 'token'))
end
return 0
)lua";

// Returns 1 and deletes the lock when ARGV[1] holds it, else 0.
inline constexpr std::string_view kRelease = R"lua(
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
)lua";

// Returns 1 and resets the ttl to ARGV[2] ms when ARGV[1] holds the lock, else 0.
inline constexpr std::string_view kExtend = R"lua(
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
)lua";

// The fencing counter's key is locks::fence_key(key), passed in as KEYS[2].

}  // namespace faultline::backends::redis::lock_scripts
