// Fuzzes JSON request fingerprints (json_fingerprint.h): any body gives a canonical form or
// kInvalidArgument "body: ..."; the canonical form is a fixed point (canonicalising it again
// changes nothing), with and without a selection of fields, so a retry spelled as our own
// output is the same request.
#include <array>
#include <string>

#include "faultline/idempotency/json_fingerprint.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

void check_fixed_point(std::string_view body, std::span<const std::string> fields) {
  const Result<std::string> canonical = idempotency::canonical_json(body, fields);
  if (!canonical.ok()) {
    require_error(canonical.error(), ErrorCode::kInvalidArgument, "body: ", "canonical_json");
    return;
  }
  const Result<std::string> again = idempotency::canonical_json(*canonical, fields);
  require(again.ok() && *again == *canonical, "canonical_json: not a fixed point: " + *canonical);
}

}  // namespace

int fuzz_json_fingerprint(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = as_text(data, size);
  check_fixed_point(body, {});
  const std::array<std::string, 2> fields = {"amount", "currency"};
  check_fixed_point(body, fields);
  return 0;
}

}  // namespace faultline::fuzz
