// Redaction of a secret (a password) from text that may echo it back, shared by the Redis and
// PostgreSQL backends. Redis 7 quotes the arguments of an unknown command in its error reply,
// and a caller may pass a password as an argument; libpq does not echo passwords today, but a
// future version, a proxy or a misconfigured server might. Internal to the backends.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace faultline::backends::detail {

// Servers cut long echoes short: a run starting with this many bytes of the secret is treated
// as a truncated echo of it.
inline constexpr std::size_t kRedactPrefixBytes = 6;

// Returns `text` with every occurrence of `secret` replaced by "<redacted>", and every run
// that starts with the secret's first kRedactPrefixBytes bytes (a truncated echo) replaced up
// to the next single quote or the end of the text. One left-to-right pass: a replacement is
// never searched again, so a secret that occurs inside "<redacted>" cannot mangle the mark.
// An empty secret changes nothing.
[[nodiscard]] std::string redact(std::string_view text, std::string_view secret);

}  // namespace faultline::backends::detail
