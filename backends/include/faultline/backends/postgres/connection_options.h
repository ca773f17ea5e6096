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
// Dead peers: TCP keepalive and TCP_USER_TIMEOUT are on by default, on both ends. A peer that
// vanishes without closing the connection (power loss, a partition, a NAT dropping its state) is
// noticed only by them. Without them a server keeps the dead client's session, and every
// advisory lock it holds, for the OS default of over two hours (7200s idle + 9 x 75s probes on
// Linux), refusing everyone else the lock meanwhile; and a client waits as long on a server that
// is gone. The defaults notice a vanished peer within idle + interval x count = 25s.
//   - client side: libpq's keepalives=1, keepalives_idle, keepalives_interval,
//     keepalives_count and tcp_user_timeout;
//   - server side, for this session only: the same settings sent in the startup packet's
//     `options` (-c tcp_keepalives_idle=... -c tcp_keepalives_interval=...
//     -c tcp_keepalives_count=... -c tcp_user_timeout=...), which is what frees a vanished
//     client's locks. Over a Unix socket there is no TCP and both sides ignore them.
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
  // TCP keepalive on both ends (see "Dead peers" above). false: neither end is configured (libpq
  // keepalives=0, the server keeps its own settings).
  bool keepalives = true;
  // Silence before the first probe, in [1s, 2h].
  std::chrono::seconds keepalive_idle{10};
  // Between unanswered probes, in [1s, 1h].
  std::chrono::seconds keepalive_interval{5};
  // Unanswered probes before the connection is dropped, in [1, 100].
  int keepalive_count = 3;
  // TCP_USER_TIMEOUT on both ends: how long sent data may stay unacknowledged (a peer gone while
  // a request or reply is in flight) before the connection is dropped, in [0, 1h]; 0 leaves the
  // OS default (none). Default: the keepalive's detection time, idle + interval x count. Only
  // sent when `keepalives` is true.
  std::chrono::milliseconds tcp_user_timeout{25'000};

  // idle + interval x count: how long a vanished peer keeps an idle connection open.
  [[nodiscard]] Duration keepalive_detection() const {
    return keepalive_idle + keepalive_interval * keepalive_count;
  }

  [[nodiscard]] Result<void> validate() const;

 private:
  [[nodiscard]] Result<void> validate_keepalive() const;
};

}  // namespace faultline::backends::postgres
