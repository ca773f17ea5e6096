// "HOST:PORT" flags (--listen, --redis): the host and the port, split at the last ':' so that a
// bracketed IPv6 literal ("[::1]:80") keeps its colons and loses its brackets.
// Errors: kInvalidArgument "<flag>: '<text>' ...; expected HOST:PORT, e.g. 127.0.0.1:8080" when
// there is no host, no port, or a port that is not decimal digits in [0, 65535].
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "faultline/result.h"

namespace faultline::payments {

[[nodiscard]] Result<std::pair<std::string, int>> parse_host_port(std::string_view flag,
                                                                  std::string_view text);

}  // namespace faultline::payments
