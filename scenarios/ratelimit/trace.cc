#include "scenarios/ratelimit/trace.h"

#include <charconv>
#include <sstream>
#include <string_view>

#include "faultline/ratelimit/decision.h"
#include "faultline/ratelimit/local_limiter.h"
#include "faultline/validate.h"

namespace faultline::scenarios::ratelimit {
namespace {

constexpr std::string_view kExpected = "; expected TIME_MS KEY COST";

bool read_int(const std::string& text, std::int64_t& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// One line's request, or what is wrong with it ("" prefix; the caller adds the line number).
Result<TraceRequest> parse_line(const std::string& line) {
  std::istringstream fields(line);
  std::vector<std::string> f;
  for (std::string field; fields >> field;) f.push_back(field);
  if (f.size() != 3) {
    return invalid_argument(std::to_string(f.size()) + " fields in '" + line + "'" +
                            std::string(kExpected));
  }
  TraceRequest r;
  if (!read_int(f[0], r.at_ms)) {
    return invalid_argument("TIME_MS '" + f[0] + "' is not a whole number" +
                            std::string(kExpected));
  }
  if (auto ok = check_range("TIME_MS", r.at_ms, 0, kMaxTraceTimeMs); !ok) return ok.error();
  r.key = f[1];
  if (auto ok =
          check_size("KEY", r.key.size(), 1, faultline::ratelimit::kMaxKeyLength, "characters");
      !ok) {
    return ok.error();
  }
  if (!read_int(f[2], r.cost)) {
    return invalid_argument("COST '" + f[2] + "' is not a whole number" + std::string(kExpected));
  }
  if (auto ok = check_range("COST", r.cost, 0, faultline::ratelimit::kMaxCost); !ok) {
    return ok.error();
  }
  return r;
}

}  // namespace

Result<std::vector<TraceRequest>> read_trace(std::istream& in) {
  std::vector<TraceRequest> trace;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    if (line.back() == '\r') line.pop_back();
    Result<TraceRequest> r = parse_line(line);
    const std::string where = "line " + std::to_string(number) + ": ";
    if (!r) return invalid_argument(where + r.error().message);
    r->line = number;
    if (!trace.empty() && r->at_ms < trace.back().at_ms) {
      return invalid_argument(where + "TIME_MS " + std::to_string(r->at_ms) + " is earlier than " +
                              std::to_string(trace.back().at_ms) + " on line " +
                              std::to_string(trace.back().line) + " (times must not decrease)");
    }
    trace.push_back(std::move(*r));
  }
  return trace;
}

}  // namespace faultline::scenarios::ratelimit
