// Fuzzes the Idempotency-Key header parser (request_key.h), which the payments example calls on
// every POST: any header value gives a key of 1 to 255 printable ASCII characters or
// kInvalidArgument "Idempotency-Key: ..."; a key that reads, sent again as a quoted Structured
// Field string, reads back to itself.
#include <string>

#include "faultline/idempotency/request_key.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

std::string quoted(const std::string& key) {
  std::string out = "\"";
  for (const char c : key) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

}  // namespace

int fuzz_request_key(const std::uint8_t* data, std::size_t size) {
  const Result<std::string> key = idempotency::parse_key(as_text(data, size));
  if (!key.ok()) {
    require_error(key.error(), ErrorCode::kInvalidArgument, "Idempotency-Key: ", "parse_key");
    return 0;
  }
  require(!key->empty() && key->size() <= 255, "parse_key: key length out of [1, 255]");
  for (const char c : *key) {
    require(c >= 0x20 && c <= 0x7E, "parse_key: key byte outside printable ASCII");
  }
  const Result<std::string> again = idempotency::parse_key(quoted(*key));
  require(again.ok() && *again == *key, "parse_key: quoted form does not read back: " + *key);
  return 0;
}

}  // namespace faultline::fuzz
