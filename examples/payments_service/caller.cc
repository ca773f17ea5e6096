#include "examples/payments_service/caller.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "faultline/idempotency/idempotency_store.h"

namespace faultline::payments {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/';
}

// RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view token) {
  const std::size_t padding = token.size() - token.find_last_not_of('=') - 1;
  const std::string_view body = token.substr(0, token.size() - padding);
  return !body.empty() && std::all_of(body.begin(), body.end(), is_token_char);
}

}  // namespace

Result<std::string> caller_of(const std::optional<std::string>& header) {
  if (!header) return not_found("Authorization: missing; expected 'Bearer <caller>'");
  constexpr std::string_view kScheme = "bearer ";
  std::string_view value = *header;
  std::string scheme(value.substr(0, kScheme.size()));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != kScheme) {
    return invalid_argument("Authorization: expected the Bearer scheme, 'Bearer <caller>'");
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return invalid_argument("Authorization: the Bearer token is empty");
  if (value.size() > idempotency::kMaxScopeBytes) {
    return invalid_argument("Authorization: the Bearer token is longer than " +
                            std::to_string(idempotency::kMaxScopeBytes) + " bytes");
  }
  if (!is_b64token(value)) {
    return invalid_argument(
        "Authorization: the Bearer token has a character outside [A-Za-z0-9-._~+/] (then '=')");
  }
  return std::string(value);
}

}  // namespace faultline::payments
