#include "bytea_hex.h"

namespace faultline::backends::postgres::detail {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 15]);
  }
  return out;
}

Result<std::string> unhex(std::string_view text, std::string_view column) {
  if (text.size() % 2 != 0) {
    return Error{ErrorCode::kProtocol, std::string(column) + ": odd-length hex"};
  }
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = hex_digit(text[i]);
    const int low = hex_digit(text[i + 1]);
    if (high < 0 || low < 0) {
      return Error{ErrorCode::kProtocol, std::string(column) + ": not hex"};
    }
    out.push_back(static_cast<char>((high << 4) | low));
  }
  return out;
}

}  // namespace faultline::backends::postgres::detail
