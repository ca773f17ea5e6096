// Structured Field Values for HTTP (RFC 8941): the Lists of Items that the RateLimit-Policy and
// RateLimit fields are (headers.h), parsed and serialized. The subset those fields need: a List
// whose members are Items (never Inner Lists) with bare items Integer, Decimal, String, Token,
// Byte Sequence or Boolean, and their Parameters. Dictionaries, Inner Lists, and RFC 9651's Dates
// and Display Strings are refused.
//
// Contract
//   - parse_list never crashes, reads no byte outside its argument, and does bounded work on any
//     input (issue 13 fuzzes it): at most kMaxFieldBytes bytes, kMaxListMembers members and
//     kMaxParameters distinct parameters per member; anything more is refused, not truncated.
//   - Any input that RFC 8941 says fails to parse, or that exceeds a bound, gives
//     kInvalidArgument "<field>: <what was wrong> at offset <n>", n the byte offset into the value
//     as given. Nothing partial is returned.
//   - RFC 8941's rules, kept exactly: leading and trailing SP are discarded (also HTAB, which an
//     HTTP parser strips as OWS before us); OWS around the commas between members, SP only after
//     a ';'; integers of at most 15 digits, decimals of at most 12 + 3; strings of printable
//     ASCII with only \" and \\ as escapes; a parameter given twice keeps its first position and
//     its last value. Base64 without '=' padding or with non-zero pad bits is accepted (4.2.7
//     says parsers SHOULD NOT fail on those); any other character is refused.
//   - An empty value is an empty List (RFC 8941 4.2, the field absent); the caller of a field that
//     must not be empty says so. Several field lines are one value once joined with ", ".
//   - serialize_list writes the canonical form (members joined by ", ", parameters without
//     spaces, `;key` for a true Boolean parameter) and refuses, with kInvalidArgument naming the
//     member and what was wrong, anything RFC 8941 cannot carry: an integer beyond 15 digits, a
//     string byte outside 0x20-0x7E, a malformed token or key. It does not check the bounds above:
//     a caller who wants its output to parse back checks them (headers.h does).
// Thread-safety: pure functions over values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "faultline/result.h"

namespace faultline::ratelimit::sf {

// The bounds of parse_list, chosen for the rate-limit fields: a response names a handful of
// policies, and 4 KiB is a common per-field limit of proxies (and far beyond any real value).
inline constexpr std::size_t kMaxFieldBytes = 4096;
inline constexpr std::size_t kMaxListMembers = 16;
inline constexpr std::size_t kMaxParameters = 32;
// RFC 8941: integers in [-999'999'999'999'999, 999'999'999'999'999] (15 digits).
inline constexpr std::int64_t kMaxInteger = 999'999'999'999'999;

// A Token bare item (`default`, `*foo/bar`), distinct from a String (`"default"`).
struct Token {
  std::string value;
  friend bool operator==(const Token&, const Token&) = default;
};
// A Byte Sequence, decoded: any bytes (written as `:base64:`).
struct ByteSequence {
  std::string bytes;
  friend bool operator==(const ByteSequence&, const ByteSequence&) = default;
};
// A Decimal in thousandths (RFC 8941 keeps three fractional digits): 1.5 is {1500}.
struct Decimal {
  std::int64_t thousandths{0};
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

// std::string is a String (its bytes unescaped); bool a Boolean.
using BareItem = std::variant<std::int64_t, Decimal, std::string, Token, ByteSequence, bool>;

struct Parameter {
  std::string key;  // lcalpha or '*', then lcalpha / DIGIT / "_" / "-" / "." / "*"
  BareItem value;
  friend bool operator==(const Parameter&, const Parameter&) = default;
};

struct Item {
  BareItem value{};
  std::vector<Parameter> params{};  // in order of first appearance, keys unique
  // Where the member began in the parsed value (for messages); ignored by serialize_list and ==.
  std::size_t offset{0};

  friend bool operator==(const Item& a, const Item& b) {
    return a.value == b.value && a.params == b.params;
  }
};

using List = std::vector<Item>;

// The parameter `key` of `params`, or nullptr.
[[nodiscard]] const BareItem* find_param(const std::vector<Parameter>& params,
                                         std::string_view key);

// `value` parsed as a List (see the contract); `field` names the field in messages.
[[nodiscard]] Result<List> parse_list(std::string_view field, std::string_view value);

// The canonical text of `list` (see the contract); `field` names the field in messages.
[[nodiscard]] Result<std::string> serialize_list(std::string_view field, const List& list);

}  // namespace faultline::ratelimit::sf
