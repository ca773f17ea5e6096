// Where the test Redis servers are: scripts/redis-servers.sh exports FAULTLINE_REDIS_PORTS
// ("p1,p2,...", servers that persist nothing) and FAULTLINE_REDIS_DURABLE_PORT (one server with
// AOF and appendfsync always: every fencing test takes its tokens from it, as the fenced claims
// assume a durable counter) for the command it runs. Shared by the Redis tests and benchmarks;
// no gtest.
#pragma once

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::testing {

// Every port in FAULTLINE_REDIS_PORTS, in order; empty when it is unset.
inline std::vector<int> redis_ports() {
  std::vector<int> ports;
  const char* env = std::getenv("FAULTLINE_REDIS_PORTS");
  if (env == nullptr) return ports;
  std::stringstream list(env);
  for (std::string item; std::getline(list, item, ',');) {
    if (!item.empty()) ports.push_back(std::atoi(item.c_str()));
  }
  return ports;
}

// The first port, or nothing when FAULTLINE_REDIS_PORTS is unset or empty.
inline std::optional<int> first_redis_port() {
  const std::vector<int> ports = redis_ports();
  if (ports.empty()) return std::nullopt;
  return ports.front();
}

// The durable server's port (FAULTLINE_REDIS_DURABLE_PORT), or nothing when it is unset.
inline std::optional<int> durable_redis_port() {
  const char* env = std::getenv("FAULTLINE_REDIS_DURABLE_PORT");
  if (env == nullptr || *env == '\0') return std::nullopt;
  return std::atoi(env);
}

inline constexpr const char* kDurableRedisMissing =
    "FAULTLINE_REDIS_DURABLE_PORT is not set: fencing needs a durable counter (AOF, appendfsync "
    "always); run via scripts/redis-servers.sh run";

// The value of `field` in an INFO reply ("field:value\r\n"), or empty.
inline std::string info_field(const std::string& info, std::string_view field) {
  const std::string label = std::string(field) + ":";
  const std::size_t at = info.find(label);
  if (at == std::string::npos) return {};
  const std::size_t begin = at + label.size();
  return info.substr(begin, info.find_first_of("\r\n", begin) - begin);
}

}  // namespace faultline::testing
