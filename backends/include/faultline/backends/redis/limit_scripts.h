// The Lua scripts behind RedisLimitStore: each is one algorithm's pure `decide`
// (core/src/ratelimit/<algorithm>.cc) transcribed line for line, run atomically on the server at
// `now` = TIME in microseconds (seconds * 1e6 + microseconds). The simulated twin
// (sim/servers/src/redis_limits.cc) runs the pure functions themselves.
//
// Arithmetic: every value is an integer below 2^53 (decision.h bounds the products), so Lua's
// doubles hold it exactly; divisions that the C++ rounds down go through idiv, which corrects
// the double quotient to the exact integer floor. Integers leave as decimal strings ('%d') or as
// Lua numbers in the reply (which Redis truncates to integers, exact here).
//
// Every script is kPrelude followed by its body (RedisLimitStore concatenates them) and replies
// {allowed 0/1, limit, remaining, retry_after_us (-1: never), reset_after_us, now_us}.
// KEYS[1] is ratelimit::limit_key(key, policy); a write sets a PX TTL of reset_after rounded up
// to whole milliseconds, so an idle key disappears once it is back to rest.
#pragma once

#include <string_view>

namespace faultline::backends::redis::limit_scripts {

// now: the server's clock in microseconds. int(n): n as a decimal integer string. idiv(a, b):
// floor(a / b) exactly, for 0 <= a < 2^53 and b > 0. ttl_ms(us): whole ms, rounded up, >= 1.
inline constexpr std::string_view kPrelude = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function int(n) return string.format('%d', n) end
local function idiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
  return q
end
local function ttl_ms(us) return int(math.max(1, idiv(us + 999, 1000))) end
)lua";

// GCRA (gcra.cc). KEYS[1]: a string, the TAT in microseconds. ARGV: interval_us (period/count,
// rounded down by the caller, emission_interval), max_burst, cost.
inline constexpr std::string_view kGcra = R"lua(
local interval, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tolerance = interval * (burst + 1)
local increment = interval * cost
local stored = redis.call('GET', KEYS[1])
local base = now
if stored then base = math.max(tonumber(stored), now) end
local new_tat = base + increment
local allow_at = new_tat - tolerance
local ttl = base - now
local allowed, retry = 0, -1
if now < allow_at then
  if increment <= tolerance then retry = allow_at - now end
else
  allowed, retry = 1, 0
  if cost > 0 then
    ttl = new_tat - now
    redis.call('SET', KEYS[1], int(new_tat), 'PX', ttl_ms(ttl))
  end
end
local remaining = idiv(math.max(tolerance - ttl, 0), interval)
return {allowed, burst + 1, remaining, retry, ttl, now}
)lua";

// Sliding log (sliding_log.cc). KEYS[1]: a sorted set, one member per instant, "<at>:<units>"
// scored by at (microseconds); at most `limit` members once the dead ones are dropped. ARGV:
// limit, window_us, cost. Members at or before now - window have left the window.
inline constexpr std::string_view kSlidingLog = R"lua(
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. int(now - window), '+inf', 'WITHSCORES')
local function units_of(i) return tonumber(string.match(live[i], ':(%d+)$')) end
local units = 0
for i = 1, #live, 2 do units = units + units_of(i) end
local allowed, retry = 0, -1
if cost > limit then
  retry = -1
elseif units + cost > limit then
  local wanted, freed = units + cost - limit, 0
  for i = 1, #live, 2 do
    freed = freed + units_of(i)
    if freed >= wanted then retry = tonumber(live[i + 1]) + window - now break end
  end
