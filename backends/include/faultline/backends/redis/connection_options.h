// ConnectionOptions: where a Connection connects and the bounds it enforces.
//
// Every field has a safe default except the address. validate() rejects a bad value with
// kInvalidArgument, naming the field and its allowed range; Connection::create() calls it.
//
// Credentials: `username`/`password` are sent with AUTH on every (re)connect and appear nowhere
// else: not in error messages (a server error that echoes them is redacted), not in logs (the
// connection does not log).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "faultline/clock.h"
#include "faultline/result.h"

namespace faultline::backends::redis {

struct ConnectionOptions {
  // An IPv4/IPv6 literal (no resolver involved) or a host name (resolved on every connect).
  std::string host = "127.0.0.1";
  // TCP port, in [1, 65535].
  int port = 6379;
  // Bound on one connection attempt (resolve + TCP connect + AUTH), in (0, 60s]. An attempt is
  // also cut short by the deadline of the call that started it.
  Duration connect_timeout = std::chrono::seconds(1);
  // Requests queued or awaiting a reply (including abandoned ones whose caller timed out and
  // whose reply has not arrived yet), in [1, 65536]. Beyond it a call fails with kUnavailable.
  std::size_t max_in_flight = 1024;
  // Largest encoded request, in [64 B, 512 MiB] (Redis's own limit for one bulk string).
  std::size_t max_request_bytes = std::size_t{64} << 20;
  // Largest reply (bytes buffered but not yet parsed into a complete reply), in [1 KiB, 1 GiB].
  // A larger reply breaks the connection: the alternative is unbounded memory.
  std::size_t max_reply_bytes = std::size_t{64} << 20;
  // Optional ACL user (Redis >= 6); empty means the default user. Requires a password.
  std::string username;
  // Optional password for AUTH; empty means no AUTH.
  std::string password;

  [[nodiscard]] Result<void> validate() const;
};

}  // namespace faultline::backends::redis
