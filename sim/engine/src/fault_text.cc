#include "fault_text.h"

#include <fmt/format.h>

#include <limits>

namespace faultline::sim::detail {

std::string exact_seconds(Duration d, bool sign) {
  const std::int64_t ns = d.count();
  // Magnitude in unsigned arithmetic: -INT64_MIN does not fit a signed value.
  const std::uint64_t magnitude =
      ns < 0 ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  std::string fraction = fmt::format("{:09}", magnitude % 1'000'000'000);
  while (fraction.size() > 3 && fraction.back() == '0') fraction.pop_back();
  const char* prefix = ns < 0 ? "-" : (sign ? "+" : "");
  return fmt::format("{}{}.{}s", prefix, magnitude / 1'000'000'000, fraction);
}

bool Cursor::literal(std::string_view text) {
  if (rest_.substr(0, text.size()) != text) {
    expected_ = fmt::format("'{}'", text);
    return false;
  }
  rest_.remove_prefix(text.size());
  return true;
}

std::optional<int> Cursor::choice(std::initializer_list<std::string_view> choices) {
  int i = 0;
  for (std::string_view c : choices) {
    if (rest_.substr(0, c.size()) == c) {
      rest_.remove_prefix(c.size());
      return i;
    }
    ++i;
  }
  expected_ = "one of";
  for (std::string_view c : choices) expected_ += fmt::format(" '{}'", c);
  return std::nullopt;
}

std::optional<std::string> Cursor::name() {
  const std::size_t end = std::min(rest_.find(' '), rest_.size());
  if (end == 0) {
    expected_ = "a process name";
    return std::nullopt;
  }
  std::string out(rest_.substr(0, end));
  rest_.remove_prefix(end);
  return out;
}

std::optional<std::int64_t> Cursor::integer(bool signed_allowed) {
  std::string_view r = rest_;
  bool negative = false;
  if (signed_allowed && !r.empty() && (r[0] == '+' || r[0] == '-')) {
    negative = r[0] == '-';
    r.remove_prefix(1);
  }
  std::uint64_t value = 0;
  std::size_t digits = 0;
  for (; digits < r.size() && r[digits] >= '0' && r[digits] <= '9'; ++digits) {
    if (value > (std::numeric_limits<std::uint64_t>::max() >> 4)) break;
    value = value * 10 + static_cast<std::uint64_t>(r[digits] - '0');
  }
  if (digits == 0 || digits > 18) {
    expected_ = signed_allowed ? "a signed whole number" : "a whole number";
    return std::nullopt;
  }
  rest_ = r.substr(digits);
  const auto v = static_cast<std::int64_t>(value);
  return negative ? -v : v;
}

std::optional<Duration> Cursor::duration(bool signed_allowed) {
  const std::string_view start = rest_;
  const std::string want = signed_allowed ? "a duration like +0.250s" : "a duration like 0.250s";
  bool negative = false;
  if (signed_allowed && !rest_.empty() && (rest_[0] == '+' || rest_[0] == '-')) {
    negative = rest_[0] == '-';
    rest_.remove_prefix(1);
  }
  const auto whole = integer(false);
  std::int64_t ns = 0;
  if (whole && literal(".")) {
    std::size_t digits = 0;
    for (; digits < rest_.size() && rest_[digits] >= '0' && rest_[digits] <= '9'; ++digits) {
      if (digits < 9) ns = ns * 10 + (rest_[digits] - '0');
    }
    if (digits > 0 && digits <= 9) {
      for (std::size_t i = digits; i < 9; ++i) ns *= 10;
      rest_.remove_prefix(digits);
      if (literal("s") && *whole < 9'000'000'000) {
        const std::int64_t total = *whole * 1'000'000'000 + ns;
        return Duration(negative ? -total : total);
      }
    }
  }
  rest_ = start;
  expected_ = want;
  return std::nullopt;
}

namespace {

// Reads one {field} into `f`; false on a mismatch (the cursor says what it expected).
bool read_field(Cursor& in, std::string_view field, Fault& f) {
  if (field == "at") {
    const auto d = in.duration(false);
    if (d) f.at = *d;
    return d.has_value();
  }
  if (field == "target" || field == "peer") {
    auto n = in.name();
    if (n) (field == "target" ? f.target : f.peer) = std::move(*n);
    return n.has_value();
  }
  if (field == "duration" || field == "step" || field == "latency") {
    const auto d = in.duration(field == "step");
    if (d) (field == "duration" ? f.duration : f.amount) = *d;
    return d.has_value();
  }
  if (field == "drift") {
    const auto v = in.integer(true);
    if (!v || *v < -1'000'000 || *v > 1'000'000) return false;
    f.drift_ppm = static_cast<std::int32_t>(*v);
    return true;
  }
  std::optional<int> c;
  if (field == "persist") c = in.choice({"keeps data", "loses data"});
  if (field == "direction") c = in.choice({"-/->", "<-/->"});
  if (field == "mode") c = in.choice({"fails fast", "hangs"});
  if (!c) return false;
  if (field == "persist") f.persist = *c == 0;
  if (field == "direction") f.one_way = *c == 0;
  if (field == "mode") f.fail_fast = *c == 0;
  return true;
}

std::string write_field(std::string_view field, const Fault& f) {
  if (field == "at") return exact_seconds(f.at);
  if (field == "target") return f.target;
  if (field == "peer") return f.peer;
  if (field == "duration") return exact_seconds(f.duration);
  if (field == "step") return exact_seconds(f.amount, true);
  if (field == "latency") return exact_seconds(f.amount);
  if (field == "drift") return fmt::format("{:+}", f.drift_ppm);
  if (field == "persist") return f.persist ? "keeps data" : "loses data";
  if (field == "direction") return f.one_way ? "-/->" : "<-/->";
  if (field == "mode") return f.fail_fast ? "fails fast" : "hangs";
  return "{?}";
}

}  // namespace

std::string print_pattern(std::string_view pattern, const Fault& fault) {
  std::string out;
  while (!pattern.empty()) {
    const std::size_t open = pattern.find('{');
    out += pattern.substr(0, open);
    if (open == std::string_view::npos) break;
    const std::size_t close = pattern.find('}', open);
    out += write_field(pattern.substr(open + 1, close - open - 1), fault);
    pattern.remove_prefix(close + 1);
  }
  return out;
}

std::optional<std::string> parse_pattern(std::string_view pattern, std::string_view line,
                                         Fault& fault, std::size_t* reached) {
  Cursor in(line);
  auto fail = [&] {
    *reached = in.column();
    return fmt::format("expected {} at column {}", in.expected(), in.column());
  };
  while (!pattern.empty()) {
    const std::size_t open = pattern.find('{');
    if (!in.literal(pattern.substr(0, open))) return fail();
    if (open == std::string_view::npos) break;
    const std::size_t close = pattern.find('}', open);
    if (!read_field(in, pattern.substr(open + 1, close - open - 1), fault)) return fail();
    pattern.remove_prefix(close + 1);
  }
  if (!in.at_end()) {
    *reached = in.column();
    return fmt::format("unexpected text at column {}", in.column());
  }
  return std::nullopt;
}

}  // namespace faultline::sim::detail
