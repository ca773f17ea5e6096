// --postgres CONNINFO: a libpq connection string (keyword=value pairs, or a postgresql:// URI),
// parsed by libpq itself (PQconninfoParse) into the backend's ConnectionOptions, which connect
// through keyword arrays (no string is re-assembled, nothing can be injected).
//
// Supported keywords: host, hostaddr, port, dbname, user, password, sslmode, application_name,
// connect_timeout (seconds). Any other is kInvalidArgument naming the keyword (never its value:
// it might be a misplaced password). A string libpq cannot parse is kInvalidArgument without
// libpq's message, which quotes the string. The password appears only in the options' password
// field; describe() prints the options with it replaced by <redacted>. Any other value that holds
// a space, '=' or a control byte is kInvalidArgument naming the keyword (never the value): it may
// have swallowed a misplaced password, and the host, database and user reach logs and errors.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "faultline/backends/postgres/connection_options.h"
#include "faultline/result.h"

namespace faultline::payments {

[[nodiscard]] Result<backends::postgres::ConnectionOptions> parse_conninfo(
    const std::string& conninfo);

// "host=127.0.0.1 port=5433 dbname=app user=app password=<redacted>" (no password: omitted).
[[nodiscard]] std::string describe(const backends::postgres::ConnectionOptions& options);

}  // namespace faultline::payments
