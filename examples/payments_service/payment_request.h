// PaymentRequest: the body of POST /payments, validated and put in canonical form.
//
// The body is a JSON object with exactly these fields:
//   amount    an integer in minor units (cents), in [1, kMaxAmount];
//   currency  three uppercase ASCII letters (ISO 4217 style: "EUR");
//   customer  a non-empty string of at most kMaxCustomerBytes bytes.
// Anything else (not JSON, not an object, a field missing, of the wrong type or out of range, an
// unknown field) is kInvalidArgument whose message starts with the field at fault ("amount: ...",
// "tip: ...", "body: ..."): the detail of the 400 the client gets. An unknown field whose name is
// not plain (1..64 of [A-Za-z0-9_-]) is named "body", so that no name the client chose (a ':'
// in it, say) can make the message name another field.
// The canonical form is the compact JSON with keys sorted, so two bodies that differ only in
// whitespace, key order or number spelling (1e2 is not an integer: refused) are the same request
// for the fingerprint.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "faultline/result.h"

namespace faultline::payments {

inline constexpr std::int64_t kMaxAmount = 99'999'999'999;  // below 2^53: exact in any JSON
inline constexpr std::size_t kMaxCustomerBytes = 255;

struct PaymentRequest {
  std::int64_t amount = 0;
  std::string currency{};
  std::string customer{};
  std::string canonical{};  // the canonical JSON of the three fields
};

// The request `body` holds, or kInvalidArgument naming the field (see above).
[[nodiscard]] Result<PaymentRequest> parse_payment_request(std::string_view body);

// The field a parse error names: the text before the first ':' of its message ("body" if none).
[[nodiscard]] std::string_view error_field(const Error& error);

}  // namespace faultline::payments
