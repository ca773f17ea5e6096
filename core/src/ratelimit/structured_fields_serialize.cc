// RFC 8941 section 4.1, the List serializer: canonical text, or an error naming the member (and
// the parameter) that RFC 8941 cannot carry.
#include <algorithm>
#include <string>

#include "faultline/ratelimit/structured_fields.h"
#include "sf_chars.h"

namespace faultline::ratelimit::sf {
namespace {

using detail::shown_text;

// What cannot be written, or empty when it can.
using Problem = std::string;

std::string base64(std::string_view bytes) {
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(bytes[i + k]); };
    const std::uint32_t group = (b(0) << 16) | (b(1) << 8) | b(2);
    for (int shift = 18; shift >= 0; shift -= 6) out += detail::kBase64[(group >> shift) & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
  if (rest == 2) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
  out += detail::kBase64[(group >> 18) & 63];
  out += detail::kBase64[(group >> 12) & 63];
  out += rest == 2 ? detail::kBase64[(group >> 6) & 63] : '=';
  out += '=';
  return out;
}

Problem write_decimal(std::string& out, Decimal d) {
  // 12 integer digits and 3 decimals at the most (RFC 8941 4.1.5).
  if (d.thousandths < -kMaxInteger || d.thousandths > kMaxInteger) {
    return "decimal " + std::to_string(d.thousandths) +
           " thousandths has more than 12 integer digits";
  }
  const std::int64_t magnitude = d.thousandths < 0 ? -d.thousandths : d.thousandths;
  if (d.thousandths < 0) out += '-';
  out += std::to_string(magnitude / 1000) + '.';
  std::string fraction = std::to_string(1000 + magnitude % 1000).substr(1);  // three digits
  while (fraction.size() > 1 && fraction.back() == '0') fraction.pop_back();
  out += fraction;
  return {};
}

Problem write_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!detail::is_printable(s[i])) {
      return "string \"" + shown_text(s) + "\": byte " + std::to_string(i) + " is " +
             detail::shown_byte(s[i]) + ", not printable ASCII (0x20-0x7E)";
    }
    if (s[i] == '"' || s[i] == '\\') out += '\\';
    out += s[i];
  }
  out += '"';
  return {};
}

Problem write_token(std::string& out, std::string_view t) {
  bool valid = !t.empty() && (detail::is_alpha(t[0]) || t[0] == '*');
  for (std::size_t i = 1; valid && i < t.size(); ++i) valid = detail::is_token_char(t[i]);
  if (!valid) return "token \"" + shown_text(t) + "\" is not a token (RFC 8941 3.3.4)";
  out += t;
  return {};
}

Problem write_bare(std::string& out, const BareItem& item) {
  if (const auto* i = std::get_if<std::int64_t>(&item)) {
    if (*i < -kMaxInteger || *i > kMaxInteger) {
      return "integer " + std::to_string(*i) + " has more than 15 digits";
    }
    out += std::to_string(*i);
    return {};
  }
  if (const auto* d = std::get_if<Decimal>(&item)) return write_decimal(out, *d);
  if (const auto* s = std::get_if<std::string>(&item)) return write_string(out, *s);
  if (const auto* t = std::get_if<Token>(&item)) return write_token(out, t->value);
  if (const auto* b = std::get_if<ByteSequence>(&item)) {
    out += ':' + base64(b->bytes) + ':';
    return {};
  }
  out += std::get<bool>(item) ? "?1" : "?0";
  return {};
}

Problem write_param(std::string& out, const Parameter& p) {
  bool valid = !p.key.empty() && detail::is_key_start(p.key[0]);
  for (std::size_t i = 1; valid && i < p.key.size(); ++i) valid = detail::is_key_char(p.key[i]);
  if (!valid) return "parameter key \"" + shown_text(p.key) + "\" is not a key (RFC 8941 3.1.2)";
  out += ';' + p.key;
  const bool* flag = std::get_if<bool>(&p.value);
  if (flag != nullptr && *flag) return {};  // `;key` is a true Boolean
  out += '=';
  if (Problem problem = write_bare(out, p.value); !problem.empty()) {
    return "parameter " + p.key + ": " + problem;
  }
  return {};
}

}  // namespace

Result<std::string> serialize_list(std::string_view field, const List& list) {
  std::string out;
  for (std::size_t m = 0; m < list.size(); ++m) {
    if (m > 0) out += ", ";
    Problem problem = write_bare(out, list[m].value);
    const std::vector<Parameter>& params = list[m].params;
    for (std::size_t p = 0; problem.empty() && p < params.size(); ++p) {
      // Text with a key twice would parse back to one parameter (the last value wins).
      const auto first = std::find_if(params.begin(), params.end(),
                                      [&](const Parameter& q) { return q.key == params[p].key; });
      problem = first != params.begin() + static_cast<std::ptrdiff_t>(p)
                    ? "parameter key \"" + shown_text(params[p].key) + "\" appears twice"
                    : write_param(out, params[p]);
    }
    if (!problem.empty()) {
      return invalid_argument(std::string(field) + ": member " + std::to_string(m) + ": " +
                              problem);
    }
  }
  return out;
}

}  // namespace faultline::ratelimit::sf
