#include "faultline/sim/redis_strings.h"

namespace faultline::sim {

std::optional<std::string> RedisStrings::get(std::string_view key) {
  return node_.step([&](RedisKeyspace& keys) -> std::optional<std::string> {
    const std::string* value = keys.get(key);
    if (value == nullptr) return std::nullopt;
    return *value;
  });
}

bool RedisStrings::set(std::string_view key, std::string value, SetOptions options) {
  return node_.step([&](RedisKeyspace& keys) {
    if (options.nx && keys.exists(key)) return false;
    keys.set(key, std::move(value));
    if (options.px) keys.pexpire(key, *options.px);
    return true;
  });
}

std::int64_t RedisStrings::incrby(std::string_view key, std::int64_t by) {
  return node_.step([&](RedisKeyspace& keys) { return keys.incrby(key, by); });
}

bool RedisStrings::del(std::string_view key) {
  return node_.step([&](RedisKeyspace& keys) { return keys.del(key); });
}

}  // namespace faultline::sim
