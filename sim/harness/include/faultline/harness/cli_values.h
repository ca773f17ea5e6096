// The values a harness command line reads from text, as plain functions: seeds, durations and
// FROM:TO:STEP ranges. Kept apart from cli_command.h (which declares commands over a catalogue)
// so that they can be tested and fuzzed on their own (tests/fuzz/) with nothing but CLI11's
// error type.
//
// Errors: each throws CLI::ValidationError naming the flag and the text it was given; nothing
// else. Thread-safety: pure functions.
#pragma once

#include <CLI/Error.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace faultline::harness::cli {

// A seed as typed: decimal, 0x hex (or 0-prefixed octal, as strtoull reads them). Throws
// CLI::ValidationError naming `flag` and `text` when it is not such a number or does not fit in
// 64 bits.
[[nodiscard]] std::uint64_t parse_seed(std::string_view flag, const std::string& text);

// A duration as typed: a number and a unit (ms, s, m or min, h); "90" alone is seconds. Throws
// CLI::ValidationError naming `flag` and `text` when it does not read or is under 1 ms.
[[nodiscard]] std::chrono::milliseconds parse_duration(std::string_view flag,
                                                       const std::string& text);

// FROM:TO:STEP, integers with 1 <= FROM <= TO <= max and STEP >= 1 (e.g. --clients 10:190:10).
struct CountRange {
  int from = 0;
  int to = 0;
  int step = 0;
};
// Throws CLI::ValidationError naming `flag` and `text` when `text` is not such a range.
[[nodiscard]] CountRange parse_count_range(std::string_view flag, const std::string& text, int max);

}  // namespace faultline::harness::cli
