#include "redact.h"

#include <algorithm>

namespace faultline::backends::redis::detail {
namespace {

constexpr std::string_view kMark = "<redacted>";
constexpr std::size_t kPrefixBytes = 6;

}  // namespace

void redact(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + kMark.size())) {
    text.replace(at, secret.size(), kMark);
  }
  const std::string_view prefix = secret.substr(0, std::min(secret.size(), kPrefixBytes));
  for (std::size_t at = text.find(prefix); at != std::string::npos;
       at = text.find(prefix, at + kMark.size())) {
    std::size_t end = text.find('\'', at);
    if (end == std::string::npos) end = text.size();
    text.replace(at, end - at, kMark);
  }
}

}  // namespace faultline::backends::redis::detail
