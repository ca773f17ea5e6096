// Replaying a recorded trace through a policy in virtual time: what `faultline limit` prints.
// Each key gets its own state (a fresh one at its first request), each request the policy's
// decision at its TIME_MS; nothing else happens between requests.
//
// Per key, the summary counts allowed and refused requests and the most requests (and cost
// units) allowed within any window (t - W, t] of the policy's length W (policy_window: the
// period of a rate, or the window), computed exactly by a two-pointer sweep over the allowed
// requests. Compare max_units_in_window with the limit to see what a policy let through.
// Precondition: the policy validated, the trace as read_trace returns it (times non-decreasing).
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faultline/ratelimit/policy.h"
#include "scenarios/ratelimit/trace.h"

namespace faultline::scenarios::ratelimit {

struct ReplayedRequest {
  TraceRequest request;
  faultline::ratelimit::Decision decision;
};

struct KeySummary {
  std::string key;
  std::int64_t allowed{0};
  std::int64_t refused{0};
  std::int64_t max_in_window{0};        // allowed requests
  std::int64_t max_units_in_window{0};  // allowed cost units
};

struct Replay {
  std::vector<ReplayedRequest> requests;  // in trace order
  std::vector<KeySummary> keys;           // by key, in byte order
};

[[nodiscard]] Replay replay(const faultline::ratelimit::Policy& policy,
                            const std::vector<TraceRequest>& trace);

// Waits for output in whole milliseconds, rounded up (a client that waits that long is
// allowed); -1 for "never" and, in retry_after_ms, for an allowed request.
[[nodiscard]] std::int64_t retry_after_ms(const faultline::ratelimit::Decision& decision);
[[nodiscard]] std::int64_t reset_after_ms(const faultline::ratelimit::Decision& decision);

}  // namespace faultline::scenarios::ratelimit
