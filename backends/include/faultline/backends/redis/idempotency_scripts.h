// The Lua scripts behind RedisIdempotencyStore. Each runs atomically on the server, which is what
// makes each IdempotencyStore operation one indivisible step. The simulator's RedisIdempotency
// module (sim/servers/src/redis_idempotency.cc) models exactly these, field for field.
//
// KEYS[1] is the record, idempotency::record_key(id): a hash
//   fp           the request's fingerprint
//   state        in_progress | completed
//   point, data  the last recovery point and the data saved with it
//   owner        the holder's token ('' once completed)
//   lease_until  when the holder's lease lapses
//   created      when the record was created
//   expires      created + retention: from then on the record is absent (deleted when seen)
//   response     the final response (once completed)
// Times are whole milliseconds of the server's clock (TIME; Redis 7 replicates a script's
// effects, so reading the clock before writing is allowed), written as decimal integers. The
// hash also carries a PEXPIRE of the retention, set at creation, as a safety net: Redis deletes
// an expired record by itself, which is why reap has nothing to do.
//
// Every script is kPrelude followed by its body (RedisIdempotencyStore concatenates them).
// Lua strings are binary-safe, so data and responses may hold any bytes (NUL included). Times
// travel as Lua numbers (doubles): exact for any millisecond timestamp of this millennium.
#pragma once

#include <string_view>

namespace faultline::backends::redis::idempotency_scripts {

// now_ms(): the server's clock in ms. ms(n): n as a decimal integer string (not "1.7e+12").
// live(now): whether KEYS[1] exists within its retention; an expired record is deleted.
// held_by(owner, now): live, in progress, and `owner` holds it (lease lapsed or not).
inline constexpr std::string_view kPrelude = R"lua(
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ms(n)
  return string.format('%d', n)
end
local function live(now)
  if redis.call('EXISTS', KEYS[1]) == 0 then return false end
  if now < tonumber(redis.call('HGET', KEYS[1], 'expires') or '0') then return true end
  redis.call('DEL', KEYS[1])
  return false
end
local function held_by(owner, now)
  return live(now) and redis.call('HGET', KEYS[1], 'state') == 'in_progress'
      and redis.call('HGET', KEYS[1], 'owner') == owner
end
)lua";

// Outcome codes of kBegin's reply, in BeginOutcome's order.
inline constexpr int kStarted = 0;
inline constexpr int kResumed = 1;
inline constexpr int kInFlight = 2;
inline constexpr int kCompleted = 3;
inline constexpr int kMismatch = 4;

// ARGV: fingerprint, owner, lease ms, retention ms, idempotency::kStartedPoint.
// Returns {outcome code, point, data, response, lease_left_ms}; unused fields are '' and 0.
//   absent (or expired): created, in progress, leased to ARGV[2]  -> kStarted with ARGV[5]
//   another fingerprint                                           -> kMismatch, nothing changes
//   completed                                                     -> kCompleted with response
//   another owner's live lease                                    -> kInFlight with time left
//   otherwise (own lease, or a lapsed one): leased to ARGV[2]     -> kResumed with point, data
inline constexpr std::string_view kBegin = R"lua(
local now = now_ms()
if not live(now) then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'state', 'in_progress', 'point', ARGV[5],
             'data', '', 'created', ms(now), 'expires', ms(now + tonumber(ARGV[4])),
             'owner', ARGV[2], 'lease_until', ms(now + tonumber(ARGV[3])))
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {0, ARGV[5], '', '', 0}
end
local r = redis.call('HMGET', KEYS[1], 'fp', 'state', 'owner', 'lease_until', 'point', 'data',
                     'response')
if r[1] ~= ARGV[1] then return {4, '', '', '', 0} end
if r[2] == 'completed' then return {3, '', '', r[7] or '', 0} end
local left = tonumber(r[4] or '0') - now
if r[3] ~= ARGV[2] and left > 0 then return {2, '', '', '', left} end
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'lease_until', ms(now + tonumber(ARGV[3])))
return {1, r[5] or '', r[6] or '', '', 0}
)lua";

// ARGV: owner, point, data, lease ms. Returns 1 when saved and the lease renewed, 0 when ARGV[1]
// does not hold the record.
inline constexpr std::string_view kCheckpoint = R"lua(
local now = now_ms()
if not held_by(ARGV[1], now) then return 0 end
redis.call('HSET', KEYS[1], 'point', ARGV[2], 'data', ARGV[3], 'owner', ARGV[1],
           'lease_until', ms(now + tonumber(ARGV[4])))
return 1
)lua";

// ARGV: owner, response. Returns 1 when the record is now completed with ARGV[2], 0 when
// ARGV[1] does not hold it.
inline constexpr std::string_view kComplete = R"lua(
if not held_by(ARGV[1], now_ms()) then return 0 end
redis.call('HSET', KEYS[1], 'state', 'completed', 'response', ARGV[2], 'owner', '')
return 1
)lua";

// ARGV: owner. Returns 1 and deletes the record when ARGV[1] holds it, else 0.
inline constexpr std::string_view kRelease = R"lua(
if not held_by(ARGV[1], now_ms()) then return 0 end
redis.call('DEL', KEYS[1])
return 1
)lua";

// Run on its own (no prelude): KEYS are record names a SCAN returned. Returns, flat, the name,
// fingerprint, point and data of each record that is live, in progress and whose lease has
// lapsed; skips the rest (and keys that are not records). Multi-key: a single node's script
// (on a cluster, call it per key).
inline constexpr std::string_view kAbandoned = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for _, key in ipairs(KEYS) do
  if redis.call('TYPE', key).ok == 'hash' then
    local r = redis.call('HMGET', key, 'state', 'expires', 'lease_until', 'fp', 'point', 'data')
    if r[1] == 'in_progress' and now < tonumber(r[2] or '0')
        and tonumber(r[3] or '0') <= now then
      table.insert(out, key)
      table.insert(out, r[4] or '')
      table.insert(out, r[5] or '')
      table.insert(out, r[6] or '')
    end
  end
end
return out
)lua";

}  // namespace faultline::backends::redis::idempotency_scripts
