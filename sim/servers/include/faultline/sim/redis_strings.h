// RedisStrings: the plain string commands of the simulated Redis server, as a command module:
// GET, SET [NX] [PX ttl], INCRBY and DEL, each one atomic step on the node (RedisNode::step).
// The building blocks of the families that need no script (a fixed-window counter is INCRBY then
// PEXPIRE; a dedup marker is SET NX PX); a family with a script writes a module of its own, as
// RedisLocks does.
//
// Thread-safety: none. Ownership: borrows the node, which must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "faultline/sim/redis_node.h"

namespace faultline::sim {

struct SetOptions {
  std::optional<Duration> px;  // PX: expires after this long (whole ms); none: no expiry
  bool nx = false;             // NX: only when the key does not exist
};

class RedisStrings {
 public:
  explicit RedisStrings(RedisNode& node) : node_(node) {}

  [[nodiscard]] std::optional<std::string> get(std::string_view key);
  // True when the value was written (false only under NX with the key present).
  bool set(std::string_view key, std::string value, SetOptions options = {});
  std::int64_t incrby(std::string_view key, std::int64_t by);
  bool del(std::string_view key);

 private:
  RedisNode& node_;
};

}  // namespace faultline::sim
