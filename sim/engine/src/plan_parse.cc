// parse_plan: the text FaultPlan::to_string() writes, read back. Each fault line is tried
// against every kind's pattern; when none matches, the error is the one that read furthest.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "fault_kinds.h"
#include "fault_text.h"
#include "faultline/sim/fault_plan.h"

namespace faultline::sim {
namespace {

using detail::Cursor;

std::optional<std::uint32_t> read_ppm(Cursor& in) {
  const auto v = in.integer(false);
  if (!v || *v > 1'000'000) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

// The network line; an error message when it does not read.
std::optional<std::string> parse_network(std::string_view line, NetworkFaults& out) {
  Cursor in(line);
  std::optional<std::uint32_t> ppm[4];
  std::optional<Duration> spike_max;
  const bool ok = in.literal("network: request loss ") && (ppm[0] = read_ppm(in)) &&
                  in.literal(" ppm, reply loss ") && (ppm[1] = read_ppm(in)) &&
                  in.literal(" ppm, duplicates ") && (ppm[2] = read_ppm(in)) &&
                  in.literal(" ppm, delay spikes ") && (ppm[3] = read_ppm(in)) &&
                  in.literal(" ppm (up to ") && (spike_max = in.duration(false)) &&
                  in.literal(")") && in.at_end();
  if (!ok) {
    const std::string want = in.expected().empty() ? "a rate in ppm (0..1000000)" : in.expected();
    return fmt::format("network line: expected {} at column {}", want, in.column());
  }
  out = NetworkFaults{*ppm[0], *ppm[1], *ppm[2], *ppm[3], *spike_max};
  return std::nullopt;
}

// One fault line; an error message naming the closest kind when it does not read.
std::optional<std::string> parse_fault(std::string_view line, Fault& out) {
  std::size_t best_reach = 0;
  std::string best_error = "not a fault";
  for (const detail::FaultKindInfo& info : detail::fault_kinds()) {
    Fault f;
    f.kind = info.kind;
    std::size_t reached = 0;
    const auto error = detail::parse_pattern(info.pattern, line, f, &reached);
    if (!error) {
      out = std::move(f);
      return std::nullopt;
    }
    if (reached > best_reach) {
      best_reach = reached;
      best_error = fmt::format("not a fault line; read as '{}': {}", info.pattern, *error);
    }
  }
  return best_error;
}

}  // namespace

std::string PlanParseError::to_string() const {
  return fmt::format("line {}: {}: '{}'", line, what, text);
}

std::variant<FaultPlan, PlanParseError> parse_plan(std::string_view text) {
  FaultPlan plan;
  bool network_seen = false;
  bool none_seen = false;
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    auto error = [&](std::string what) {
      return PlanParseError{number, std::string(line), std::move(what)};
    };
    if (!network_seen) {
      if (auto why = parse_network(line, plan.network)) return error(*why);
      network_seen = true;
    } else if (line == "no scheduled faults") {
      if (!plan.faults.empty()) return error("'no scheduled faults' after a fault");
      none_seen = true;
    } else {
      if (none_seen) return error("a fault after 'no scheduled faults'");
      Fault f;
      if (auto why = parse_fault(line, f)) return error(*why);
      plan.faults.push_back(std::move(f));
    }
  }
  // Lines are 1-based: an empty text is refused at its first line, where the network line belongs.
  if (!network_seen) {
    return PlanParseError{std::max<std::size_t>(number, 1), "",
                          "no network line: the plan is empty"};
  }
  return plan;
}

}  // namespace faultline::sim
