// RFC 8941 section 4.2, the List parser, step by step. Every read is guarded by at_end(), which
// looks at the trimmed end, so no input can read outside the value; every loop advances `pos_`
// or returns; the bounds (structured_fields.h) cap the output.
#include <algorithm>

#include "faultline/ratelimit/structured_fields.h"
#include "sf_chars.h"

namespace faultline::ratelimit::sf {
namespace {

using detail::shown_byte;

constexpr bool is_ows(char c) { return c == ' ' || c == '\t'; }

// The value of a base64 digit, or -1.
int base64_value(char c) {
  const std::size_t at = detail::kBase64.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

class Parser {
 public:
  Parser(std::string_view field, std::string_view text) : field_(field), text_(text) {
    while (end_ > 0 && is_ows(text_[end_ - 1])) --end_;
    while (pos_ < end_ && is_ows(text_[pos_])) ++pos_;
  }

  Result<List> list() {
    List out;
    while (!at_end()) {
      if (out.size() == kMaxListMembers) {
        return fail("more than " + std::to_string(kMaxListMembers) + " members");
      }
      Result<Item> member = item();
      if (!member) return member.error();
      out.push_back(std::move(member).value());
      while (!at_end() && is_ows(peek())) ++pos_;
      if (at_end()) break;
      if (peek() != ',') return fail("expected ',' or the end after a member, found " + shown());
      ++pos_;
      while (!at_end() && is_ows(peek())) ++pos_;
      if (at_end()) return fail("a ',' with no member after it");
    }
    return out;
  }

 private:
  bool at_end() const { return pos_ >= end_; }
  char peek() const { return text_[pos_]; }  // only when !at_end()
  std::string shown() const { return at_end() ? "the end" : shown_byte(peek()); }
  Error fail(const std::string& what) const { return fail_at(what, pos_); }
  Error fail_at(const std::string& what, std::size_t at) const {
    return invalid_argument(std::string(field_) + ": " + what + " at offset " + std::to_string(at));
  }

  Result<Item> item() {
    Item out;
    out.offset = pos_;
    if (peek() == '(') return fail("an Inner List where an Item is expected");
    Result<BareItem> value = bare_item();
    if (!value) return value.error();
    out.value = std::move(value).value();
    Result<std::vector<Parameter>> params = parameters();
    if (!params) return params.error();
    out.params = std::move(params).value();
    return out;
  }

  Result<BareItem> bare_item() {
    if (at_end()) return fail("expected an item, found the end");
    const char c = peek();
    if (c == '-' || detail::is_digit(c)) return number();
    if (c == '"') return string();
    if (c == ':') return byte_sequence();
    if (c == '?') return boolean();
    if (detail::is_alpha(c) || c == '*') return token();
    return fail("expected an item, found " + shown_byte(c));
  }

  Result<std::vector<Parameter>> parameters() {
    std::vector<Parameter> params;
    while (!at_end() && peek() == ';') {
      ++pos_;
      while (!at_end() && peek() == ' ') ++pos_;
      const std::size_t key_at = pos_;
      if (at_end() || !detail::is_key_start(peek())) {
        return fail("expected a parameter key (a lowercase letter or '*'), found " + shown());
      }
      while (!at_end() && detail::is_key_char(peek())) ++pos_;
      std::string key(text_.substr(key_at, pos_ - key_at));
      BareItem value = true;  // a key without '=' is a true Boolean
      if (!at_end() && peek() == '=') {
        ++pos_;
        Result<BareItem> parsed = bare_item();
        if (!parsed) return parsed.error();
        value = std::move(parsed).value();
      }
      // RFC 8941 4.2.3.2: a key seen again keeps its place and takes the new value.
      const auto same = std::find_if(params.begin(), params.end(),
                                     [&](const Parameter& p) { return p.key == key; });
      if (same != params.end()) {
        same->value = std::move(value);
      } else if (params.size() == kMaxParameters) {
        return fail_at("more than " + std::to_string(kMaxParameters) + " parameters", key_at);
      } else {
        params.push_back({std::move(key), std::move(value)});
      }
    }
    return params;
  }

  // RFC 8941 4.2.4: at most 15 digits for an integer, 12 + 3 for a decimal.
  Result<BareItem> number() {
    const std::size_t start = pos_;
    const bool negative = peek() == '-';
    if (negative) ++pos_;
    if (at_end() || !detail::is_digit(peek())) return fail("expected a digit, found " + shown());
    std::int64_t whole = 0;
    std::int64_t fraction = 0;
    int whole_digits = 0;
    int fraction_digits = 0;
    bool decimal = false;
    for (; !at_end(); ++pos_) {
      const char c = peek();
      if (c == '.' && !decimal) {
        if (whole_digits > 12) return fail_at("a decimal with more than 12 integer digits", start);
        decimal = true;
      } else if (!detail::is_digit(c)) {
        break;
      } else if (decimal) {
        if (fraction_digits == 3) return fail_at("a decimal with more than 3 decimals", start);
        fraction = fraction * 10 + (c - '0');
        ++fraction_digits;
      } else {
        if (whole_digits == 15) return fail_at("an integer of more than 15 digits", start);
        whole = whole * 10 + (c - '0');
        ++whole_digits;
      }
    }
    const std::int64_t sign = negative ? -1 : 1;
    if (!decimal) return BareItem(sign * whole);
    if (fraction_digits == 0) return fail_at("a decimal ending in '.'", start);
    for (int i = fraction_digits; i < 3; ++i) fraction *= 10;
    return BareItem(Decimal{sign * (whole * 1000 + fraction)});
  }

  // RFC 8941 4.2.5: printable ASCII; '\' escapes only '"' and '\'.
  Result<BareItem> string() {
    const std::size_t start = pos_++;
    std::string out;
    while (!at_end()) {
      const char c = peek();
      if (c == '"') {
        ++pos_;
        return BareItem(std::move(out));
      }
      if (c == '\\') {
        ++pos_;
        if (at_end()) break;
        if (peek() != '"' && peek() != '\\') {
          return fail("an escape of " + shown() + " in a string (only \\\" and \\\\)");
        }
      } else if (!detail::is_printable(c)) {
        return fail(shown_byte(c) + " in a string (printable ASCII only)");
      }
      out += peek();
      ++pos_;
    }
    return fail_at("a string without its closing '\"'", start);
  }

  Result<BareItem> token() {
    const std::size_t start = pos_++;
    while (!at_end() && detail::is_token_char(peek())) ++pos_;
    return BareItem(Token{std::string(text_.substr(start, pos_ - start))});
  }

  Result<BareItem> byte_sequence();

  Result<BareItem> boolean() {
    ++pos_;
    if (!at_end() && (peek() == '0' || peek() == '1')) return BareItem(text_[pos_++] == '1');
    return fail("expected ?0 or ?1, found " + shown());
  }

  std::string_view field_;
  std::string_view text_;
  std::size_t pos_{0};
  std::size_t end_{text_.size()};
};

// RFC 8941 4.2.7: base64 between colons; missing '=' padding and non-zero pad bits accepted.
Result<BareItem> Parser::byte_sequence() {
  const std::size_t start = pos_++;
  std::string out;
  std::uint32_t bits = 0;
  int nbits = 0;
  std::size_t digits = 0;
  std::size_t padding = 0;
  for (; !at_end(); ++pos_) {
    const char c = peek();
    if (c == ':') {
      if (digits % 4 == 1) return fail_at("a byte sequence of a length base64 cannot have", start);
      if (padding > 0 && (digits + padding) % 4 != 0) return fail("misplaced '=' padding");
      ++pos_;
      return BareItem(ByteSequence{std::move(out)});
    }
    if (c == '=' && padding < 2 && digits > 0) {
      ++padding;
      continue;
    }
    const int value = base64_value(c);
    if (value < 0 || padding > 0) return fail(shown_byte(c) + " in a byte sequence");
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    nbits += 6;
    ++digits;
    if (nbits >= 8) {
      nbits -= 8;
      out += static_cast<char>((bits >> nbits) & 0xFF);
      bits &= (1U << nbits) - 1;  // keep only the bits not yet written
    }
  }
  return fail_at("a byte sequence without its closing ':'", start);
}

}  // namespace

const BareItem* find_param(const std::vector<Parameter>& params, std::string_view key) {
  for (const Parameter& p : params) {
    if (p.key == key) return &p.value;
  }
  return nullptr;
}

Result<List> parse_list(std::string_view field, std::string_view value) {
  if (value.size() > kMaxFieldBytes) {
    return invalid_argument(std::string(field) + ": " + std::to_string(value.size()) +
                            " bytes, more than " + std::to_string(kMaxFieldBytes) + " at offset " +
                            std::to_string(kMaxFieldBytes));
  }
  return Parser(field, value).list();
}

}  // namespace faultline::ratelimit::sf
