// The service's command line (CLI11), every bound a flag with a stated default:
//
//   payments_service --listen 127.0.0.1:PORT --redis 127.0.0.1:PORT --postgres 'CONNINFO'
//                    [--fail-first N] [--processor-latency 200ms] [--processor-timeout 2s]
//                    [--max-wait 0] [--max-body-bytes 16384] [--max-header-bytes 8192]
//                    [--max-connections 256] [--read-timeout 10s] [--pg-connections 8]
//                    [--rate-limit gcra:rate=100/1s,burst=50] [--rate-limit-global off]
//                    [--rate-limit-outage fallback] [--rate-limit-headers draft]
//
// --rate-limit SPEC|off: each caller's limit; --rate-limit-global SPEC|off: all callers'
// together (off by default). SPEC is a policy as faultline/ratelimit/policy_spec.h reads it
// ("sliding-log:limit=3,window=2s"). --rate-limit-outage fallback|open|closed: what to do while
// Redis cannot decide (caller_limits.h). --rate-limit-headers draft|legacy|both: which fields.
//
// Durations are a number and a unit (ms, s, m, h); "0" alone is zero.
// parse_service_flags returns the flags, or the exit status when the process should end now:
// 0 after --help, 2 after a bad flag (the message, naming it, is on stderr; a --postgres value is
// never printed).
// Thread-safety: call once, from main.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

#include "examples/payments_service/caller_limits.h"
#include "examples/payments_service/http_server.h"
#include "faultline/backends/postgres/connection_options.h"
#include "faultline/backends/redis/connection_options.h"
#include "faultline/clock.h"

namespace faultline::payments {

struct ServiceFlags {
  std::string listen = "127.0.0.1:8080";
  backends::redis::ConnectionOptions redis{};
  backends::postgres::ConnectionOptions postgres{};
  std::size_t pg_connections = 8;
  std::uint64_t fail_first = 0;
  Duration processor_latency = std::chrono::milliseconds(200);
  Duration processor_timeout = std::chrono::seconds(2);
  // How long a duplicate of a request in progress waits for its response. The default, 0,
  // answers 409 + Retry-After at once, as Stripe does: a request never holds a connection
  // (and a server slot) waiting for another, and a client that retries after Retry-After gets
  // the replay. A few seconds instead lets concurrent duplicates get the replay directly.
  Duration max_wait = Duration::zero();
  HttpLimits limits{};
  RateLimitFlags rate_limit{};
};

[[nodiscard]] std::variant<ServiceFlags, int> parse_service_flags(int argc, char** argv);

// The --rate-limit* flags' texts (empty: the default) applied to `flags`, or kInvalidArgument
// naming the flag and what was wrong.
struct RateLimitTexts {
  std::string caller{};
  std::string global{};
  std::string outage{};
  std::string headers{};
};
[[nodiscard]] Result<void> resolve_rate_limit(RateLimitFlags& flags, const RateLimitTexts& texts);

// "250ms", "2s", "1m", "1h", or "0": the duration, or kInvalidArgument naming `flag`.
[[nodiscard]] Result<Duration> parse_duration(std::string_view flag, std::string_view text);

}  // namespace faultline::payments
