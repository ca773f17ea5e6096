#include "examples/payments_service/http_message.h"

#include <charconv>

namespace faultline::payments {

std::string frame(const HttpResponse& response) {
  return std::to_string(response.status) + " " + response.content_type + "\n" + response.body;
}

Result<HttpResponse> unframe(std::string_view stored) {
  const std::size_t space = stored.find(' ');
  const std::size_t newline = stored.find('\n');
  if (space != 3 || newline == std::string_view::npos || newline < space) {
    return Error{ErrorCode::kProtocol, "stored response: not '<status> <type>\\n<body>'"};
  }
  HttpResponse response;
  const auto [end, ec] = std::from_chars(stored.data(), stored.data() + 3, response.status);
  if (ec != std::errc{} || end != stored.data() + 3 || response.status < 100 ||
      response.status > 599) {
    return Error{ErrorCode::kProtocol, "stored response: the status is not in [100, 599]"};
  }
  response.content_type = std::string(stored.substr(space + 1, newline - space - 1));
  response.body = std::string(stored.substr(newline + 1));
  return response;
}

std::chrono::seconds retry_after_seconds(std::chrono::nanoseconds wait) {
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(wait);
  return std::max(seconds, std::chrono::seconds(1));
}

}  // namespace faultline::payments
