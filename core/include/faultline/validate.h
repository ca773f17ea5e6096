// Argument and option checks that name the field they reject. Every message has one shape,
// "<field>: <value>; must be <constraint>", so a caller who mistyped one option of twenty is
// told which one and what would have been accepted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/result.h"

namespace faultline {

// kInvalidArgument "<field>: <value>; <rule>". The building block of every check below, for
// rules they do not cover (open intervals, bounds relative to another option).
[[nodiscard]] Error field_error(std::string_view field, std::string_view value,
                                std::string_view rule);

// Ok if lo <= value <= hi; else kInvalidArgument "<field>: <value>; must be in [lo, hi]".
// Precondition: lo <= hi.
[[nodiscard]] Result<void> check_range(std::string_view field, std::int64_t value,
                                       std::int64_t lo, std::int64_t hi);
// The same for durations, printed with duration_text().
[[nodiscard]] Result<void> check_range(std::string_view field, Duration value, Duration lo,
                                       Duration hi);

// Ok if `timeout` is positive. Every remote call needs a deadline, and Duration::max() is how
// a caller says "none". Else kInvalidArgument naming `field`.
[[nodiscard]] Result<void> validate_timeout(Duration timeout, std::string_view field = "timeout");

}  // namespace faultline
