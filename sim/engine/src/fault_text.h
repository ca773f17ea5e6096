// The text form of faults: exact durations, and a cursor that reads a line field by field.
//
// A kind's line is described once, as a pattern ("at {at} pause {target} for {duration}"),
// which both prints and parses it (fault_kinds.cc); the network line is read with the same
// cursor. Private to sim/src.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "faultline/sim/fault_plan.h"

namespace faultline::sim::detail {

// Seconds with the exact nanoseconds: at least three decimals, trailing zeros beyond them
// dropped ("1.500s", "0.000123456s", "-0.200s"); `sign` puts '+' before non-negative values.
[[nodiscard]] std::string exact_seconds(Duration d, bool sign = false);

// Reads a line left to right. Each read consumes what it matched and returns nothing on a
// mismatch, leaving `expected` saying what it wanted.
class Cursor {
 public:
  explicit Cursor(std::string_view line) : rest_(line), size_(line.size()) {}
  bool literal(std::string_view text);
  // One of `choices` (tried in order), as its index.
  std::optional<int> choice(std::initializer_list<std::string_view> choices);
  std::optional<std::string> name();  // up to the next space or the end; not empty
  std::optional<Duration> duration(bool signed_allowed);
  std::optional<std::int64_t> integer(bool signed_allowed);
  [[nodiscard]] bool at_end() const noexcept { return rest_.empty(); }
  [[nodiscard]] std::size_t column() const noexcept { return size_ - rest_.size() + 1; }
  [[nodiscard]] const std::string& expected() const noexcept { return expected_; }

 private:
  std::string_view rest_;
  std::size_t size_;
  std::string expected_;
};

// The pattern engine. Fields: {at} {target} {peer} {duration} {step} (signed amount)
// {latency} (amount) {drift} {persist} {direction} {mode}.
[[nodiscard]] std::string print_pattern(std::string_view pattern, const Fault& fault);
// Fills `fault`'s fields from `line`; on a mismatch returns what was expected and where.
[[nodiscard]] std::optional<std::string> parse_pattern(std::string_view pattern,
                                                       std::string_view line, Fault& fault,
                                                       std::size_t* reached);

}  // namespace faultline::sim::detail
