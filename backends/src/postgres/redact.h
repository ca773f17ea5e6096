// Redaction of the password from text libpq or the server produced (error messages, notices).
// Internal to the PostgreSQL backend. libpq does not echo passwords today; this keeps it so if a
// future version, a proxy or a misconfigured server does.
#pragma once

#include <string>
#include <string_view>

namespace faultline::backends::postgres::detail {

// Replaces every occurrence of `secret` in `text` with "<redacted>"; an empty secret changes
// nothing. Also trims trailing newlines (libpq ends its messages with one).
[[nodiscard]] std::string redact(std::string text, std::string_view secret);

}  // namespace faultline::backends::postgres::detail
