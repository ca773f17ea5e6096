// Reading the values of a harness command line (cli_values.h): seeds, durations and ranges.
#include "faultline/harness/cli_values.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace faultline::harness::cli {

std::uint64_t parse_seed(std::string_view flag, const std::string& text) {
  const auto not_a_number = [&] {
    return CLI::ValidationError(std::string(flag),
                                fmt::format("not a number: '{}' (decimal or 0x hex)", text));
  };
  // strtoull alone would also take leading blanks and a sign ("-1" wrapping to 2^64 - 1): a
  // seed starts with a digit.
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front())) == 0) {
    throw not_a_number();
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long long seed = std::strtoull(text.c_str(), &end, 0);
  if (end != text.c_str() + text.size()) throw not_a_number();
  if (errno == ERANGE) {
    throw CLI::ValidationError(std::string(flag),
                               fmt::format("'{}' is out of range for 64 bits", text));
  }
  return seed;
}

std::chrono::milliseconds parse_duration(std::string_view flag, const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  double ms_per_unit = 0;
  if (unit.empty() || unit == "s") ms_per_unit = 1000;
  if (unit == "ms") ms_per_unit = 1;
  if (unit == "m" || unit == "min") ms_per_unit = 60'000;
  if (unit == "h") ms_per_unit = 3'600'000;
  // Under a millisecond would truncate to zero: refused like zero, not read as "no time at all".
  const double ms = value * ms_per_unit;
  if (used == 0 || ms_per_unit == 0 || !(ms >= 1) || ms > 1e12) {
    throw CLI::ValidationError(
        std::string(flag),
        fmt::format("not a duration: '{}' (1ms or more: a number and ms, s, m or h: 90s, 5m)",
                    text));
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

CountRange parse_count_range(std::string_view flag, const std::string& text, int max) {
  CountRange range;
  char colon1 = 0;
  char colon2 = 0;
  std::istringstream in(text);
  if (!(in >> range.from >> colon1 >> range.to >> colon2 >> range.step) || colon1 != ':' ||
      colon2 != ':' || range.from < 1 || range.to < range.from || range.step < 1 ||
      range.to > max || !in.eof()) {
    throw CLI::ValidationError(
        std::string(flag),
        fmt::format("expected FROM:TO:STEP with 1 <= FROM <= TO <= {} and STEP >= 1, got '{}'", max,
                    text));
  }
  return range;
}

}  // namespace faultline::harness::cli
