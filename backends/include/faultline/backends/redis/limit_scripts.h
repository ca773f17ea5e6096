// The Lua scripts behind RedisLimitStore: each algorithm's pure `decide`
// (core/src/ratelimit/<algorithm>.cc) transcribed line for line as a Lua function, run
// atomically on the server at `now` = TIME in microseconds (seconds * 1e6 + microseconds). The
// simulated twin (sim/servers/src/redis_limits.cc) runs the pure functions themselves.
//
// Arithmetic: every value is an integer below 2^53 (decision.h bounds the products), so Lua's
// doubles hold it exactly; divisions that the C++ rounds down go through idiv, which corrects
// the double quotient to the exact integer floor. Integers leave as decimal strings ('%d') or as
// Lua numbers in the reply (which Redis truncates to integers, exact here).
//
// Every algorithm is a function `name(key, p1, p2, p3, cost, commit)` returning allowed (0/1),
// limit, remaining, retry_after_us (-1: never), reset_after_us; it writes the key only when
// `commit` is true (and the request is allowed with cost > 0), with a PX TTL of reset_after
// rounded up to whole milliseconds, so an idle key disappears once it is back to rest. A script
// is kPrelude, the functions it calls, and a main:
//   single decision (single_script): KEYS[1] = ratelimit::limit_key(key, policy); ARGV = p1 p2
//     p3 cost; reply {allowed, limit, remaining, retry_after_us, reset_after_us, now_us}.
//   tiered decision (tiered_script): KEYS = the tiers' limit keys; ARGV = cost, then per tier
//     its algorithm's name and p1 p2 p3; reply {allowed, now_us, then the five values per tier}.
// The parameters p1 p2 p3 of each algorithm are listed above its function (0 when unused).
#pragma once

#include <string>
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

// GCRA (gcra.cc). key: a string, the TAT in microseconds. p1 = interval_us (period/count,
// rounded down by the caller, emission_interval), p2 = max_burst.
inline constexpr std::string_view kGcra = R"lua(
local function gcra(key, interval, burst, _, cost, commit)
  local tolerance = interval * (burst + 1)
  local increment = interval * cost
  local stored = redis.call('GET', key)
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
      if commit then redis.call('SET', key, int(new_tat), 'PX', ttl_ms(ttl)) end
    end
  end
  return allowed, burst + 1, idiv(math.max(tolerance - ttl, 0), interval), retry, ttl
end
)lua";

