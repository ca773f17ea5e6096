// The caller: who sent a request, from `Authorization: Bearer <caller>`. In this example the
// bearer token *is* the caller's name (a real service would verify a token and take the
// principal from it); it scopes every idempotency key and every payment, so one caller can never
// replay, or read, another's. The token is never logged.
//
// caller_of(header):
//   absent                 kNotFound "Authorization: missing; ..."  (answered 401)
//   not "Bearer <token>", or a token that is not an RFC 6750 b64token of 1..kMaxScopeBytes
//                          kInvalidArgument "Authorization: ..." naming what is wrong (400)
// Thread-safety: a pure function.
#pragma once

#include <optional>
#include <string>

#include "faultline/result.h"

namespace faultline::payments {

[[nodiscard]] Result<std::string> caller_of(const std::optional<std::string>& header);

}  // namespace faultline::payments
