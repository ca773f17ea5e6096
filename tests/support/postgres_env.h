// Where the PostgreSQL tests and benchmarks find their server: the FAULTLINE_PG_* variables that
// scripts/postgres-server.sh exports in `run` mode. Free of GoogleTest, so benchmarks include it
// too (tests use the fixture in postgres_test_support.h).
#pragma once

#include <cstdlib>
#include <optional>

#include "faultline/backends/postgres/connection_options.h"

namespace faultline::testing {

// The reason to give when options_from_env() finds nothing.
inline constexpr const char* kPgEnvMissing =
    "FAULTLINE_PG_* is not set; run via scripts/postgres-server.sh run -- ...";

// The connection to the test server, or nothing when any of FAULTLINE_PG_HOST, _PORT, _USER,
// _PASSWORD, _DB is unset. TLS is off: the test server (like pgbench against it) runs without it.
inline std::optional<backends::postgres::ConnectionOptions> options_from_env() {
  const char* host = std::getenv("FAULTLINE_PG_HOST");
  const char* port = std::getenv("FAULTLINE_PG_PORT");
  const char* user = std::getenv("FAULTLINE_PG_USER");
  const char* password = std::getenv("FAULTLINE_PG_PASSWORD");
  const char* db = std::getenv("FAULTLINE_PG_DB");
  if (host == nullptr || port == nullptr || user == nullptr || password == nullptr ||
      db == nullptr) {
    return std::nullopt;
  }
  backends::postgres::ConnectionOptions options;
  options.host = host;
  options.port = std::atoi(port);
  options.user = user;
  options.password = password;
  options.dbname = db;
  options.sslmode = "disable";
  return options;
}

}  // namespace faultline::testing
