// Idempotency keys and request fingerprints: what a server makes of a client's
// `Idempotency-Key` header before it touches the store.
//
// Keys (draft-ietf-httpapi-idempotency-key-header-06, and Stripe's practice):
//   - on the wire a Structured Field string, `Idempotency-Key: "8e03978e-40d5-43e8-bc93"`;
//     Stripe's bare form `Idempotency-Key: 8e03978e-40d5-43e8-bc93` is accepted too;
//   - 1 to kMaxKeyBytes (255) characters of printable ASCII; inside quotes, `\"` and `\\` are
//     the only escapes (RFC 8941 3.3.3);
//   - a key means nothing on its own: the record is scoped to its caller (RequestId's scope is
//     the authenticated principal, never something the client chose), so one tenant can never
//     replay, or learn of, another's response.
// Fingerprints: a request reusing a key must be the same request. fingerprint() covers the
// method, the path and the body as given (callers canonicalise JSON bodies first, or pass only
// the fields they mean to compare), as the lowercase hex SHA-256 of an unambiguous encoding.
// Errors: parse_key returns kInvalidArgument naming what was wrong ("Idempotency-Key: ..."), the
// text a 400 problem+json body carries. Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "faultline/result.h"

namespace faultline::idempotency {

// The key a header value carries (quoted or bare, surrounding spaces ignored), or why not.
[[nodiscard]] Result<std::string> parse_key(std::string_view header_value);

// The fingerprint of a request: hex SHA-256 over length-prefixed method, path and body.
[[nodiscard]] std::string fingerprint(std::string_view method, std::string_view path,
                                      std::string_view body);

// SHA-256 (FIPS 180-4) of `data`.
[[nodiscard]] std::array<std::uint8_t, 32> sha256(std::string_view data);
[[nodiscard]] std::string to_hex(const std::array<std::uint8_t, 32>& digest);

}  // namespace faultline::idempotency
