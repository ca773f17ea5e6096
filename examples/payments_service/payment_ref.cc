#include "examples/payments_service/payment_ref.h"

#include <charconv>

namespace faultline::payments {

std::string payment_ref(std::int64_t id) { return "pay_" + std::to_string(id); }

std::optional<std::int64_t> parse_payment_ref(std::string_view ref) {
  constexpr std::string_view kPrefix = "pay_";
  // At most 19 digits: every positive bigint, and no more text than one can take.
  if (!ref.starts_with(kPrefix) || ref.size() == kPrefix.size() || ref.size() > 23) return {};
  std::int64_t id = 0;
  const char* first = ref.data() + kPrefix.size();
  const char* last = ref.data() + ref.size();
  const auto [end, ec] = std::from_chars(first, last, id);
  if (ec != std::errc{} || end != last || id < 1 || *first == '0') return {};
  return id;
}

}  // namespace faultline::payments
