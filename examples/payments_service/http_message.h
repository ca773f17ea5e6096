// HttpRequest and HttpResponse: what the server hands a handler and what the handler answers,
// independent of Boost.Beast; and the framing under which a final response is stored in an
// idempotency record so that its replay is byte-identical.
//
// Stored framing: "<status> <content-type>\n<body>" (status three digits, content type without
// spaces or newlines). Only the status, content type and body are stored; headers that describe
// this answer rather than the payment (Idempotent-Replayed, Retry-After, the rate-limit fields)
// are never stored.
// Thread-safety: value types and pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/result.h"

namespace faultline::payments {

inline constexpr std::string_view kJson = "application/json";
inline constexpr std::string_view kProblemJson = "application/problem+json";

struct HttpRequest {
  std::string method{};  // "POST", as sent
  std::string target{};  // "/payments/pay_1", as sent (no query strings are served)
  std::optional<std::string> authorization{};    // the Authorization header, if one was sent
  std::optional<std::string> idempotency_key{};  // the first Idempotency-Key header, if any
  std::size_t idempotency_key_headers = 0;       // how many Idempotency-Key headers were sent
  std::string body{};
};

// Header fields as (name, value), in the order to send them.
using HeaderFields = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 200;
  std::string content_type{kJson};
  std::string body{};
  // Retry-After, in whole seconds (rounded up by whoever sets it).
  std::optional<std::chrono::seconds> retry_after{};
  bool replayed = false;           // sets `Idempotent-Replayed: true`
  bool close = false;              // the connection closes after this response
  std::string www_authenticate{};  // non-empty: a WWW-Authenticate header (401)
  // More fields, set last (RateLimit-Policy, RateLimit, a 429's Retry-After): they describe
  // this answer, so they are never stored either.
  HeaderFields fields{};
};

// The stored form of `response` (status, content type, body), see above.
[[nodiscard]] std::string frame(const HttpResponse& response);
// The response a stored frame holds, or kProtocol naming what is wrong with it.
[[nodiscard]] Result<HttpResponse> unframe(std::string_view stored);

// `wait` in whole seconds, rounded up, at least 1 (what a Retry-After header carries).
[[nodiscard]] std::chrono::seconds retry_after_seconds(std::chrono::nanoseconds wait);

}  // namespace faultline::payments
