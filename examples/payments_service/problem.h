// Problem details (RFC 9457): every error the service answers is an application/problem+json
// body with a `type` (a stable slug under /problems/), a `title`, the `status`, a `detail` that
// names what was wrong (the field, the header), and, for input errors, the `field` at fault.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "examples/payments_service/http_message.h"

namespace faultline::payments {

struct Problem {
  int status = 400;
  std::string_view type{};   // slug: "invalid-body", "idempotency-key-reused", ...
  std::string_view title{};  // short and fixed per type
  std::string detail{};      // what exactly was wrong, naming the field or header
  std::string field{};       // optional: the body field or header at fault
};

// The problem+json response for `problem` (keys in a fixed order: the bytes are stable).
[[nodiscard]] HttpResponse problem_response(const Problem& problem);

// 400 `type`, naming `field` in the detail.
[[nodiscard]] HttpResponse bad_request(std::string_view type, std::string_view field,
                                       std::string detail);

}  // namespace faultline::payments
