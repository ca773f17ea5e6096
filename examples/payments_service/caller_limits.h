// CallerLimits: the rate limits every authenticated request is checked against, before anything
// else is done for it (no idempotency record begun, no row read or written, no processor call).
//
//   tiers   "caller": the caller's own budget (key: the caller, or "sha256:<hex>" of it when it
//           is longer than the limiter's keys may be); "global": one budget for all callers
//           ("all"), when set. Both decided and charged together in one step on Redis
//           (ratelimit::RateLimiter over RedisLimitStore), a request costing 1.
//   allowed     the request goes on; its response carries RateLimit-Policy and RateLimit (and
//               the legacy RateLimit-Limit / -Remaining / -Reset if asked for), from
//               ratelimit::response_headers;
//   refused     429, application/problem+json (the draft's quota-exceeded problem, naming the
//               violated policies), Retry-After (never before any violated policy's t) and the
//               same fields;
//   Redis away  by --rate-limit-outage: fallback (decide in this process; the headers say what
//               it decided), open (allow, no fields), closed (503 + Retry-After, a problem body;
//               never a 429: nothing was refused, the limits could not be checked).
// The limiter's store lost / restored events go to the log (stderr) with the store's error,
// never a caller (the caller is the bearer token here) or a key.
// Ownership: borrows the clock and the store (both outlive it). Thread-safety: one io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "examples/payments_service/http_message.h"
#include "faultline/clock.h"
#include "faultline/ratelimit/limit_store.h"
#include "faultline/ratelimit/rate_limiter.h"
#include "faultline/task.h"

namespace faultline::payments {

// Which rate-limit fields a response carries: the draft's RateLimit-Policy + RateLimit, the
// legacy RateLimit-Limit / -Remaining / -Reset, or both.
enum class HeaderStyle : std::uint8_t { kDraft, kLegacy, kBoth };

struct RateLimitFlags {
  // Per caller; nullopt: off. The default is generous: 100 requests a second sustained, bursts
  // of 51 (max_burst 50), so it stops a runaway client, never a normal one.
  std::optional<ratelimit::Policy> caller{
      ratelimit::GcraPolicy{.count = 100, .period = std::chrono::seconds(1), .max_burst = 50}};
  std::optional<ratelimit::Policy> global{};  // all callers together; nullopt: off
  ratelimit::OutagePolicy on_outage{ratelimit::OutagePolicy::kFallback};
  HeaderStyle headers{HeaderStyle::kDraft};

  [[nodiscard]] bool enabled() const noexcept { return caller || global; }
};

// What the limits say about a request.
struct Admission {
  std::optional<HttpResponse> refusal{};  // a 429 or a 503: answer it, do nothing else
  HeaderFields fields{};                  // otherwise: add these to the response
};

class CallerLimits {
 public:
  // kInvalidArgument naming the field when a policy does not validate. Precondition:
  // flags.enabled().
  [[nodiscard]] static Result<CallerLimits> create(Clock& clock, ratelimit::LimitStore& store,
                                                   const RateLimitFlags& flags);

  // `caller` (borrowed until the task completes) is authenticated. Never fails: an error of the
  // limiter is a 503 (an outage with fail-closed) or a 500 (anything else), both logged.
  Task<Admission> admit(const std::string& caller);

 private:
  CallerLimits(ratelimit::RateLimiter limiter, HeaderStyle style)
      : limiter_(std::move(limiter)), style_(style) {}

  [[nodiscard]] Admission admission(const ratelimit::Verdict& verdict) const;

  ratelimit::RateLimiter limiter_;
  HeaderStyle style_;
};

// The limiter key of `caller`: itself when it fits the limiter's key bound, else "sha256:<hex>".
[[nodiscard]] std::string caller_limit_key(const std::string& caller);

}  // namespace faultline::payments
