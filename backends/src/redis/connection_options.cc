#include "faultline/backends/redis/connection_options.h"

#include <string>
#include "faultline/duration_text.h"

namespace faultline::backends::redis {
namespace {

constexpr Duration kMaxConnectTimeout = std::chrono::seconds(60);
constexpr std::size_t kMaxInFlight = 65536;
constexpr std::size_t kMinRequestBytes = 64;
constexpr std::size_t kMaxRequestBytes = std::size_t{512} << 20;
constexpr std::size_t kMinReplyBytes = std::size_t{1} << 10;
constexpr std::size_t kMaxReplyBytes = std::size_t{1} << 30;

}  // namespace

Result<void> ConnectionOptions::validate() const {
  if (host.empty()) return invalid_argument("host: must not be empty");
  if (host.size() > 253) return invalid_argument("host: longer than 253 characters");
  if (port < 1 || port > 65535) {
    return invalid_argument("port: " + std::to_string(port) + "; must be in [1, 65535]");
  }
  if (connect_timeout <= Duration::zero() || connect_timeout > kMaxConnectTimeout) {
    return invalid_argument("connect_timeout: " + duration_text(connect_timeout) +
                            "; must be in (0, 60s]");
  }
  if (max_in_flight < 1 || max_in_flight > kMaxInFlight) {
    return invalid_argument("max_in_flight: " + std::to_string(max_in_flight) +
                            "; must be in [1, 65536]");
  }
  if (max_request_bytes < kMinRequestBytes || max_request_bytes > kMaxRequestBytes) {
    return invalid_argument("max_request_bytes: " + std::to_string(max_request_bytes) +
                            "; must be in [64, 512 MiB]");
  }
  if (max_reply_bytes < kMinReplyBytes || max_reply_bytes > kMaxReplyBytes) {
    return invalid_argument("max_reply_bytes: " + std::to_string(max_reply_bytes) +
                            "; must be in [1 KiB, 1 GiB]");
  }
  // Credentials are checked for shape only; their values never appear in a message.
  if (!username.empty() && password.empty()) {
    return invalid_argument("password: must be set when username is set");
  }
  return Ok{};
}

}  // namespace faultline::backends::redis
