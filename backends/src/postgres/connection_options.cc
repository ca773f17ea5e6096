#include "faultline/backends/postgres/connection_options.h"

#include <string>
#include <string_view>

#include "faultline/validate.h"

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
  if (auto r = check_size(field, value.size(), required ? 1 : 0, kMaxIdentifierBytes, "bytes");
      !r) {
    return r;
  }
  if (has_nul(value)) return invalid_argument(std::string(field) + ": contains a NUL byte");
  return Ok{};
}

}  // namespace

Result<void> ConnectionOptions::validate() const {
  if (auto r = check_size("host", host.size(), 1, kMaxHostBytes, "characters"); !r) return r;
  if (has_nul(host)) return invalid_argument("host: contains a NUL byte");
  if (auto r = check_range("port", port, 1, 65535); !r) return r;
  if (auto r = check_identifier("dbname", dbname, true); !r) return r;
  if (auto r = check_identifier("user", user, true); !r) return r;
  if (auto r = check_identifier("application_name", application_name, false); !r) return r;
  // The password is checked for shape only; its value never appears in a message.
  if (auto r = check_size("password", password.size(), 0, kMaxPasswordBytes, "bytes"); !r) {
    return r;
  }
  if (has_nul(password)) return invalid_argument("password: contains a NUL byte");
  if (sslmode != "disable" && sslmode != "allow" && sslmode != "prefer" && sslmode != "require" &&
      sslmode != "verify-ca" && sslmode != "verify-full") {
    // The value is not shown: a connection string quoted wrongly can put the password in it.
    return invalid_argument(
        "sslmode: must be one of disable, allow, prefer, require, verify-ca, verify-full");
  }
  if (auto r = validate_timeout(connect_timeout, "connect_timeout", kMaxConnectTimeout); !r) {
    return r;
  }
  if (auto r = check_size("max_statement_bytes", max_statement_bytes, kMinStatementBytes,
                          kMaxStatementBytes);
      !r) {
    return r;
  }
  if (auto r = check_size("max_params", max_params, 0, kMaxParams); !r) return r;
  return validate_keepalive();
}

Result<void> ConnectionOptions::validate_keepalive() const {
  if (auto r =
          check_range("keepalive_idle", keepalive_idle, std::chrono::seconds(1), kMaxKeepaliveIdle);
      !r) {
    return r;
  }
  if (auto r = check_range("keepalive_interval", keepalive_interval, std::chrono::seconds(1),
                           kMaxKeepaliveInterval);
      !r) {
    return r;
  }
  if (auto r = check_range("keepalive_count", keepalive_count, 1, kMaxKeepaliveCount); !r) {
    return r;
  }
  return check_range("tcp_user_timeout", tcp_user_timeout, Duration::zero(), kMaxUserTimeout);
}

}  // namespace faultline::backends::postgres
