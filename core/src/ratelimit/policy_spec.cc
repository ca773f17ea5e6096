#include "faultline/ratelimit/policy_spec.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <vector>

namespace faultline::ratelimit {
namespace {

using Fields = std::map<std::string, std::string, std::less<>>;

// The grammar of each algorithm's fields, for "expected ..." in messages.
std::string_view expected_form(std::string_view name) {
  if (name == "gcra") return "gcra:rate=COUNT/PERIOD,burst=B";
  if (name == "token-bucket") return "token-bucket:capacity=C,rate=COUNT/PERIOD";
  if (name == "sliding-log") return "sliding-log:limit=N,window=W";
  if (name == "sliding-counter") return "sliding-counter:limit=N,window=W";
  if (name == "fixed-window") return "fixed-window:limit=N,window=W";
  return {};
}

constexpr std::string_view kAlgorithms =
    "gcra, token-bucket, sliding-log, sliding-counter or fixed-window";

Result<std::int64_t> parse_int(std::string_view field, std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return invalid_argument(std::string(field) + "='" + std::string(text) +
                            "' is not a whole number");
  }
  return value;
}

// "key=value,key=value" into `fields`, refusing repeats and names outside `known`.
Result<Fields> split_fields(std::string_view text, const std::vector<std::string_view>& known) {
  Fields fields;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    if (eq == std::string_view::npos ||
        std::find(known.begin(), known.end(), name) == known.end()) {
      return invalid_argument("unexpected '" + std::string(item) + "'");
    }
    if (!fields.emplace(std::string(name), std::string(item.substr(eq + 1))).second) {
      return invalid_argument(std::string(name) + " given twice");
    }
  }
  for (const std::string_view name : known) {
    if (!fields.contains(name)) return invalid_argument("missing " + std::string(name) + "=");
  }
  return fields;
}

struct Rate {
  std::int64_t count{0};
  Micros period{};
};

Result<Rate> parse_rate(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return invalid_argument("rate='" + std::string(text) + "' is not COUNT/PERIOD");
  }
  Result<std::int64_t> count = parse_int("rate count", text.substr(0, slash));
  if (!count) return std::move(count).error();
  Result<Micros> period = parse_limit_duration(text.substr(slash + 1));
  if (!period) return std::move(period).error();
  return Rate{.count = *count, .period = *period};
}

// The policy of algorithm `name` from its fields (all present, see split_fields).
Result<Policy> build(std::string_view name, const Fields& f) {
  if (name == "gcra" || name == "token-bucket") {
    Result<Rate> rate = parse_rate(f.find("rate")->second);
    if (!rate) return std::move(rate).error();
    const bool gcra = name == "gcra";
    Result<std::int64_t> n =
        parse_int(gcra ? "burst" : "capacity", f.find(gcra ? "burst" : "capacity")->second);
    if (!n) return std::move(n).error();
    if (gcra) return Policy(GcraPolicy{rate->count, rate->period, *n});
    return Policy(TokenBucketPolicy{*n, rate->count, rate->period});
  }
  Result<std::int64_t> limit = parse_int("limit", f.find("limit")->second);
  if (!limit) return std::move(limit).error();
  Result<Micros> window = parse_limit_duration(f.find("window")->second);
  if (!window) return std::move(window).error();
  if (name == "sliding-log") return Policy(SlidingLogPolicy{*limit, *window});
  if (name == "sliding-counter") return Policy(SlidingCounterPolicy{*limit, *window});
  return Policy(FixedWindowPolicy{*limit, *window});
}

std::vector<std::string_view> field_names(std::string_view name) {
  if (name == "gcra") return {"rate", "burst"};
  if (name == "token-bucket") return {"capacity", "rate"};
  return {"limit", "window"};
}

std::string duration_spec(Micros d) {
  const std::int64_t us = d.count();
  if (us != 0 && us % 3'600'000'000 == 0) return std::to_string(us / 3'600'000'000) + "h";
  if (us != 0 && us % 60'000'000 == 0) return std::to_string(us / 60'000'000) + "m";
  if (us != 0 && us % 1'000'000 == 0) return std::to_string(us / 1'000'000) + "s";
  if (us % 1'000 == 0) return std::to_string(us / 1'000) + "ms";
  return std::to_string(us) + "us";
}

}  // namespace

Result<Micros> parse_limit_duration(std::string_view text) {
  const std::size_t digits = text.find_first_not_of("0123456789");
  const std::string_view unit = digits == std::string_view::npos ? "" : text.substr(digits);
  std::int64_t per_unit_us = 0;
  if (unit == "us") per_unit_us = 1;
  if (unit == "ms") per_unit_us = 1'000;
  if (unit == "s") per_unit_us = 1'000'000;
  if (unit == "m") per_unit_us = 60'000'000;
  if (unit == "h") per_unit_us = 3'600'000'000;
  const auto not_a_duration = [&] {
    return invalid_argument("'" + std::string(text) +
                            "' is not a duration (a whole number and us, ms, s, m or h: 500ms, "
                            "1s, 1m)");
  };
  // No digits, or no unit (digits == npos): refused before from_chars reads anything.
  if (digits == 0 || per_unit_us == 0) return not_a_duration();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc() || value > std::numeric_limits<std::int64_t>::max() / per_unit_us) {
    return not_a_duration();
  }
  return Micros(value * per_unit_us);
}

Result<Policy> parse_policy_spec(std::string_view spec) {
  const std::string head = "policy '" + std::string(spec) + "': ";
  const std::size_t colon = spec.find(':');
  const std::string_view name = spec.substr(0, colon);
  const std::string_view form = expected_form(name);
  if (colon == std::string_view::npos || form.empty()) {
    return invalid_argument(head + "expected ALGORITHM:FIELDS, the algorithm one of " +
                            std::string(kAlgorithms));
  }
  Result<Fields> fields = split_fields(spec.substr(colon + 1), field_names(name));
  if (!fields) {
    return invalid_argument(head + fields.error().message + " (expected " + std::string(form) +
                            ")");
  }
  Result<Policy> policy = build(name, *fields);
  if (!policy) {
    return invalid_argument(head + policy.error().message + " (expected " + std::string(form) +
                            ")");
  }
  if (auto valid = validate(*policy); !valid) {
    return invalid_argument(head + valid.error().message);
  }
  return policy;
}

std::string policy_spec(const Policy& policy) {
  const std::string name(algorithm_name(policy));
  if (const auto* g = std::get_if<GcraPolicy>(&policy)) {
    return name + ":rate=" + std::to_string(g->count) + "/" + duration_spec(g->period) +
           ",burst=" + std::to_string(g->max_burst);
  }
  if (const auto* t = std::get_if<TokenBucketPolicy>(&policy)) {
    return name + ":capacity=" + std::to_string(t->capacity) + ",rate=" + std::to_string(t->count) +
           "/" + duration_spec(t->period);
  }
  return std::visit(
      [&](const auto& p) -> std::string {
        if constexpr (requires { p.window; }) {
          return name + ":limit=" + std::to_string(p.limit) + ",window=" + duration_spec(p.window);
        } else {
          return name;
        }
      },
      policy);
}

}  // namespace faultline::ratelimit
