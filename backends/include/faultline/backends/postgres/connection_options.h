// ConnectionOptions: where a PostgreSQL Connection connects and the bounds it enforces.
//
// Every field has a safe default except the credentials. validate() rejects a bad value with
// kInvalidArgument, naming the field and its allowed range; Connection::connect() calls it.
//
// The options reach libpq as keyword/value arrays (PQconnectStartParams), never as a conninfo
// string, so no value needs quoting and none can inject another keyword. Environment variables
// (PGHOST, PGPASSWORD, ...) and ~/.pgpass are not consulted for fields set here; a field left
// empty falls back to libpq's defaults as documented for PQconnectStartParams.
//
// Credentials: `password` is sent during authentication and appears nowhere else: not in error
// messages (libpq's, redacted just in case), not in logs (the connection does not log).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "faultline/clock.h"
#include "faultline/result.h"

namespace faultline::backends::postgres {

struct ConnectionOptions {
  // A host name, an IPv4/IPv6 literal, or an absolute path to a Unix-socket directory;
  // non-empty, at most 253 characters. Names are resolved by libpq (see caveats in connection.h).
  std::string host = "127.0.0.1";
  // TCP port (or Unix-socket file suffix), in [1, 65535].
  int port = 5432;
  // Database name; non-empty, at most 63 bytes (PostgreSQL's NAMEDATALEN - 1).
  std::string dbname;
  // Role to log in as; non-empty, at most 63 bytes.
  std::string user;
  // Password (may be empty for trust/peer authentication); at most 1024 bytes.
  std::string password;
  // libpq's sslmode: one of disable, allow, prefer, require, verify-ca, verify-full.
  std::string sslmode = "prefer";
  // Reported in pg_stat_activity; at most 63 bytes.
  std::string application_name = "faultline";
  // Bound on one connection attempt (TCP connect, TLS negotiation, authentication, startup), in
  // (0, 60s]. An attempt is also cut short by the deadline of the call that started it.
  Duration connect_timeout = std::chrono::seconds(5);
  // Largest statement: the SQL text plus every parameter's bytes, in [16 B, 256 MiB]. A larger
  // one is rejected with kInvalidArgument before anything is sent.
  std::size_t max_statement_bytes = std::size_t{1} << 20;
  // Most parameters in one statement, in [0, 65535] (the protocol's own limit).
  std::size_t max_params = 1024;

  [[nodiscard]] Result<void> validate() const;
};

}  // namespace faultline::backends::postgres
