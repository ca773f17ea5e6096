// The id clients see for a payment: "pay_<id>", id a positive bigint written without leading
// zeros; and back, for every positive bigint. Anything else names no payment (a 404, never an
// error about the text).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::payments {

[[nodiscard]] std::string payment_ref(std::int64_t id);
// The id `ref` spells, or nothing unless exactly that form.
[[nodiscard]] std::optional<std::int64_t> parse_payment_ref(std::string_view ref);

}  // namespace faultline::payments
