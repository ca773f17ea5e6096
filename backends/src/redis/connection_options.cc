#include "faultline/backends/redis/connection_options.h"

#include <string>

#include "faultline/validate.h"

namespace faultline::backends::redis {
namespace {

constexpr std::size_t kMaxHostBytes = 253;
constexpr Duration kMaxConnectTimeout = std::chrono::seconds(60);
constexpr std::size_t kMaxInFlight = 65536;
constexpr std::size_t kMinRequestBytes = 64;
constexpr std::size_t kMaxRequestBytes = std::size_t{512} << 20;
constexpr std::size_t kMinReplyBytes = std::size_t{1} << 10;
constexpr std::size_t kMaxReplyBytes = std::size_t{1} << 30;

}  // namespace

Result<void> ConnectionOptions::validate() const {
  if (auto r = check_size("host", host.size(), 1, kMaxHostBytes, "characters"); !r) return r;
  if (auto r = check_range("port", port, 1, 65535); !r) return r;
  if (auto r = validate_timeout(connect_timeout, "connect_timeout", kMaxConnectTimeout); !r) {
    return r;
  }
  if (auto r = check_size("max_in_flight", max_in_flight, 1, kMaxInFlight); !r) return r;
  if (auto r =
          check_size("max_request_bytes", max_request_bytes, kMinRequestBytes, kMaxRequestBytes);
      !r) {
    return r;
  }
  if (auto r = check_size("max_reply_bytes", max_reply_bytes, kMinReplyBytes, kMaxReplyBytes); !r) {
    return r;
  }
  // Credentials are checked for shape only; their values never appear in a message.
  if (!username.empty() && password.empty()) {
    return invalid_argument("password: must be set when username is set");
  }
  return Ok{};
}

}  // namespace faultline::backends::redis
