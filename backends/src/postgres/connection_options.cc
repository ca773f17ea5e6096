#include "faultline/backends/postgres/connection_options.h"

#include <string>
#include <string_view>
#include "faultline/duration_text.h"

namespace faultline::backends::postgres {
namespace {

constexpr std::size_t kMaxHostBytes = 253;
constexpr std::size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr Duration kMaxConnectTimeout = std::chrono::seconds(60);
constexpr std::size_t kMinStatementBytes = 16;
constexpr std::size_t kMaxStatementBytes = std::size_t{256} << 20;
constexpr std::size_t kMaxParams = 65535;
constexpr std::chrono::seconds kMaxKeepaliveIdle = std::chrono::hours(2);
constexpr std::chrono::seconds kMaxKeepaliveInterval = std::chrono::hours(1);
constexpr int kMaxKeepaliveCount = 100;
constexpr std::chrono::milliseconds kMaxUserTimeout = std::chrono::hours(1);

// libpq's keyword/value arrays are C strings: an embedded NUL would silently cut a value short.
bool has_nul(std::string_view value) { return value.find('\0') != std::string_view::npos; }

Result<void> check_identifier(std::string_view field, const std::string& value, bool required) {
  if (required && value.empty()) return invalid_argument(std::string(field) + ": must not be empty");
  if (value.size() > kMaxIdentifierBytes) {
    return invalid_argument(std::string(field) + ": " + std::to_string(value.size()) +
                            " bytes; must be at most 63");
  }
  if (has_nul(value)) return invalid_argument(std::string(field) + ": contains a NUL byte");
  return Ok{};
}

}  // namespace

Result<void> ConnectionOptions::validate() const {
  if (host.empty()) return invalid_argument("host: must not be empty");
  if (host.size() > kMaxHostBytes) return invalid_argument("host: longer than 253 characters");
  if (has_nul(host)) return invalid_argument("host: contains a NUL byte");
  if (port < 1 || port > 65535) {
    return invalid_argument("port: " + std::to_string(port) + "; must be in [1, 65535]");
  }
  if (Result<void> r = check_identifier("dbname", dbname, true); !r.ok()) return r;
  if (Result<void> r = check_identifier("user", user, true); !r.ok()) return r;
  if (Result<void> r = check_identifier("application_name", application_name, false); !r.ok()) {
    return r;
  }
  // The password is checked for shape only; its value never appears in a message.
  if (password.size() > kMaxPasswordBytes) {
    return invalid_argument("password: longer than 1024 bytes");
  }
  if (has_nul(password)) return invalid_argument("password: contains a NUL byte");
  if (sslmode != "disable" && sslmode != "allow" && sslmode != "prefer" && sslmode != "require" &&
      sslmode != "verify-ca" && sslmode != "verify-full") {
    return invalid_argument("sslmode: '" + sslmode.substr(0, 32) +
                            "'; must be one of disable, allow, prefer, require, verify-ca, "
                            "verify-full");
  }
  if (connect_timeout <= Duration::zero() || connect_timeout > kMaxConnectTimeout) {
    return invalid_argument("connect_timeout: " + duration_text(connect_timeout) +
                            "; must be in (0, 60s]");
  }
  if (max_statement_bytes < kMinStatementBytes || max_statement_bytes > kMaxStatementBytes) {
    return invalid_argument("max_statement_bytes: " + std::to_string(max_statement_bytes) +
                            "; must be in [16, 256 MiB]");
  }
  if (max_params > kMaxParams) {
    return invalid_argument("max_params: " + std::to_string(max_params) +
                            "; must be in [0, 65535]");
  }
  return validate_keepalive();
}

Result<void> ConnectionOptions::validate_keepalive() const {
  if (keepalive_idle < std::chrono::seconds(1) || keepalive_idle > kMaxKeepaliveIdle) {
    return invalid_argument("keepalive_idle: " + std::to_string(keepalive_idle.count()) +
                            "s; must be in [1s, 2h]");
  }
  if (keepalive_interval < std::chrono::seconds(1) ||
      keepalive_interval > kMaxKeepaliveInterval) {
    return invalid_argument("keepalive_interval: " + std::to_string(keepalive_interval.count()) +
                            "s; must be in [1s, 1h]");
  }
  if (keepalive_count < 1 || keepalive_count > kMaxKeepaliveCount) {
    return invalid_argument("keepalive_count: " + std::to_string(keepalive_count) +
                            "; must be in [1, 100]");
  }
  if (tcp_user_timeout < std::chrono::milliseconds::zero() ||
      tcp_user_timeout > kMaxUserTimeout) {
    return invalid_argument("tcp_user_timeout: " + std::to_string(tcp_user_timeout.count()) +
                            "ms; must be in [0, 1h]");
  }
  return Ok{};
}

}  // namespace faultline::backends::postgres
