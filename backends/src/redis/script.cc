#include "faultline/backends/redis/script.h"

#include <array>
#include <chrono>
#include <string>
#include <vector>

namespace faultline::backends::redis {
namespace {

using SteadyClock = std::chrono::steady_clock;

// What remains of a deadline, as a Duration (<= 0 when it has passed).
Duration remaining(SteadyClock::time_point deadline) {
  return std::chrono::duration_cast<Duration>(deadline - SteadyClock::now());
}

}  // namespace

Task<Result<void>> Script::load(Connection& connection, Duration timeout) {
  // A named array, not a braced list: g++ 12 miscompiles initializer_list inside co_await.
  const std::array<std::string_view, 3> argv{"SCRIPT", "LOAD", body_};
  Result<RedisReply> reply = co_await connection.command(argv, timeout);
  if (!reply.ok()) {
    // Loading changes nothing a caller can observe, so even an unknown outcome is "not applied".
    co_return unavailable("loading a script: " + reply.error().message);
  }
  if (!reply->is_string() || reply->as_text().size() != 40) {
    co_return Error{ErrorCode::kProtocol, "SCRIPT LOAD replied with a " +
                                              std::string(to_string(reply->kind())) +
                                              ", expected a 40-character SHA1"};
  }
  sha1_ = reply->as_text();
  co_return Ok{};
}

Task<Result<RedisReply>> Script::run(Connection& connection,
                                     std::span<const std::string_view> keys,
                                     std::span<const std::string_view> args, Duration timeout) {
  const SteadyClock::time_point deadline =
      SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
  // At most: load, EVALSHA, (NOSCRIPT) load again, EVALSHA again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (sha1_.empty()) {
      if (Result<void> loaded = co_await load(connection, remaining(deadline)); !loaded.ok()) {
        co_return std::move(loaded).error();
      }
    }
    const Duration left = remaining(deadline);
    if (left <= Duration::zero()) {
      co_return unavailable("deadline passed while loading a script; the script was not sent");
    }
    const std::string key_count = std::to_string(keys.size());
    std::vector<std::string_view> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.push_back("EVALSHA");  // push_back, not a braced insert: see the note in load()
    argv.push_back(sha1_);
    argv.push_back(key_count);
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    Result<RedisReply> reply = co_await connection.command(argv, left);
    if (reply.ok() || !is_server_error(reply.error(), "NOSCRIPT")) co_return reply;
    // The server lost its script cache (restart, failover, SCRIPT FLUSH). NOSCRIPT means the
    // script did not run, so loading it again and retrying cannot apply it twice.
    sha1_.clear();
  }
  co_return unavailable("the server kept answering NOSCRIPT; the script was not run");
}

}  // namespace faultline::backends::redis
