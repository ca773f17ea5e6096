// Fingerprints of JSON requests: the same request, however its body is spelled.
//
// A retry must be recognised as the same request even when the client's JSON library orders
// keys differently or adds whitespace, and, when configured, even when the body carries
// incidental fields (a client timestamp, a trace id) that do not change what is asked
// (AWS Powertools' payload validation of selected fields). Two steps:
//   canonical_json(body)          compact JSON, object keys sorted at every level; strings and
//                                 numbers as parsed (an integer stays an integer, any other
//                                 number is written in its shortest round-trip form: 1e2 and
//                                 100.0 are one value, 100 another);
//   canonical_json(body, fields)  the same, of an object of only the named top-level fields (one
//                                 that is absent is null, so leaving it out is not a new request);
//   json_fingerprint(...)         fingerprint() (request_key.h) over method, path and that form.
// Errors: kInvalidArgument starting "body: " (not JSON, nested deeper than kMaxJsonDepth,
// larger than kMaxJsonBytes, or, with `fields`, not an object). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "faultline/result.h"

namespace faultline::idempotency {

inline constexpr std::size_t kMaxJsonBytes = 1024 * 1024;
inline constexpr std::size_t kMaxJsonDepth = 64;

[[nodiscard]] Result<std::string> canonical_json(std::string_view body,
                                                 std::span<const std::string> fields = {});

[[nodiscard]] Result<std::string> json_fingerprint(std::string_view method, std::string_view path,
                                                   std::string_view body,
                                                   std::span<const std::string> fields = {});

}  // namespace faultline::idempotency