else
  allowed, retry = 1, 0
  if cost > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now - window))
    local at, merged = now, cost
    if #live > 0 then
      local last_at = tonumber(live[#live])
      at = math.max(now, last_at)
      if last_at == at then
        merged = merged + units_of(#live - 1)
        redis.call('ZREM', KEYS[1], live[#live - 1])
      end
    end
    redis.call('ZADD', KEYS[1], int(at), int(at) .. ':' .. int(merged))
    live[#live + 1] = 'new'
    live[#live + 1] = int(at)
    units = units + cost
    redis.call('PEXPIRE', KEYS[1], ttl_ms(at + window - now))
  end
end
local reset = 0
if units > 0 then reset = tonumber(live[#live]) + window - now end
return {allowed, limit, limit - units, retry, reset, now}
)lua";

// Token bucket (token_bucket.cc). KEYS[1]: a hash {updated (microseconds), level (in
// 1/period_us tokens)}; a missing key is a full bucket. ARGV: capacity, count, period_us, cost.
inline constexpr std::string_view kTokenBucket = R"lua(
local capacity, count, unit, cost =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local full = capacity * unit
local function ceil_div(a, b) return idiv(a + b - 1, b) end
local stored = redis.call('HMGET', KEYS[1], 'updated', 'level')
local level, updated = full, nil
if stored[1] then
  updated, level = tonumber(stored[1]), tonumber(stored[2])
  if now > updated then
    local to_full = ceil_div(full - level, count)
    local elapsed = now - updated
    if elapsed >= to_full then level = full else level = level + elapsed * count end
  end
end
local wanted = cost * unit
local allowed, retry = 0, -1
if cost > capacity then
  retry = -1
elseif level < wanted then
  retry = ceil_div(wanted - level, count)
else
  allowed, retry = 1, 0
  if cost > 0 then
    level = level - wanted
    local at = now
    if updated and updated > now then at = updated end
    redis.call('HSET', KEYS[1], 'updated', int(at), 'level', int(level))
    redis.call('PEXPIRE', KEYS[1], ttl_ms(ceil_div(full - level, count)))
  end
end
return {allowed, capacity, idiv(level, unit), retry, ceil_div(full - level, count), now}
)lua";

// Fixed window (fixed_window.cc; windows aligned on multiples of the window since the Unix
// epoch). KEYS[1]: a hash {index, count} of the last allowed request's window. ARGV: limit,
// window_us, cost.
inline constexpr std::string_view kFixedWindow = R"lua(
local limit, w, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local index = idiv(now, w)
local elapsed = now - index * w
local stored = redis.call('HMGET', KEYS[1], 'index', 'count')
local si, sc = 0, 0
if stored[1] then si, sc = tonumber(stored[1]), tonumber(stored[2]) end
local count, to_end = 0, w - elapsed
if index <= si then
  count = sc
  if index < si then to_end = w * (si - index + 1) - elapsed end
end
local allowed, retry = 0, -1
if cost > limit then
  retry = -1
elseif count + cost > limit then
  retry = to_end
else
  allowed, retry = 1, 0
  if cost > 0 then
    count = count + cost
    redis.call('HSET', KEYS[1], 'index', int(math.max(index, si)), 'count', int(count))
    redis.call('PEXPIRE', KEYS[1], ttl_ms(to_end))
  end
end
local reset = 0
if count > 0 then reset = to_end end
return {allowed, limit, limit - count, retry, reset, now}
)lua";

// Sliding counter (sliding_counter.cc). KEYS[1]: a hash {index, current, previous} of the last
// allowed request's window. ARGV: limit, window_us, cost.
inline constexpr std::string_view kSlidingCounter = R"lua(
local limit, w, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local index = idiv(now, w)
local e = now - index * w
local stored = redis.call('HMGET', KEYS[1], 'index', 'current', 'previous')
local si, cur, prev = 0, 0, 0
if stored[1] then si, cur, prev = tonumber(stored[1]), tonumber(stored[2]), tonumber(stored[3]) end
if index < si then index, e = si, 0 end
if index == si + 1 then cur, prev = 0, cur elseif index > si + 1 then cur, prev = 0, 0 end
local function fits_after(p, c)
  local room = limit - c - cost
  if room < 0 then return w end
  if p == 0 then return 0 end
  return math.max(0, w - idiv(room * w, p))
end
local here = fits_after(prev, cur)
local allowed, retry = 0, -1
if cost > limit then
  retry = -1
elseif here > e then
  local start = here
  if here >= w then start = w + fits_after(cur, 0) end
  retry = start - e
else
  allowed, retry = 1, 0
  if cost > 0 then cur = cur + cost end
end
local reset = 0
if cur > 0 then reset = 2 * w - e elseif prev > 0 then reset = w - e end
if allowed == 1 and cost > 0 then
  redis.call('HSET', KEYS[1], 'index', int(index), 'current', int(cur), 'previous', int(prev))
  redis.call('PEXPIRE', KEYS[1], ttl_ms(reset))
end
local remaining = math.max(0, limit - cur - idiv(prev * (w - e) + w - 1, w))
return {allowed, limit, remaining, retry, reset, now}
)lua";

}  // namespace faultline::backends::redis::limit_scripts
