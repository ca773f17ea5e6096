// Argument and option checks that name the field they reject. Every message has one shape,
// "<field>: <value>; must be <constraint>" (then " (<why>)" where a check is given a reason), so
// a caller who mistyped one option of twenty is told which one and what would have been
// accepted. This is the one home of range checks: options validate through these, never by
// hand-built messages.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/result.h"

namespace faultline {

// kInvalidArgument "<field>: <value>; <rule>". The building block of every check below, for
// rules they do not cover (bounds relative to another option, choices among names).
[[nodiscard]] Error field_error(std::string_view field, std::string_view value,
                                std::string_view rule);

// Ok if lo <= value <= hi; else kInvalidArgument "<field>: <value>; must be in [lo, hi]",
// followed by " (<why>)" when `why` is not empty. Precondition: lo <= hi.
[[nodiscard]] Result<void> check_range(std::string_view field, std::int64_t value, std::int64_t lo,
                                       std::int64_t hi, std::string_view why = {});
// The same for durations, printed with duration_text().
[[nodiscard]] Result<void> check_range(std::string_view field, Duration value, Duration lo,
                                       Duration hi, std::string_view why = {});
// Options kept in coarser units (std::chrono::seconds, milliseconds) are compared in their own
// unit, so that an absurd value cannot overflow on its way to nanoseconds and slip into range;
// one beyond Duration's range is printed as "max" (or its negative).
template <class Rep, class Period>
[[nodiscard]] Result<void> check_range(std::string_view field,
                                       std::chrono::duration<Rep, Period> value,
                                       std::chrono::duration<Rep, Period> lo,
                                       std::chrono::duration<Rep, Period> hi,
                                       std::string_view why = {}) {
  if (value >= lo && value <= hi) return Ok{};
  using Unit = std::chrono::duration<Rep, Period>;
  const Duration shown = value >= std::chrono::duration_cast<Unit>(Duration::max())
                             ? Duration::max()
                         : value <= std::chrono::duration_cast<Unit>(Duration::min())
                             ? Duration::min()
                             : std::chrono::duration_cast<Duration>(value);
  return check_range(field, shown, Duration(lo), Duration(hi), why);
}
// Ok if 0 < value <= hi: "must be in (0, <hi>]", or "must be > 0" when hi is Duration::max()
// (no upper bound). Precondition: hi > 0.
[[nodiscard]] Result<void> check_positive(std::string_view field, Duration value,
                                          Duration hi = Duration::max(), std::string_view why = {});

// Real numbers: [lo, hi] and (0, hi]. NaN is never in range. Values are printed in the
// shortest form that reads back exactly ("0.1", "100", "1e-07").
[[nodiscard]] Result<void> check_real_range(std::string_view field, double value, double lo,
                                            double hi, std::string_view why = {});
[[nodiscard]] Result<void> check_real_positive(std::string_view field, double value, double hi,
                                               std::string_view why = {});

// Sizes and lengths (unsigned, so a huge value is printed as it is, not wrapped):
// "<field>: <value>[ <unit>]; must be in [lo, hi]", e.g. "name: 0 characters; must be in
// [1, 200]". Precondition: lo <= hi.
[[nodiscard]] Result<void> check_size(std::string_view field, std::size_t value, std::size_t lo,
                                      std::size_t hi, std::string_view unit = {});

// Ok if 0 < `timeout` <= `max`. Every remote call needs a deadline, and Duration::max() is how
// a caller says "none" (so `max` defaults to it). Else kInvalidArgument naming `field`.
[[nodiscard]] Result<void> validate_timeout(Duration timeout, std::string_view field = "timeout",
                                            Duration max = Duration::max());

}  // namespace faultline
