#include "redact.h"

namespace faultline::backends::postgres::detail {
namespace {

constexpr std::string_view kMark = "<redacted>";

}  // namespace

std::string redact(std::string text, std::string_view secret) {
  if (!secret.empty()) {
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + kMark.size())) {
      text.replace(at, secret.size(), kMark);
    }
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace faultline::backends::postgres::detail
