// Script: a Lua script run by its SHA1 (EVALSHA), loaded into the server on demand.
//
// Contract
//   - run() sends EVALSHA. The SHA1 is learnt from SCRIPT LOAD on first use. When the server
//     answers NOSCRIPT (it restarted, failed over, or someone ran SCRIPT FLUSH) run() loads the
//     script again and retries EVALSHA once: NOSCRIPT means the script did not run, so the retry
//     cannot apply it twice.
//   - Errors are those of Connection::command(), with one refinement: a failure while loading
//     the script (even a timeout) is kUnavailable, because the script itself was not sent.
//     The whole of run(), loading included, finishes within `timeout`.
//   - keys and args are borrowed: they must stay alive until the returned task completes
//     (co_await it in the same expression).
//
// Ownership: borrows the Connection per call. Thread-safety: as Connection (one executor);
// concurrent run() calls are fine (concurrent first uses may each load the script, harmlessly).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "faultline/backends/redis/connection.h"
#include "faultline/backends/redis/reply.h"
#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::backends::redis {

class Script {
 public:
  explicit Script(std::string body) : body_(std::move(body)) {}

  [[nodiscard]] Task<Result<RedisReply>> run(Connection& connection,
                                             std::span<const std::string_view> keys,
                                             std::span<const std::string_view> args,
                                             Duration timeout);

  // Sends SCRIPT LOAD and remembers the SHA1 it returns.
  [[nodiscard]] Task<Result<void>> load(Connection& connection, Duration timeout);

  [[nodiscard]] const std::string& body() const noexcept { return body_; }
  // Hex SHA1 of the body as the server reported it; empty until the first successful load.
  [[nodiscard]] const std::string& sha1() const noexcept { return sha1_; }

 private:
  std::string body_;
  std::string sha1_;
};

}  // namespace faultline::backends::redis
