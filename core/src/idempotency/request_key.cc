#include "faultline/idempotency/request_key.h"

#include <string>

#include "faultline/idempotency/idempotency_store.h"

namespace faultline::idempotency {
namespace {

constexpr std::string_view kHeader = "Idempotency-Key: ";

Error bad_key(const std::string& why) { return invalid_argument(std::string(kHeader) + why); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The content of a Structured Field string: after the opening quote, up to the closing one.
Result<std::string> unquote(std::string_view text) {
  std::string key;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      if (i + 1 != text.size()) return bad_key("characters after the closing quote");
      return key;
    }
    if (c == '\\') {
      if (i + 1 == text.size() || (text[i + 1] != '"' && text[i + 1] != '\\')) {
        return bad_key("only \\\" and \\\\ may be escaped in a quoted key");
      }
      key += text[++i];
      continue;
    }
    key += c;
  }
  return bad_key("the quoted key has no closing quote");
}

Result<void> check_key(std::string_view key) {
  if (key.empty()) return bad_key("empty; send 1 to 255 printable ASCII characters");
  if (key.size() > kMaxKeyBytes) {
    return bad_key(std::to_string(key.size()) + " characters; at most " +
                   std::to_string(kMaxKeyBytes));
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x20 || c > 0x7e) {
      return bad_key("character " + std::to_string(i + 1) + " is not printable ASCII");
    }
  }
  return Ok{};
}

void append_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out.append(field);
}

}  // namespace

Result<std::string> parse_key(std::string_view header_value) {
  const std::string_view text = trim(header_value);
  std::string key;
  if (!text.empty() && text.front() == '"') {
    auto unquoted = unquote(text);
    if (!unquoted) return std::move(unquoted).error();
    key = std::move(*unquoted);
  } else {
    if (text.find('"') != std::string_view::npos) return bad_key("a stray quote in a bare key");
    key = std::string(text);
  }
  if (auto r = check_key(key); !r) return std::move(r).error();
  return key;
}

std::string fingerprint(std::string_view method, std::string_view path, std::string_view body) {
  // Length-prefixed, so that no two (method, path, body) triples encode alike.
  std::string encoded;
  encoded.reserve(method.size() + path.size() + body.size() + 24);
  append_field(encoded, method);
  append_field(encoded, path);
  append_field(encoded, body);
  return to_hex(sha256(encoded));
}

}  // namespace faultline::idempotency
