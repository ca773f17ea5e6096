// The character classes of RFC 8941 (and RFC 9110's tchar), shared by the Structured Field parser
// and serializer, and the one way their messages show untrusted text.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace faultline::ratelimit::sf::detail {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool is_alpha(char c) { return is_lcalpha(c) || (c >= 'A' && c <= 'Z'); }
// Printable ASCII, what an sf-string may hold (0x20 to 0x7E).
constexpr bool is_printable(char c) { return c >= 0x20 && c <= 0x7e; }
// RFC 9110 tchar.
constexpr bool is_tchar(char c) {
  return is_alpha(c) || is_digit(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
// What may follow a token's first character (tchar, ':' and '/').
constexpr bool is_token_char(char c) { return is_tchar(c) || c == ':' || c == '/'; }
constexpr bool is_key_start(char c) { return is_lcalpha(c) || c == '*'; }
constexpr bool is_key_char(char c) {
  return is_key_start(c) || is_digit(c) || c == '_' || c == '-' || c == '.';
}

inline constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A byte as a message shows it: 'x' when printable, else 0xNN (never the raw byte: it may be a
// control character, or half of a UTF-8 sequence).
inline std::string shown_byte(char c) {
  if (is_printable(c)) return std::string("'") + c + "'";
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
  return hex;
}

// Text as a message shows it: printable bytes as they are, others as \xNN, at most 64 bytes.
inline std::string shown_text(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) {
    if (is_printable(c) && c != '\\') {
      out += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X",
                    static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += hex;
    }
  }
  if (text.size() > 64) out += "...";
  return out;
}

}  // namespace faultline::ratelimit::sf::detail
