#include "faultline/idempotency/json_fingerprint.h"

#include <nlohmann/json.hpp>

#include "faultline/idempotency/request_key.h"
#include "faultline/validate.h"

namespace faultline::idempotency {
namespace {

// The deepest nesting of arrays and objects in `text`, outside strings; checked before parsing
// so that no hostile body makes the parser (or the value's destructor) recurse without bound.
std::size_t nesting_depth(std::string_view text) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;  // the escaped character, whatever it is, is part of the string
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  return deepest;
}

}  // namespace

Result<std::string> canonical_json(std::string_view body, std::span<const std::string> fields) {
  if (auto r = check_size("body", body.size(), 0, kMaxJsonBytes, "bytes"); !r) return r.error();
  if (nesting_depth(body) > kMaxJsonDepth) {
    return invalid_argument("body: nested deeper than " + std::to_string(kMaxJsonDepth) +
                            " levels");
  }
  // nlohmann::json keeps object members in a std::map: dump() writes keys sorted.
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return invalid_argument("body: not valid JSON");
  if (fields.empty()) return value.dump();
  if (!value.is_object()) return invalid_argument("body: not a JSON object");
  nlohmann::json selected = nlohmann::json::object();
  for (const std::string& field : fields) {
    const auto it = value.find(field);
    selected[field] = it == value.end() ? nlohmann::json(nullptr) : *it;
  }
  return selected.dump();
}

Result<std::string> json_fingerprint(std::string_view method, std::string_view path,
                                     std::string_view body, std::span<const std::string> fields) {
  Result<std::string> canonical = canonical_json(body, fields);
  if (!canonical) return canonical.error();
  return fingerprint(method, path, canonical.value());
}

}  // namespace faultline::idempotency
