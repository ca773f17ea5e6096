#include "faultline/sim/redis_keyspace.h"

#include <charconv>

#include "faultline/invariant.h"

namespace faultline::sim {
namespace {

std::int64_t to_integer(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  FAULTLINE_INVARIANT(ec == std::errc() && end == text.data() + text.size(),
                      "INCRBY on a string that is not an integer");
  return value;
}

}  // namespace

RedisKeyspace::Entry* RedisKeyspace::live(std::string_view key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return nullptr;
  if (it->second.expires_at && now_ > *it->second.expires_at) {
    keys_.erase(it);
    return nullptr;
  }
  return &it->second;
}

bool RedisKeyspace::exists(std::string_view key) { return live(key) != nullptr; }

RedisKeyspace::ScanPage RedisKeyspace::scan(std::string_view after, std::size_t count,
                                            std::string_view prefix) const {
  ScanPage page;
  auto it = after.empty() ? keys_.lower_bound(prefix) : keys_.upper_bound(after);
  std::size_t examined = 0;
  for (; it != keys_.end() && it->first.starts_with(prefix); ++it) {
    if (examined == count) {
      page.more = true;
      break;
    }
    ++examined;
    page.last_examined = it->first;
    const bool expired = it->second.expires_at && now_ > *it->second.expires_at;
    if (!expired) page.names.push_back(it->first);
  }
  return page;
}

const std::string* RedisKeyspace::get(std::string_view key) {
  Entry* entry = live(key);
  if (entry == nullptr) return nullptr;
  const auto* text = std::get_if<std::string>(&entry->value);
  FAULTLINE_INVARIANT(text != nullptr, "GET on a hash (WRONGTYPE)");
  return text;
}

const std::string* RedisKeyspace::hget(std::string_view key, std::string_view field) {
  Entry* entry = live(key);
  if (entry == nullptr) return nullptr;
  const auto* hash = std::get_if<Hash>(&entry->value);
  FAULTLINE_INVARIANT(hash != nullptr, "HGET on a string (WRONGTYPE)");
  auto it = hash->find(field);
  return it == hash->end() ? nullptr : &it->second;
}

std::optional<Duration> RedisKeyspace::pttl(std::string_view key) {
  Entry* entry = live(key);
  if (entry == nullptr || !entry->expires_at) return std::nullopt;
  return *entry->expires_at - now_;
}

const std::string* RedisKeyspace::peek_hget(std::string_view key,
                                            std::string_view field) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return nullptr;
  const auto* hash = std::get_if<Hash>(&it->second.value);
  if (hash == nullptr) return nullptr;
  auto at = hash->find(field);
  return at == hash->end() ? nullptr : &at->second;
}

std::optional<WallTime> RedisKeyspace::expiry(std::string_view key) const {
  auto it = keys_.find(key);
  return it == keys_.end() ? std::nullopt : it->second.expires_at;
}

void RedisKeyspace::set(std::string_view key, std::string value) {
  keys_.insert_or_assign(std::string(key), Entry{std::move(value), std::nullopt});
  dirty_ = true;
}

void RedisKeyspace::hset(std::string_view key, std::string_view field, std::string value) {
  Entry* entry = live(key);
  if (entry == nullptr) {
    entry = &keys_.insert_or_assign(std::string(key), Entry{Hash{}, std::nullopt}).first->second;
  }
  auto* hash = std::get_if<Hash>(&entry->value);
  FAULTLINE_INVARIANT(hash != nullptr, "HSET on a string (WRONGTYPE)");
  hash->insert_or_assign(std::string(field), std::move(value));
  dirty_ = true;
}

std::int64_t RedisKeyspace::incrby(std::string_view key, std::int64_t by) {
  Entry* entry = live(key);
  if (entry == nullptr) {
    entry = &keys_.insert_or_assign(std::string(key), Entry{"0", std::nullopt}).first->second;
  }
  auto* text = std::get_if<std::string>(&entry->value);
  FAULTLINE_INVARIANT(text != nullptr, "INCRBY on a hash (WRONGTYPE)");
  const std::int64_t value = to_integer(*text) + by;
  *text = std::to_string(value);
  dirty_ = true;
  return value;
}

bool RedisKeyspace::pexpire(std::string_view key, Duration ttl) {
  Entry* entry = live(key);
  if (entry == nullptr) return false;
  entry->expires_at = now_ + std::chrono::floor<std::chrono::milliseconds>(ttl);
  dirty_ = true;
  return true;
}

bool RedisKeyspace::del(std::string_view key) {
  if (live(key) == nullptr) return false;
  keys_.erase(keys_.find(key));
  dirty_ = true;
  return true;
}

std::map<std::string, std::string, std::less<>> RedisKeyspace::strings() {
  std::map<std::string, std::string, std::less<>> out;
  for (auto it = keys_.begin(); it != keys_.end(); ++it) {
    if (it->second.expires_at && now_ > *it->second.expires_at) continue;
    if (const auto* text = std::get_if<std::string>(&it->second.value)) out.emplace(it->first, *text);
  }
  return out;
}

}  // namespace faultline::sim
