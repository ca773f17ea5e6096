#include "redact.h"

#include <algorithm>

namespace faultline::backends::detail {
namespace {

constexpr std::string_view kMark = "<redacted>";

// How many bytes of `text` from `at` an echo of the secret covers: the whole secret, or a
// truncated echo up to the next quote; 0 when none starts there.
std::size_t echo_length(std::string_view text, std::size_t at, std::string_view secret,
                        std::string_view prefix) {
  const std::string_view rest = text.substr(at);
  if (rest.starts_with(secret)) return secret.size();
  if (!rest.starts_with(prefix)) return 0;
  const std::size_t quote = rest.find('\'');
  return quote == std::string_view::npos ? rest.size() : quote;
}

}  // namespace

std::string redact(std::string_view text, std::string_view secret) {
  if (secret.empty()) return std::string(text);
  const std::string_view prefix = secret.substr(0, std::min(secret.size(), kRedactPrefixBytes));
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t echoed = echo_length(text, at, secret, prefix);
    if (echoed > 0) {
      out.append(kMark);
      at += echoed;
    } else {
      out.push_back(text[at]);
      ++at;
    }
  }
  return out;
}

}  // namespace faultline::backends::detail
