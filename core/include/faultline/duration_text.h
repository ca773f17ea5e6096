// Durations as text for messages: the one formatter every pattern and backend uses, so that an
// error reads "250ms" wherever it comes from; and, for lines that print times on one scale, the
// one conversion to seconds.
#pragma once

#include <chrono>
#include <string>

#include "faultline/clock.h"

namespace faultline {

// The largest unit that states `d` exactly: "60s", "2min", "250ms", "1500us", "7ns"; zero is "0";
// Duration::max() (the library's "no limit") is "max". Negative values keep their sign
// ("-5ms"). Never throws except std::bad_alloc.
[[nodiscard]] std::string duration_text(Duration d);

// `d` in seconds, as a real number: for messages and timelines that print times on one scale
// ("at 1.245744s", "{:.3f}s-{:.3f}s"), where duration_text's exact units would vary line by line.
[[nodiscard]] constexpr double in_seconds(Duration d) noexcept {
  return std::chrono::duration<double>(d).count();
}
// A time point as seconds since its clock's epoch (a simulated run starts at 0).
template <class Clock, class D>
[[nodiscard]] constexpr double in_seconds(std::chrono::time_point<Clock, D> t) noexcept {
  return in_seconds(t.time_since_epoch());
}

}  // namespace faultline
