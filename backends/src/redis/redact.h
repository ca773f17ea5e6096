// Redaction of a secret from text that may echo it back (Redis 7 quotes the arguments of an
// unknown command in its error reply, and a caller may pass a password as an argument).
// Internal to the Redis backend.
#pragma once

#include <string>
#include <string_view>

namespace faultline::backends::redis::detail {

// Replaces every occurrence of `secret` in `text` with "<redacted>". Because servers cut long
// echoes short, a run that starts with the secret's first kPrefixBytes bytes is also redacted,
// up to the next quote or the end. An empty secret changes nothing.
void redact(std::string& text, std::string_view secret);

}  // namespace faultline::backends::redis::detail