// Sliding log (sliding_log.cc). key: a sorted set, one member per instant, "<at>:<units>" scored
// by at (microseconds); at most `limit` members once the dead ones are dropped. p1 = limit,
// p2 = window_us. Members at or before now - window have left the window.
inline constexpr std::string_view kSlidingLog = R"lua(
local function sliding_log(key, limit, window, _, cost, commit)
  local live = redis.call('ZRANGEBYSCORE', key, '(' .. int(now - window), '+inf', 'WITHSCORES')
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
      if commit then redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now - window)) end
      local at, merged = now, cost
      if #live > 0 then
        local last_at = tonumber(live[#live])
        at = math.max(now, last_at)
        if last_at == at then
          merged = merged + units_of(#live - 1)
          if commit then redis.call('ZREM', key, live[#live - 1]) end
        end
      end
      if commit then
        redis.call('ZADD', key, int(at), int(at) .. ':' .. int(merged))
        redis.call('PEXPIRE', key, ttl_ms(at + window - now))
      end
      live[#live + 1] = 'new'
      live[#live + 1] = int(at)
      units = units + cost
    end
  end
  local reset = 0
  if units > 0 then reset = tonumber(live[#live]) + window - now end
  return allowed, limit, limit - units, retry, reset
end
)lua";

// Token bucket (token_bucket.cc). key: a hash {updated (microseconds), level (in 1/period_us
// tokens)}; a missing key is a full bucket. p1 = capacity, p2 = count, p3 = period_us.
inline constexpr std::string_view kTokenBucket = R"lua(
local function token_bucket(key, capacity, count, unit, cost, commit)
  local full = capacity * unit
  local function ceil_div(a, b) return idiv(a + b - 1, b) end
  local stored = redis.call('HMGET', key, 'updated', 'level')
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
  local ahead = 0
  if updated and updated > now then ahead = updated - now end
  local allowed, retry = 0, -1
  if cost > capacity then
    retry = -1
  elseif level < wanted then
    retry = ahead + ceil_div(wanted - level, count)
  else
    allowed, retry = 1, 0
    if cost > 0 then
      level = level - wanted
      local at = now
      if updated and updated > now then at = updated end
      if commit then
        redis.call('HSET', key, 'updated', int(at), 'level', int(level))
        redis.call('PEXPIRE', key, ttl_ms(ahead + ceil_div(full - level, count)))
      end
    end
  end
  local reset = 0
  if level < full then reset = ahead + ceil_div(full - level, count) end
  return allowed, capacity, idiv(level, unit), retry, reset
end
)lua";

// Fixed window (fixed_window.cc; windows aligned on multiples of the window since the Unix
// epoch). key: a hash {index, count} of the last allowed request's window. p1 = limit,
// p2 = window_us.
inline constexpr std::string_view kFixedWindow = R"lua(
local function fixed_window(key, limit, w, _, cost, commit)
  local index = idiv(now, w)
  local elapsed = now - index * w
  local stored = redis.call('HMGET', key, 'index', 'count')
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
      if commit then
        redis.call('HSET', key, 'index', int(math.max(index, si)), 'count', int(count))
        redis.call('PEXPIRE', key, ttl_ms(to_end))
      end
    end
  end
  local reset = 0
  if count > 0 then reset = to_end end
  return allowed, limit, limit - count, retry, reset
end
)lua";

// Sliding counter (sliding_counter.cc). key: a hash {index, current, previous} of the last
// allowed request's window. p1 = limit, p2 = window_us.
inline constexpr std::string_view kSlidingCounter = R"lua(
local function sliding_counter(key, limit, w, _, cost, commit)
  local index = idiv(now, w)
  local e = now - index * w
  local stored = redis.call('HMGET', key, 'index', 'current', 'previous')
  local si, cur, prev = 0, 0, 0
  if stored[1] then
    si, cur, prev = tonumber(stored[1]), tonumber(stored[2]), tonumber(stored[3])
  end
  local ahead = 0
  if index < si then ahead, index, e = w * (si - index) - e, si, 0 end
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
    retry = ahead + start - e
  else
    allowed, retry = 1, 0
    if cost > 0 then cur = cur + cost end
  end
  local reset = 0
  if cur > 0 then reset = ahead + 2 * w - e elseif prev > 0 then reset = ahead + w - e end
  if commit and allowed == 1 and cost > 0 then
    redis.call('HSET', key, 'index', int(index), 'current', int(cur), 'previous', int(prev))
    redis.call('PEXPIRE', key, ttl_ms(reset))
  end
  local remaining = math.max(0, limit - cur - idiv(prev * (w - e) + w - 1, w))
  return allowed, limit, remaining, retry, reset
end
)lua";

// The main of a single decision; `decide` is bound to the algorithm's function before it.
inline constexpr std::string_view kSingleMain = R"lua(
local allowed, limit, remaining, retry, reset = decide(KEYS[1], tonumber(ARGV[1]),
  tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), true)
return {allowed, limit, remaining, retry, reset, now}
)lua";

// The main of a tiered decision (tiered.h): every tier decided without writing; if all allow,
// each is decided again, writing (the same decision: nothing changed in between, the script
// being atomic); if any refuses, the others report a peek (cost 0) and nothing is written.
inline constexpr std::string_view kTieredMain = R"lua(
local by_name = {['gcra'] = gcra, ['token-bucket'] = token_bucket, ['sliding-log'] = sliding_log,
  ['sliding-counter'] = sliding_counter, ['fixed-window'] = fixed_window}
local cost = tonumber(ARGV[1])
local function run(i, units, commit)
  local at = 2 + (i - 1) * 4
  return {by_name[ARGV[at]](KEYS[i], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]),
    tonumber(ARGV[at + 3]), units, commit)}
end
local tiers, all = {}, true
for i = 1, #KEYS do
  tiers[i] = run(i, cost, false)
  if tiers[i][1] == 0 then all = false end
end
local reply = {0, now}
if all then reply[1] = 1 end
for i = 1, #KEYS do
  if all then
    tiers[i] = run(i, cost, true)
  elseif tiers[i][1] == 1 then
    tiers[i] = run(i, 0, false)
  end
  for j = 1, 5 do reply[#reply + 1] = tiers[i][j] end
end
return reply
)lua";

// The script of a single decision by `algorithm` (ratelimit::algorithm_name).
[[nodiscard]] std::string single_script(std::string_view algorithm);
// The script of a tiered decision (all five functions and kTieredMain).
[[nodiscard]] std::string tiered_script();

}  // namespace faultline::backends::redis::limit_scripts
