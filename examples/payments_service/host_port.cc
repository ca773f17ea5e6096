#include "examples/payments_service/host_port.h"

#include <charconv>

#include "faultline/validate.h"

namespace faultline::payments {

Result<std::pair<std::string, int>> parse_host_port(std::string_view flag, std::string_view text) {
  const std::size_t colon = text.rfind(':');
  const auto wrong = [&](std::string_view why) {
    return invalid_argument(std::string(flag) + ": '" + std::string(text.substr(0, 64)) + "' " +
                            std::string(why) + "; expected HOST:PORT, e.g. 127.0.0.1:8080");
  };
  if (colon == std::string_view::npos || colon == 0) return wrong("has no host or no port");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return wrong("has no host or no port");
  const std::string_view port_text = text.substr(colon + 1);
  int port = -1;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(),
                                         port);
  // Digits only: from_chars would take "-0" as 0.
  if (port_text.empty() || port_text.front() < '0' || port_text.front() > '9' ||
      ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return wrong("has a port outside [0, 65535]");
  }
  return std::pair<std::string, int>{std::string(host), port};
}

}  // namespace faultline::payments
