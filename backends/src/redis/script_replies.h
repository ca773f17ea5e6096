// What the Redis stores share around their scripts: durations as the millisecond arguments the
// scripts take, and a 0/1 reply read as a bool. Internal to the Redis backend.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "faultline/backends/redis/reply.h"
#include "faultline/result.h"
#include "faultline/clock.h"

namespace faultline::backends::redis::detail {

// Whole milliseconds, truncated: the unit of PX and PEXPIRE.
inline std::string millis_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// A script's 0/1 integer reply as a bool; any other reply is a kProtocol error naming
// `operation` and the kind received. A failed call passes its error through.
inline Result<bool> to_flag(std::string_view operation, Result<RedisReply> reply) {
  if (!reply.ok()) return std::move(reply).error();
  if (!reply->is_integer() || (reply->as_integer() != 0 && reply->as_integer() != 1)) {
    return Error{ErrorCode::kProtocol, std::string(operation) + ": unexpected reply: a " +
                                           std::string(to_string(reply->kind())) +
                                           ", expected the integer 0 or 1"};
  }
  return reply->as_integer() == 1;
}

}  // namespace faultline::backends::redis::detail
